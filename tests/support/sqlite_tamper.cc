// Direct writes into a stopped server's SQLite store: see sqlite_tamper.h.
#include "support/sqlite_tamper.h"

#include <sqlite3.h>

namespace flashsale::testing {

std::filesystem::path store_path(const std::filesystem::path& data_dir) {
    return data_dir / "flashsale.db";
}

::testing::AssertionResult execute_sql(const std::filesystem::path& database,
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

}  // namespace flashsale::testing
