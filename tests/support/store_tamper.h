// Direct writes into a stopped server's order store, to break an invariant on purpose: the only
// way to show that `flashsale verify` can fail, which makes every "verify is clean" check in
// the other tests mean something. SQLite (DATA_DIR/flashsale.db) for the embedded backend,
// PostgreSQL (through psql) for the production one.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "support/backend.h"

namespace flashsale::testing {

// Runs `sql` on the store of `backend` (the server must be stopped); the message carries the
// database's error. A statement that changes no row fails too.
::testing::AssertionResult tamper_store(const TestBackend& backend,
                                        const std::filesystem::path& data_dir,
                                        const std::string& sql);

}  // namespace flashsale::testing
