// Direct writes into a stopped server's order store: see store_tamper.h.
#include "support/store_tamper.h"

#include <sqlite3.h>

namespace flashsale::testing {

namespace {

::testing::AssertionResult execute_sqlite(const std::filesystem::path& database,
                                          const std::string& sql) {
    if (!std::filesystem::exists(database)) {
        return ::testing::AssertionFailure() << "no database at " << database;
    }
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
        std::string message = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
        sqlite3_close(db);
        return ::testing::AssertionFailure() << "open " << database << ": " << message;
    }
    char* error = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    const int changed = sqlite3_changes(db);
    std::string message = error != nullptr ? error : "";
    sqlite3_free(error);
    sqlite3_close(db);
    if (rc != SQLITE_OK) return ::testing::AssertionFailure() << sql << ": " << message;
    if (changed == 0) return ::testing::AssertionFailure() << sql << ": changed no row";
    return ::testing::AssertionSuccess();
}

::testing::AssertionResult execute_postgres(const std::string& conninfo, const std::string& sql) {
    auto result = run_command({"/usr/bin/psql", conninfo, "-v", "ON_ERROR_STOP=1", "-qAt", "-c",
                               sql + " RETURNING 1"});
    if (!result.status.clean()) return ::testing::AssertionFailure() << sql << ": " << result.describe();
    if (result.output.find('1') == std::string::npos) {
        return ::testing::AssertionFailure() << sql << ": changed no row";
    }
    return ::testing::AssertionSuccess();
}

}  // namespace

::testing::AssertionResult tamper_store(const TestBackend& backend,
                                        const std::filesystem::path& data_dir,
                                        const std::string& sql) {
    if (uses_postgres(backend.kind())) return execute_postgres(backend.conninfo(), sql);
    return execute_sqlite(data_dir / "flashsale.db", sql);
}

}  // namespace flashsale::testing
