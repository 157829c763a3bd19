// Direct writes into a stopped server's SQLite store, to break an invariant on purpose: the only
// way to show that `flashsale verify` can fail, which makes every "verify is clean" check in
// the other tests mean something. Knows the file name (DATA_DIR/flashsale.db) and nothing else.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace flashsale::testing {

// The orders database in a data dir.
std::filesystem::path store_path(const std::filesystem::path& data_dir);

// Runs `sql` on the database; the message carries SQLite's error. The server must be stopped.
::testing::AssertionResult execute_sql(const std::filesystem::path& database,
                                       const std::string& sql);

}  // namespace flashsale::testing
