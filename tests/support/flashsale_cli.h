// The flashsale command line as the tests run it: any subcommand with its output captured, and
// `flashsale verify`, whose exit code says whether the data dir keeps the invariants
// (0 clean, 1 violations listed on stdout, 2 usage or other errors).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "services/process.h"

namespace flashsale::testing {

// `flashsale <args...>` with FLASHSALE_JWT_SECRET and FLASHSALE_ADMIN_TOKEN set to the test
// secrets unless `env` replaces them.
CommandResult run_flashsale(std::vector<std::string> args, const EnvOverrides& env = {},
                            std::chrono::milliseconds timeout = std::chrono::seconds(30));

// `flashsale verify --data-dir DIR [--sale ID]`.
CommandResult run_verify(const std::filesystem::path& data_dir,
                         const std::optional<std::string>& sale_id = std::nullopt);

// Success when verify exits 0; the message carries its output otherwise.
::testing::AssertionResult verify_is_clean(
    const std::filesystem::path& data_dir,
    const std::optional<std::string>& sale_id = std::nullopt);

}  // namespace flashsale::testing
