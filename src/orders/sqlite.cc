#include "orders/sqlite.h"

#include <sqlite3.h>

#include <utility>

#include <fmt/format.h>

#include "orders/order_store.h"

namespace flashsale::orders::sqlite {
namespace {

// `code` and `message` are read by the caller before anything (a reset) can overwrite them.
[[noreturn]] void throw_error(sqlite3* db, int code, std::string_view message,
                              std::string_view sql) {
    const char* file = sqlite3_db_filename(db, "main");
    throw StoreError(fmt::format("sqlite {}: {} (code {}) in `{}`", file != nullptr ? file : "?",
                                 message, code, sql));
}

// SQLite's allocator keeps memory statistics under a global mutex unless told not to; nothing
// here reads them, and the mutex came to some 800 instructions per order written. The setting
// is only accepted before SQLite initializes itself, which the first open does; if anything
// initialized it earlier, the statistics simply stay on.
void configure_sqlite_once() {
    [[maybe_unused]] static const bool configured =
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
}

}  // namespace

Database::Database(const std::filesystem::path& file, int flags) {
    configure_sqlite_once();
    int code = sqlite3_open_v2(file.c_str(), &db_, flags, nullptr);
    if (code != SQLITE_OK) {
        std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(code);
        sqlite3_close(db_);
        db_ = nullptr;
        throw StoreError(fmt::format("sqlite: cannot open {}: {}", file.string(), message));
    }
    sqlite3_extended_result_codes(db_, 1);
}

Database::~Database() {
    // Every statement is finalized by now (they are owned by objects that die first), so the
    // close cannot be refused as busy.
    sqlite3_close(db_);
}

void Database::exec(std::string_view sql) {
    std::string text(sql);
    char* message = nullptr;
    if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
        int code = sqlite3_extended_errcode(db_);
        std::string copy = message != nullptr ? message : sqlite3_errmsg(db_);
        sqlite3_free(message);
        throw_error(db_, code, copy, sql);
    }
}

std::int64_t Database::changes() const { return sqlite3_changes64(db_); }

bool Database::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

Statement::Statement(Database& db, std::string_view sql) {
    int code = sqlite3_prepare_v2(db.handle(), sql.data(), static_cast<int>(sql.size()),
                                  &statement_, nullptr);
    if (code != SQLITE_OK) throw_error(db.handle(), code, sqlite3_errmsg(db.handle()), sql);
}

Statement::~Statement() { sqlite3_finalize(statement_); }

Statement::Statement(Statement&& other) noexcept
    : statement_(std::exchange(other.statement_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
    if (this != &other) {
        sqlite3_finalize(statement_);
        statement_ = std::exchange(other.statement_, nullptr);
    }
    return *this;
}

void Statement::bind_int64(int index, std::int64_t value) {
    if (sqlite3_bind_int64(statement_, index, value) != SQLITE_OK) fail();
}

void Statement::bind_text(int index, std::string_view value) {
    if (sqlite3_bind_text64(statement_, index, value.data(), value.size(), SQLITE_STATIC,
                            SQLITE_UTF8) != SQLITE_OK) {
        fail();
    }
}

void Statement::bind_null(int index) {
    if (sqlite3_bind_null(statement_, index) != SQLITE_OK) fail();
}

bool Statement::step() {
    int code = sqlite3_step(statement_);
    if (code == SQLITE_ROW) return true;
    if (code == SQLITE_DONE) return false;
    fail();
}

void Statement::run() {
    bool row = step();
    reset();
    if (row) {
        throw_error(sqlite3_db_handle(statement_), SQLITE_MISUSE,
                    "returned a row where none was expected", sqlite3_sql(statement_));
    }
}

std::int64_t Statement::column_int64(int index) const {
    return sqlite3_column_int64(statement_, index);
}

std::string Statement::column_text(int index) const {
    const auto* text = sqlite3_column_text(statement_, index);
    if (text == nullptr) return {};
    auto size = static_cast<std::size_t>(sqlite3_column_bytes(statement_, index));
    return std::string(reinterpret_cast<const char*>(text), size);
}

void Statement::reset() noexcept {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
}

void Statement::fail() const {
    sqlite3* db = sqlite3_db_handle(statement_);
    int code = sqlite3_extended_errcode(db);
    std::string message = sqlite3_errmsg(db);
    std::string sql = sqlite3_sql(statement_);
    sqlite3_reset(statement_);
    throw_error(db, code, message, sql);
}

}  // namespace flashsale::orders::sqlite
