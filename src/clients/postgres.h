// A thin RAII wrapper over libpq for blocking callers (the PostgreSQL order store, migrations):
// a connection, statements with text parameters, results, a transaction guard and libpq's
// pipeline mode (many statements in one round trip). Every failure throws pg::Error carrying
// the SQLSTATE, so a caller tells a refused statement (class 23, integrity; class 22, data)
// from a lost connection (class 08, or a connection libpq reports as bad).
// A Connection is used by one thread at a time; distinct connections may be used concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct pg_conn;
struct pg_result;

namespace flashsale::clients::pg {

class Error : public std::runtime_error {
public:
    // `sqlstate` is empty when the server sent none (a local or connection failure).
    Error(const std::string& message, std::string sqlstate, bool connection_bad);

    const std::string& sqlstate() const { return sqlstate_; }
    // The statement was refused for its content: retrying the same one fails again.
    bool refused() const { return sqlstate_.starts_with("23") || sqlstate_.starts_with("22"); }
    bool integrity_violation() const { return sqlstate_.starts_with("23"); }
    // The connection is gone (class 08, an administrator shutdown, or libpq's own state): the
    // caller must open a new one.
    bool connection_lost() const { return connection_bad_; }

private:
    std::string sqlstate_;
    bool connection_bad_ = false;
};

// Text parameters ($1, $2, ...), NULL where absent. Text may not hold a NUL byte (libpq sends
// C strings): adding one throws Error with SQLSTATE 22021, never truncates.
class Params {
public:
    Params& text(std::string_view value);
    Params& int64(std::int64_t value);
    Params& boolean(bool value);
    Params& null();

    int size() const { return static_cast<int>(values_.size()); }
    // Pointers into this object: valid until it changes or dies.
    std::vector<const char*> pointers() const;

private:
    std::vector<std::optional<std::string>> values_;
};

class Result {
public:
    Result() = default;
    explicit Result(pg_result* result) : result_(result, &clear) {}

    int rows() const;
    int columns() const;
    bool is_null(int row, int column) const;
    std::string text(int row, int column) const;  // empty for NULL
    std::int64_t int64(int row, int column) const;  // throws Error when not an integer
    bool boolean(int row, int column) const;
    // Rows changed by an INSERT, UPDATE or DELETE (0 for other statements).
    std::int64_t affected_rows() const;

private:
    static void clear(pg_result* result);
    std::shared_ptr<pg_result> result_;  // shared: a Result is cheap to copy
};

// One statement of a pipeline: SQL with $n placeholders and its parameters.
struct Query {
    std::string_view sql;  // kept alive by the caller until pipeline() returns
    Params params;
};

class Connection {
public:
    // `conninfo` is a libpq connection string or URI; connect_timeout defaults to 5 s.
    // Throws Error (connection_lost) when the server cannot be reached.
    explicit Connection(const std::string& conninfo);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Runs one statement with text parameters (extended protocol: one statement only).
    Result exec(std::string_view sql, const Params& params = {});
    // Runs one or more statements without parameters (simple protocol), e.g. a migration.
    void exec_script(std::string_view sql);
    // Sends every query in pipeline mode and reads every result: one round trip. On the first
    // failure the server skips the rest up to the sync; this drains them and throws that
    // failure. Run inside an explicit transaction to make the queries atomic.
    std::vector<Result> pipeline(const std::vector<Query>& queries);

    bool ok() const;           // the connection is usable (not lost)
    bool in_transaction() const;  // a transaction block is open (possibly failed)
    pg_conn* handle() const { return conn_; }

private:
    [[noreturn]] void fail(std::string_view what, pg_result* result);
    Result check(pg_result* result, std::string_view sql);
    // Sends `query` as a prepared statement, preparing it first (in the same pipeline) the
    // first time this connection sees its SQL. Answers the name prepared now, if any.
    std::optional<std::string> send_prepared(const Query& query);
    std::optional<Error> read_prepare_result(const std::string& name, std::string_view sql);

    pg_conn* conn_ = nullptr;
    struct SqlHash {  // lets a lookup take the query's string_view without a copy
        using is_transparent = void;
        std::size_t operator()(std::string_view sql) const {
            return std::hash<std::string_view>{}(sql);
        }
    };
    // SQL text -> name of the statement prepared on this connection. Parsing and planning each
    // statement of every batch again was the order pipeline's largest cost in PostgreSQL.
    std::unordered_map<std::string, std::string, SqlHash, std::equal_to<>> prepared_;
    int statements_named_ = 0;  // names are never reused, even after a failed prepare
};

// BEGIN on construction; ROLLBACK on destruction unless commit() ran. The rollback is skipped
// (never throws) when the connection is lost.
class Transaction {
public:
    explicit Transaction(Connection& connection, std::string_view begin_sql = "BEGIN");
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

    void commit();

private:
    Connection& connection_;
    bool done_ = false;
};

}  // namespace flashsale::clients::pg
