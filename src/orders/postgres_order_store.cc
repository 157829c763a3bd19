#include "orders/postgres_order_store.h"

#include <array>
#include <limits>
#include <utility>
#include <variant>

#include <fmt/format.h>

#include "clients/postgres.h"
#include "common/check.h"
#include "orders/postgres_schema.h"
#include "orders/postgres_verify.h"

namespace flashsale::orders {
namespace {

using clients::pg::Connection;
using clients::pg::Params;
using clients::pg::Query;
using clients::pg::Result;

constexpr std::size_t kIdleReadersMax = 8;

constexpr std::string_view kOrderColumns =
    "id, sale_id, user_id, quantity, status, created_at_ms, expires_at_ms, updated_at_ms, "
    "idempotency_key";
constexpr std::string_view kSaleColumns =
    "id, name, stock, per_user_limit, price_cents, starts_at_ms, ends_at_ms, reservation_ttl_s, "
    "require_token, paused, pow_difficulty_bits, rate_limit_per_s, rate_limit_burst";

// Never touches sold; a buyer's limit follows the sale's, above what the buyer already holds.
constexpr std::string_view kUpsertSale = R"sql(
WITH saved AS (
    INSERT INTO sales (id, name, stock, per_user_limit, price_cents, starts_at_ms, ends_at_ms,
                       reservation_ttl_s, require_token, paused, pow_difficulty_bits,
                       rate_limit_per_s, rate_limit_burst)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
    ON CONFLICT (id) DO UPDATE SET name = excluded.name, stock = excluded.stock,
        per_user_limit = excluded.per_user_limit, price_cents = excluded.price_cents,
        starts_at_ms = excluded.starts_at_ms, ends_at_ms = excluded.ends_at_ms,
        reservation_ttl_s = excluded.reservation_ttl_s, require_token = excluded.require_token,
        paused = excluded.paused, pow_difficulty_bits = excluded.pow_difficulty_bits,
        rate_limit_per_s = excluded.rate_limit_per_s, rate_limit_burst = excluded.rate_limit_burst
    RETURNING id, per_user_limit)
UPDATE sale_buyers b SET limit_units = GREATEST(saved.per_user_limit, b.live)
FROM saved WHERE b.sale_id = saved.id)sql";

// A redelivered order (same id) inserts nothing and so moves no counter. Answers whether it
// was inserted. The sale's `sold` moves once per batch (kTakeStock), not once per order: every
// UPDATE of the one hot sales row leaves a dead row version behind, hundreds per batch.
// A run of reservations in one statement: PostgreSQL prepares the executor and its CHECK
// expressions once per statement, which cost more than the rows themselves when each order
// had a statement of its own. $1..$8 are arrays, one element per order. A redelivered order
// inserts nothing and takes nothing; each sale's sold moves once, by the units its new orders
// took, and CHECK (sold <= stock) refuses oversell there. Before a later transition of the
// same batch runs, so a release never finds sold below what it returns. The result counts the
// sales that were missing (none: the orders' foreign key already requires them).
constexpr std::string_view kReserve = R"sql(
WITH batch AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::bigint[],
                         $6::bigint[], $7::bigint[], $8::text[])
        AS b (id, sale_id, user_id, quantity, created_at_ms, expires_at_ms, updated_at_ms,
              idempotency_key)),
inserted AS (
    INSERT INTO orders (id, sale_id, user_id, quantity, status, created_at_ms, expires_at_ms,
                        updated_at_ms, idempotency_key)
    SELECT id, sale_id, user_id, quantity, 'reserved', created_at_ms, expires_at_ms,
           updated_at_ms, idempotency_key
    FROM batch
    ON CONFLICT (id) DO NOTHING
    RETURNING sale_id, user_id, quantity),
per_buyer AS (
    SELECT sale_id, user_id, sum(quantity) AS units FROM inserted GROUP BY sale_id, user_id),
buyer AS (
    INSERT INTO sale_buyers (sale_id, user_id, live, limit_units)
    SELECT p.sale_id, p.user_id, p.units, s.per_user_limit
    FROM per_buyer p JOIN sales s ON s.id = p.sale_id
    ON CONFLICT (sale_id, user_id) DO UPDATE SET live = sale_buyers.live + excluded.live
    RETURNING 1),
per_sale AS (SELECT sale_id, sum(quantity) AS units FROM inserted GROUP BY sale_id),
took AS (
    UPDATE sales SET sold = sales.sold + p.units FROM per_sale p
    WHERE sales.id = p.sale_id RETURNING sales.id)
SELECT count(*) FROM per_sale p WHERE NOT EXISTS (SELECT 1 FROM took t WHERE t.id = p.sale_id))sql";

// Only a reserved order moves; $4 says whether the new status gives the units back. The first
// row says whether it moved, and with what the store holds (sale, quantity, status), so that
// a repeated transition is a no-op and one that disagrees is refused.
constexpr std::string_view kTransition = R"sql(
WITH moved AS (
    UPDATE orders SET status = $2, updated_at_ms = $3
    WHERE id = $1 AND status = 'reserved'
    RETURNING sale_id, user_id, quantity),
released AS (SELECT * FROM moved WHERE $4::boolean),
restocked AS (
    UPDATE sales SET sold = sales.sold - r.quantity FROM released r
    WHERE sales.id = r.sale_id RETURNING sales.id, sales.per_user_limit),
buyer AS (
    UPDATE sale_buyers b SET live = b.live - r.quantity,
        limit_units = GREATEST(b.live - r.quantity, s.per_user_limit)
    FROM released r JOIN restocked s ON s.id = r.sale_id
    WHERE b.sale_id = r.sale_id AND b.user_id = r.user_id RETURNING 1)
SELECT true, sale_id, quantity, $2 FROM moved
UNION ALL
SELECT false, sale_id, quantity, status FROM orders
WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM moved))sql";

std::int32_t to_int32(std::int64_t value, std::string_view what) {
    if (value < std::numeric_limits<std::int32_t>::min() ||
        value > std::numeric_limits<std::int32_t>::max()) {
        throw StoreError(fmt::format("stored {} {} is out of range", what, value));
    }
    return static_cast<std::int32_t>(value);
}

// `r` holds the columns of kOrderColumns, in that order.
domain::Order read_order(const Result& r, int row) {
    domain::Order order;
    order.id = r.text(row, 0);
    order.sale_id = r.text(row, 1);
    order.user_id = r.text(row, 2);
    order.quantity = to_int32(r.int64(row, 3), "quantity");
    auto status_text = r.text(row, 4);
    auto status = domain::parse_order_status(status_text);
    if (!status) {
        throw StoreError(fmt::format("order {} has unknown status '{}'", order.id, status_text));
    }
    order.status = *status;
    order.created_at = from_unix_ms(r.int64(row, 5));
    order.expires_at = from_unix_ms(r.int64(row, 6));
    order.updated_at = from_unix_ms(r.int64(row, 7));
    order.idempotency_key = r.text(row, 8);  // NULL reads as empty
    return order;
}

// `r` holds the columns of kSaleColumns, in that order.
domain::Sale read_sale(const Result& r, int row) {
    domain::Sale sale;
    sale.id = r.text(row, 0);
    sale.name = r.text(row, 1);
    sale.stock = r.int64(row, 2);
    sale.per_user_limit = to_int32(r.int64(row, 3), "per_user_limit");
    sale.price_cents = r.int64(row, 4);
    sale.starts_at = from_unix_ms(r.int64(row, 5));
    sale.ends_at = from_unix_ms(r.int64(row, 6));
    sale.reservation_ttl_s = to_int32(r.int64(row, 7), "reservation_ttl_s");
    sale.require_token = r.boolean(row, 8);
    sale.paused = r.boolean(row, 9);
    sale.pow_difficulty_bits = to_int32(r.int64(row, 10), "pow_difficulty_bits");
    sale.rate_limit_per_s = to_int32(r.int64(row, 11), "rate_limit_per_s");
    sale.rate_limit_burst = to_int32(r.int64(row, 12), "rate_limit_burst");
    return sale;
}

// One element of a PostgreSQL array literal, always quoted: {"a","b\\"c",NULL}.
void append_element(std::string& literal, std::optional<std::string_view> value) {
    literal += literal.size() == 1 ? "" : ",";
    if (!value) {
        literal += "NULL";
        return;
    }
    literal += '"';
    for (char c : *value) {
        if (c == '"' || c == '\\') literal += '\\';
        literal += c;
    }
    literal += '"';
}

// A run of reservations (OrderReserved entries), as kReserve with one array per column.
Query reservations_query(const std::vector<const domain::JournalEntry*>& run) {
    std::array<std::string, 8> columns;
    for (auto& column : columns) column.push_back('{');  // not = "{": GCC 12 warns wrongly (-Wrestrict)
    for (const domain::JournalEntry* entry : run) {
        const domain::Order* o = &std::get<domain::OrderReserved>(*entry).order;
        if (o->status != domain::OrderStatus::kReserved) {
            throw ConstraintViolation(fmt::format("order {} journaled as reserved with status {} "
                                                  "(a bug)",
                                                  o->id, domain::to_string(o->status)));
        }
        append_element(columns[0], o->id);
        append_element(columns[1], o->sale_id);
        append_element(columns[2], o->user_id);
        append_element(columns[3], std::to_string(o->quantity));
        append_element(columns[4], std::to_string(to_unix_ms(o->created_at)));
        append_element(columns[5], std::to_string(to_unix_ms(o->expires_at)));
        append_element(columns[6], std::to_string(to_unix_ms(o->updated_at)));
        append_element(columns[7], o->idempotency_key.empty()
                                       ? std::nullopt
                                       : std::optional<std::string_view>(o->idempotency_key));
    }
    Params params;
    for (auto& column : columns) params.text(column += "}");
    return Query{kReserve, std::move(params)};
}

// The statement of a sale change or a transition (reservations go in runs, above; Barrier
// writes nothing and has none).
std::optional<Query> to_query(const domain::JournalEntry& entry) {
    if (const auto* saved = std::get_if<domain::SaleSaved>(&entry)) {
        const auto& s = saved->sale;
        Params params;
        params.text(s.id).text(s.name).int64(s.stock).int64(s.per_user_limit);
        params.int64(s.price_cents).int64(to_unix_ms(s.starts_at)).int64(to_unix_ms(s.ends_at));
        params.int64(s.reservation_ttl_s).boolean(s.require_token).boolean(s.paused);
        params.int64(s.pow_difficulty_bits).int64(s.rate_limit_per_s).int64(s.rate_limit_burst);
        return Query{kUpsertSale, std::move(params)};
    }
    if (const auto* moved = std::get_if<domain::OrderTransitioned>(&entry)) {
        if (!domain::can_transition(domain::OrderStatus::kReserved, moved->to)) {
            throw ConstraintViolation(fmt::format("order {}: transition to {} journaled (a bug)",
                                                  moved->order_id, domain::to_string(moved->to)));
        }
        Params params;
        params.text(moved->order_id).text(domain::to_string(moved->to));
        params.int64(to_unix_ms(moved->at)).boolean(!domain::holds_stock(moved->to));
        return Query{kTransition, std::move(params)};
    }
    return std::nullopt;
}

// The stored order must agree with the journal: same sale and quantity, and when it had already
// left `reserved` (a redelivery), the same final status.
void check_transition(const domain::OrderTransitioned& entry, const Result& result) {
    if (result.rows() == 0) {
        throw ConstraintViolation(fmt::format("order {} cannot become {}: it does not exist",
                                              entry.order_id, domain::to_string(entry.to)));
    }
    bool moved = result.boolean(0, 0);
    auto sale_id = result.text(0, 1);
    auto quantity = result.int64(0, 2);
    auto status = result.text(0, 3);
    if (sale_id != entry.sale_id || quantity != entry.quantity) {
        throw ConstraintViolation(fmt::format("order {} is {} x{} in the store but {} x{} in the "
                                              "journal",
                                              entry.order_id, sale_id, quantity, entry.sale_id,
                                              entry.quantity));
    }
    if (!moved && status != domain::to_string(entry.to)) {
        throw ConstraintViolation(fmt::format("order {} cannot become {}: it is already {}",
                                              entry.order_id, domain::to_string(entry.to),
                                              status));
    }
}

StoreError translate(const clients::pg::Error& error, std::string_view what) {
    return StoreError(fmt::format("{}: {}", what, error.what()));
}

}  // namespace

// A reader connection borrowed from the store's pool for one call, returned when it ends unless
// it broke.
class PostgresOrderStore::ReaderLease {
public:
    explicit ReaderLease(PostgresOrderStore& store) : store_(store) {
        {
            std::lock_guard lock(store_.readers_mutex_);
            if (!store_.idle_readers_.empty()) {
                connection_ = std::move(store_.idle_readers_.back());
                store_.idle_readers_.pop_back();
                reused_ = true;
            }
        }
        if (!connection_ || !connection_->ok()) {
            connection_ = store_.connect();  // outside the lock: connecting takes a round trip
            reused_ = false;
        }
    }
    ~ReaderLease() {
        if (!connection_->ok() || connection_->in_transaction()) return;  // closes it
        std::lock_guard lock(store_.readers_mutex_);
        if (store_.idle_readers_.size() < kIdleReadersMax) {
            store_.idle_readers_.push_back(std::move(connection_));
        }
    }
    ReaderLease(const ReaderLease&) = delete;
    ReaderLease& operator=(const ReaderLease&) = delete;

    Connection& connection() { return *connection_; }
    // Taken from the pool: it may have died while idle (a server restart) unnoticed.
    bool reused() const { return reused_; }

private:
    PostgresOrderStore& store_;
    std::unique_ptr<Connection> connection_;
    bool reused_ = false;
};

namespace {

// Runs `body` on a pooled connection; libpq failures become StoreError. A pooled connection
// found dead is replaced once (reads are safe to repeat), so the first read after a server
// restart does not fail.
template <class Lease, class Store, class Body>
auto read_with(Store& store, std::string_view what, Body body) {
    for (int attempt = 0;; ++attempt) {
        try {
            Lease lease(store);
            try {
                return body(lease.connection());
            } catch (const clients::pg::Error& error) {
                if (!error.connection_lost() || !lease.reused() || attempt > 0) throw;
            }
        } catch (const clients::pg::Error& error) {
            throw translate(error, what);
        }
    }
}

}  // namespace

PostgresOrderStore::PostgresOrderStore(std::string conninfo) : conninfo_(std::move(conninfo)) {
    writer_ = connect();
    postgres::check_schema_version(*writer_);
}

PostgresOrderStore::~PostgresOrderStore() = default;

std::unique_ptr<Connection> PostgresOrderStore::connect() const {
    try {
        return std::make_unique<Connection>(conninfo_);
    } catch (const clients::pg::Error& error) {
        throw translate(error, "orders database");
    }
}

void PostgresOrderStore::apply(std::span<const domain::JournalEntry> batch) {
    FS_CHECK(!applying_.exchange(true));  // the contract: one thread at a time
    struct Done {
        std::atomic<bool>& applying;
        ~Done() { applying = false; }
    } done{applying_};

    std::vector<Query> queries{Query{"BEGIN", {}}};
    // The entry of each query after BEGIN; for a run of reservations, the run's first.
    std::vector<const domain::JournalEntry*> entries;
    try {
        std::vector<const domain::JournalEntry*> run;  // consecutive reservations, in order
        auto end_run = [&] {
            if (run.empty()) return;
            queries.push_back(reservations_query(run));
            entries.push_back(run.front());
            run.clear();
        };
        for (const auto& entry : batch) {
            if (std::holds_alternative<domain::OrderReserved>(entry)) {
                run.push_back(&entry);
            } else if (auto query = to_query(entry)) {
                end_run();  // a later transition may move an order this run inserts
                queries.push_back(std::move(*query));
                entries.push_back(&entry);
            }
        }
        end_run();
    } catch (const clients::pg::Error& error) {  // a parameter libpq cannot send
        throw ConstraintViolation(fmt::format("apply refused: {}", error.what()));
    }
    if (entries.empty()) return;  // barriers only: nothing to write
    // A connection that died while idle (a server restart) is replaced once: the batch cannot
    // have reached the server, and it is idempotent anyway.
    bool fresh = !writer_ || !writer_->ok();
    for (;;) {
        if (!writer_ || !writer_->ok()) writer_ = connect();  // reconnects after a lost one
        try {
            commit_batch(queries, entries);
            return;
        } catch (const clients::pg::Error& error) {
            bool refused = error.refused() && !error.connection_lost();
            end_failed_apply(refused);
            if (refused) throw ConstraintViolation(fmt::format("apply refused: {}", error.what()));
            if (!error.connection_lost() || fresh) throw translate(error, "apply failed");
            fresh = true;
        } catch (const StoreError&) {  // a journal that disagrees with the stored rows
            end_failed_apply(true);
            throw;
        }
    }
}

void PostgresOrderStore::commit_batch(const std::vector<clients::pg::Query>& queries,
                                      const std::vector<const domain::JournalEntry*>& entries) {
    auto results = writer_->pipeline(queries);
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const auto& result = results[i + 1];
        if (const auto* moved = std::get_if<domain::OrderTransitioned>(entries[i])) {
            check_transition(*moved, result);
        } else if (std::holds_alternative<domain::OrderReserved>(*entries[i]) &&
                   result.int64(0, 0) != 0) {
            throw ConstraintViolation("a sale of the batch's orders does not exist");
        }
    }
    writer_->exec("COMMIT");
}

// After a refusal the connection is still good: roll back and keep it. After anything else the
// connection's state is unknown: drop it, the next apply opens a new one (and the server rolls
// back whatever the old one left open).
void PostgresOrderStore::end_failed_apply(bool refused) noexcept {
    if (refused && writer_ && writer_->ok()) {
        try {
            writer_->exec("ROLLBACK");
            return;
        } catch (const clients::pg::Error&) {
            // Fall through: drop the connection.
        }
    }
    writer_.reset();
}

std::vector<domain::Sale> PostgresOrderStore::load_sales() {
    return read_with<ReaderLease>(*this, "load_sales", [](Connection& connection) {
        auto result = connection.exec(
            fmt::format("SELECT {} FROM sales ORDER BY id", kSaleColumns));
        std::vector<domain::Sale> sales;
        for (int row = 0; row < result.rows(); ++row) sales.push_back(read_sale(result, row));
        return sales;
    });
}

std::vector<domain::Order> PostgresOrderStore::load_orders(std::string_view sale_id) {
    return read_with<ReaderLease>(*this, "load_orders", [&](Connection& connection) {
        auto result = connection.exec(fmt::format("SELECT {} FROM orders WHERE sale_id = $1 "
                                                  "ORDER BY created_at_ms, id",
                                                  kOrderColumns),
                                      Params().text(sale_id));
        std::vector<domain::Order> orders;
        for (int row = 0; row < result.rows(); ++row) orders.push_back(read_order(result, row));
        return orders;
    });
}

std::optional<domain::Order> PostgresOrderStore::find_order(std::string_view order_id) {
    return read_with<ReaderLease>(
        *this, "find_order", [&](Connection& connection) -> std::optional<domain::Order> {
            auto result = connection.exec(
                fmt::format("SELECT {} FROM orders WHERE id = $1", kOrderColumns),
                Params().text(order_id));
            if (result.rows() == 0) return std::nullopt;
            return read_order(result, 0);
        });
}

SaleCounts PostgresOrderStore::counts(std::string_view sale_id) {
    return read_with<ReaderLease>(*this, "counts", [&](Connection& connection) {
        auto result = connection.exec(
            "SELECT status, SUM(quantity) FROM orders WHERE sale_id = $1 GROUP BY status",
            Params().text(sale_id));
        SaleCounts counts;
        for (int row = 0; row < result.rows(); ++row) {
            auto status = domain::parse_order_status(result.text(row, 0));
            if (!status) {
                throw StoreError(fmt::format("sale {} has orders of unknown status", sale_id));
            }
            auto units = result.int64(row, 1);
            counts.add(*status, units);
        }
        return counts;
    });
}

std::vector<Violation> PostgresOrderStore::verify(std::optional<std::string> sale_id) {
    return read_with<ReaderLease>(*this, "verify", [&](Connection& connection) {
        return postgres::verify_invariants(connection, sale_id, kViolationsPerCheckMax);
    });
}

bool PostgresOrderStore::ping() {
    try {
        return read_with<ReaderLease>(*this, "ping", [](Connection& connection) {
            return connection.exec("SELECT 1").rows() == 1;
        });
    } catch (const std::exception&) {
        return false;
    }
}

}  // namespace flashsale::orders
