#include "clients/postgres.h"

#include <libpq-fe.h>

#include <charconv>

#include <fmt/format.h>

namespace flashsale::clients::pg {
namespace {

constexpr const char* kConnectTimeoutS = "5";

std::string trimmed(const char* text) {
    std::string out = text != nullptr ? text : "";
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out;
}

// Administrator shutdown, crash shutdown, cannot connect now: the connection is gone too.
bool is_connection_state(std::string_view sqlstate) {
    return sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "57P02" ||
           sqlstate == "57P03";
}

}  // namespace

Error::Error(const std::string& message, std::string sqlstate, bool connection_bad)
    : std::runtime_error(message),
      sqlstate_(std::move(sqlstate)),
      connection_bad_(connection_bad || is_connection_state(sqlstate_)) {}

Params& Params::text(std::string_view value) {
    if (value.find('\0') != std::string_view::npos) {
        throw Error("postgres: a text parameter holds a NUL byte", "22021", false);
    }
    values_.emplace_back(std::string(value));
    return *this;
}

Params& Params::int64(std::int64_t value) {
    values_.emplace_back(std::to_string(value));
    return *this;
}

Params& Params::boolean(bool value) {
    values_.emplace_back(value ? "true" : "false");
    return *this;
}

Params& Params::null() {
    values_.emplace_back(std::nullopt);
    return *this;
}

std::vector<const char*> Params::pointers() const {
    std::vector<const char*> out;
    out.reserve(values_.size());
    for (const auto& value : values_) out.push_back(value ? value->c_str() : nullptr);
    return out;
}

void Result::clear(pg_result* result) { PQclear(result); }

int Result::rows() const { return result_ ? PQntuples(result_.get()) : 0; }

int Result::columns() const { return result_ ? PQnfields(result_.get()) : 0; }

bool Result::is_null(int row, int column) const {
    return PQgetisnull(result_.get(), row, column) != 0;
}

std::string Result::text(int row, int column) const {
    const char* value = PQgetvalue(result_.get(), row, column);
    auto size = static_cast<std::size_t>(PQgetlength(result_.get(), row, column));
    return value != nullptr ? std::string(value, size) : std::string();
}

std::int64_t Result::int64(int row, int column) const {
    const char* value = PQgetvalue(result_.get(), row, column);
    auto size = static_cast<std::size_t>(PQgetlength(result_.get(), row, column));
    std::int64_t out = 0;
    auto [end, error] = std::from_chars(value, value + size, out);
    if (error != std::errc() || end != value + size || size == 0) {
        throw Error(fmt::format("postgres: column {} holds '{}', not an integer", column,
                                std::string_view(value, size)),
                    "", false);
    }
    return out;
}

bool Result::boolean(int row, int column) const {
    const char* value = PQgetvalue(result_.get(), row, column);
    return value != nullptr && value[0] == 't';
}

std::int64_t Result::affected_rows() const {
    const char* tuples = result_ ? PQcmdTuples(result_.get()) : "";
    std::int64_t out = 0;
    std::from_chars(tuples, tuples + std::char_traits<char>::length(tuples), out);
    return out;
}

Connection::Connection(const std::string& conninfo) {
    // connect_timeout first: the expanded conninfo after it overrides it when it sets one.
    const char* keywords[] = {"connect_timeout", "dbname", nullptr};
    const char* values[] = {kConnectTimeoutS, conninfo.c_str(), nullptr};
    conn_ = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
    if (conn_ == nullptr) throw Error("postgres: out of memory", "", true);
    if (PQstatus(conn_) != CONNECTION_OK) {
        std::string message = trimmed(PQerrorMessage(conn_));
        PQfinish(conn_);
        conn_ = nullptr;
        throw Error(fmt::format("postgres: cannot connect: {}", message), "", true);
    }
}

Connection::~Connection() { PQfinish(conn_); }

bool Connection::ok() const { return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK; }

bool Connection::in_transaction() const {
    auto status = PQtransactionStatus(conn_);
    return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE;
}

void Connection::fail(std::string_view what, pg_result* result) {
    std::string sqlstate;
    std::string message;
    if (result != nullptr) {
        const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
        sqlstate = state != nullptr ? state : "";
        message = trimmed(PQresultErrorMessage(result));
        PQclear(result);
    }
    if (message.empty()) message = trimmed(PQerrorMessage(conn_));
    bool bad = PQstatus(conn_) != CONNECTION_OK;
    std::string text = fmt::format("postgres: {} (SQLSTATE {}) in `{}`", message,
                                   sqlstate.empty() ? "none" : sqlstate, what);
    throw Error(text, std::move(sqlstate), bad);
}

Result Connection::check(pg_result* result, std::string_view sql) {
    auto status = result != nullptr ? PQresultStatus(result) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return Result(result);
    fail(sql, result);
}

Result Connection::exec(std::string_view sql, const Params& params) {
    std::string text(sql);
    auto pointers = params.pointers();
    pg_result* result = PQexecParams(conn_, text.c_str(), params.size(), nullptr,
                                     pointers.data(), nullptr, nullptr, 0);
    return check(result, sql);
}

void Connection::exec_script(std::string_view sql) {
    std::string text(sql);
    check(PQexec(conn_, text.c_str()), sql);
}

std::vector<Result> Connection::pipeline(const std::vector<Query>& queries) {
    if (PQenterPipelineMode(conn_) != 1) fail("enter pipeline mode", nullptr);
    struct Exit {
        pg_conn* conn;
        ~Exit() { PQexitPipelineMode(conn); }  // fails harmlessly when results are left
    } exit{conn_};
    std::vector<std::optional<std::string>> prepares;  // per query, the name prepared before it
    for (const auto& query : queries) prepares.push_back(send_prepared(query));
    if (PQpipelineSync(conn_) != 1) fail("pipeline sync", nullptr);

    std::vector<Result> results;
    std::optional<Error> first_error;
    for (std::size_t i = 0; i < queries.size(); ++i) {
        if (prepares[i]) {
            auto refusal = read_prepare_result(*prepares[i], queries[i].sql);
            if (refusal && !first_error) first_error = std::move(refusal);
        }
        pg_result* result = PQgetResult(conn_);
        if (result == nullptr) fail(queries[i].sql, nullptr);  // connection lost mid-way
        auto status = PQresultStatus(result);
        if (status == PGRES_PIPELINE_ABORTED) {
            PQclear(result);
        } else if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && !first_error) {
            try {
                fail(queries[i].sql, result);
            } catch (const Error& error) {
                first_error = error;
            }
        } else {
            results.emplace_back(result);
        }
        // Each query's results end with a null result.
        while (pg_result* extra = PQgetResult(conn_)) PQclear(extra);
        if (!ok()) break;
    }
    if (first_error && !ok()) throw *first_error;
    if (!ok()) fail("pipeline", nullptr);
    pg_result* sync = PQgetResult(conn_);
    if (sync == nullptr || PQresultStatus(sync) != PGRES_PIPELINE_SYNC) {
        if (sync != nullptr) PQclear(sync);
        if (first_error) throw *first_error;
        fail("pipeline sync", nullptr);
    }
    PQclear(sync);
    if (first_error) throw *first_error;
    return results;
}

std::optional<std::string> Connection::send_prepared(const Query& query) {
    if (query.params.size() == 0) {  // BEGIN, COMMIT: nothing to plan
        const std::string text(query.sql);
        if (PQsendQueryParams(conn_, text.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) != 1) {
            fail(query.sql, nullptr);
        }
        return std::nullopt;
    }
    std::optional<std::string> prepared_now;
    auto found = prepared_.find(query.sql);
    if (found == prepared_.end()) {
        auto name = fmt::format("fs{}", ++statements_named_);
        std::string text(query.sql);
        if (PQsendPrepare(conn_, name.c_str(), text.c_str(), query.params.size(), nullptr) != 1) {
            fail(query.sql, nullptr);
        }
        found = prepared_.emplace(std::move(text), name).first;
        prepared_now = std::move(name);
    }
    const auto pointers = query.params.pointers();
    if (PQsendQueryPrepared(conn_, found->second.c_str(), query.params.size(), pointers.data(),
                            nullptr, nullptr, 0) != 1) {
        fail(query.sql, nullptr);
    }
    return prepared_now;
}

// A prepare that did not succeed (refused, or skipped after an earlier failure in the
// pipeline) is forgotten, so that the next pipeline prepares the statement again. Answers the
// refusal, if the server refused it.
std::optional<Error> Connection::read_prepare_result(const std::string& name,
                                                     std::string_view sql) {
    pg_result* result = PQgetResult(conn_);
    auto status = result != nullptr ? PQresultStatus(result) : PGRES_FATAL_ERROR;
    std::optional<Error> refusal;
    if (status == PGRES_COMMAND_OK) {
        PQclear(result);
    } else {
        auto found = prepared_.find(sql);
        if (found != prepared_.end() && found->second == name) prepared_.erase(found);
        if (status == PGRES_PIPELINE_ABORTED) {
            PQclear(result);
        } else {
            try {
                fail(sql, result);  // takes `result`
            } catch (const Error& error) {
                refusal = error;
            }
        }
    }
    while (pg_result* extra = PQgetResult(conn_)) PQclear(extra);
    return refusal;
}

Transaction::Transaction(Connection& connection, std::string_view begin_sql)
    : connection_(connection) {
    connection_.exec(begin_sql);
}

Transaction::~Transaction() {
    if (done_ || !connection_.ok() || !connection_.in_transaction()) return;
    try {
        connection_.exec("ROLLBACK");
    } catch (const Error&) {
        // The connection is broken or the server gone: the transaction dies with it.
    }
}

void Transaction::commit() {
    done_ = true;
    connection_.exec("COMMIT");
}

}  // namespace flashsale::clients::pg
