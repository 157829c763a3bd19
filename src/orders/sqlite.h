// Thin RAII wrappers over the SQLite C API for the SQLite order store: a connection and a
// prepared statement. Every failure throws StoreError naming the file, SQLite's message and the
// SQL that failed. A connection and its statements are used by one thread at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace flashsale::orders::sqlite {

class Database {
public:
    // `flags` are sqlite3_open_v2 flags (SQLITE_OPEN_READONLY, ...). Throws StoreError.
    Database(const std::filesystem::path& file, int flags);
    ~Database();
    // Not movable: statements keep the raw handle of their connection.
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    // Runs one or more statements that return no rows the caller needs.
    void exec(std::string_view sql);
    // Rows changed by the last INSERT, UPDATE or DELETE on this connection.
    std::int64_t changes() const;
    bool in_transaction() const;
    sqlite3* handle() const { return db_; }

private:
    sqlite3* db_ = nullptr;
};

class Statement {
public:
    Statement(Database& db, std::string_view sql);
    ~Statement();
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&& other) noexcept;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    // Indexes start at 1, as in SQL (?1, ?2, ...). Text is not copied: it must stay alive and
    // unchanged until the statement is reset (run() and any failure reset it). Copying each
    // bound string, and freeing the copies at the reset, was a tenth of the group-commit
    // writer's instructions per order.
    void bind_int64(int index, std::int64_t value);
    void bind_text(int index, std::string_view value);
    void bind_null(int index);

    // True when a row is ready, false when the statement is done. On an error the statement is
    // reset and StoreError thrown.
    bool step();
    // Runs a statement that must return no row, then resets it for the next use.
    void run();

    std::int64_t column_int64(int index) const;
    std::string column_text(int index) const;  // empty for NULL

    // Back to the start with no bindings; ends the read this statement may hold open. Never fails.
    void reset() noexcept;

private:
    [[noreturn]] void fail() const;

    sqlite3_stmt* statement_ = nullptr;
};

}  // namespace flashsale::orders::sqlite
