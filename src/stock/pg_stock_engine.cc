#include "stock/pg_stock_engine.h"

#include <limits>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "clients/postgres.h"
#include "common/blocking.h"
#include "common/check.h"

namespace flashsale::stock {
namespace {

using clients::pg::Connection;
using clients::pg::Params;
using clients::pg::Transaction;
using domain::Order;
using domain::OrderStatus;

constexpr int kTransientAttemptsMax = 8;  // deadlocks, serialization failures, key races

// The database's clock, in Unix milliseconds: the one clock of every pg-* decision.
constexpr std::string_view kNowMs = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

constexpr std::string_view kOrderColumns =
    "id, sale_id, user_id, quantity, status, created_at_ms, expires_at_ms, updated_at_ms, "
    "idempotency_key";
constexpr std::string_view kSaleColumns =
    "id, name, stock, per_user_limit, price_cents, starts_at_ms, ends_at_ms, reservation_ttl_s, "
    "require_token, paused, pow_difficulty_bits, rate_limit_per_s, rate_limit_burst";

std::int32_t to_int32(std::int64_t value) {
    FS_CHECK(value >= std::numeric_limits<std::int32_t>::min() &&
             value <= std::numeric_limits<std::int32_t>::max());
    return static_cast<std::int32_t>(value);
}

// `r` holds kOrderColumns from column `first` on.
Order read_order(const clients::pg::Result& r, int row, int first = 0) {
    Order order;
    order.id = r.text(row, first);
    order.sale_id = r.text(row, first + 1);
    order.user_id = r.text(row, first + 2);
    order.quantity = to_int32(r.int64(row, first + 3));
    order.status = domain::parse_order_status(r.text(row, first + 4)).value_or(OrderStatus::kReserved);
    order.created_at = from_unix_ms(r.int64(row, first + 5));
    order.expires_at = from_unix_ms(r.int64(row, first + 6));
    order.updated_at = from_unix_ms(r.int64(row, first + 7));
    order.idempotency_key = r.text(row, first + 8);
    return order;
}

// `r` holds kSaleColumns from column 0 on.
domain::Sale read_sale(const clients::pg::Result& r, int row) {
    domain::Sale sale;
    sale.id = r.text(row, 0);
    sale.name = r.text(row, 1);
    sale.stock = r.int64(row, 2);
    sale.per_user_limit = to_int32(r.int64(row, 3));
    sale.price_cents = r.int64(row, 4);
    sale.starts_at = from_unix_ms(r.int64(row, 5));
    sale.ends_at = from_unix_ms(r.int64(row, 6));
    sale.reservation_ttl_s = to_int32(r.int64(row, 7));
    sale.require_token = r.boolean(row, 8);
    sale.paused = r.boolean(row, 9);
    sale.pow_difficulty_bits = to_int32(r.int64(row, 10));
    sale.rate_limit_per_s = to_int32(r.int64(row, 11));
    sale.rate_limit_burst = to_int32(r.int64(row, 12));
    return sale;
}

Params& sale_params(Params& params, const domain::Sale& s) {
    params.text(s.id).text(s.name).int64(s.stock).int64(s.per_user_limit);
    params.int64(s.price_cents).int64(to_unix_ms(s.starts_at)).int64(to_unix_ms(s.ends_at));
    params.int64(s.reservation_ttl_s).boolean(s.require_token).boolean(s.paused);
    params.int64(s.pow_difficulty_bits).int64(s.rate_limit_per_s).int64(s.rate_limit_burst);
    return params;
}

}  // namespace

// What the stock decision needs of a sale row, with the database's time.
struct PgSaleRow {
    std::int64_t stock = 0;
    std::int64_t sold = 0;
    std::int32_t per_user_limit = 1;
    std::int32_t reservation_ttl_s = 1;
    std::int64_t starts_at_ms = 0;
    std::int64_t ends_at_ms = 0;
    bool paused = false;
    std::int64_t version = 0;
    std::int64_t now_ms = 0;
};

namespace {

std::optional<PgSaleRow> select_sale(Connection& c, const std::string& sale_id, bool for_update) {
    auto sql = fmt::format(
        "SELECT stock, sold, per_user_limit, reservation_ttl_s, starts_at_ms, ends_at_ms, paused, "
        "version, {} FROM sales WHERE id = $1{}",
        kNowMs, for_update ? " FOR UPDATE" : "");
    auto r = c.exec(sql, Params().text(sale_id));
    if (r.rows() == 0) return std::nullopt;
    return PgSaleRow{.stock = r.int64(0, 0),
                   .sold = r.int64(0, 1),
                   .per_user_limit = to_int32(r.int64(0, 2)),
                   .reservation_ttl_s = to_int32(r.int64(0, 3)),
                   .starts_at_ms = r.int64(0, 4),
                   .ends_at_ms = r.int64(0, 5),
                   .paused = r.boolean(0, 6),
                   .version = r.int64(0, 7),
                   .now_ms = r.int64(0, 8)};
}

std::int64_t user_units(Connection& c, const std::string& sale_id, const std::string& user_id) {
    auto r = c.exec("SELECT live FROM sale_buyers WHERE sale_id = $1 AND user_id = $2",
                    Params().text(sale_id).text(user_id));
    return r.rows() == 0 ? 0 : r.int64(0, 0);
}

// The same refusals, in the same order, as SaleBook::reserve: window, pause, limit, stock.
std::optional<Error> refusal_of(const PgSaleRow& row, std::int64_t held, std::int32_t quantity) {
    if (row.now_ms < row.starts_at_ms) {
        return make_error(Errc::kNotStarted, "the sale has not started");
    }
    if (row.now_ms >= row.ends_at_ms) return make_error(Errc::kEnded, "the sale has ended");
    if (row.paused) return make_error(Errc::kNotStarted, "the sale is paused");
    if (held + quantity > row.per_user_limit) {
        return make_error(Errc::kLimitReached, "at most " + std::to_string(row.per_user_limit) +
                                                   " per user in this sale");
    }
    if (row.sold + quantity > row.stock) return make_error(Errc::kSoldOut, "not enough stock left");
    return std::nullopt;
}

// The buyer's live units grow by the quantity, within both the sale's limit and the row's own
// limit_units; false when that would pass either (another request of the same user won).
bool take_user_units(Connection& c, const ReserveRequest& request, std::int32_t limit) {
    auto r = c.exec(R"sql(
INSERT INTO sale_buyers (sale_id, user_id, live, limit_units) VALUES ($1, $2, $3, $4)
ON CONFLICT (sale_id, user_id) DO UPDATE SET live = sale_buyers.live + excluded.live
WHERE sale_buyers.live + excluded.live <= sale_buyers.limit_units
  AND sale_buyers.live + excluded.live <= excluded.limit_units
RETURNING live)sql",
                    Params()
                        .text(request.sale_id)
                        .text(request.user_id)
                        .int64(request.quantity)
                        .int64(limit));
    return r.rows() == 1;
}

// Gives a released order's units back to the sale and to its buyer.
void release_units(Connection& c, const Order& order) {
    c.exec("UPDATE sales SET sold = sold - $2, version = version + 1 WHERE id = $1",
           Params().text(order.sale_id).int64(order.quantity));
    c.exec(R"sql(
UPDATE sale_buyers b SET live = b.live - $3,
    limit_units = GREATEST(b.live - $3, s.per_user_limit)
FROM sales s WHERE s.id = b.sale_id AND b.sale_id = $1 AND b.user_id = $2)sql",
           Params().text(order.sale_id).text(order.user_id).int64(order.quantity));
}

// The order a request with this idempotency key made before, if any (none without a key).
std::optional<Order> find_by_key(Connection& c, const ReserveRequest& request) {
    if (request.idempotency_key.empty()) return std::nullopt;
    auto sql = fmt::format("SELECT {} FROM orders WHERE sale_id = $1 AND user_id = $2 AND "
                           "idempotency_key = $3",
                           kOrderColumns);
    auto found = c.exec(
        sql, Params().text(request.sale_id).text(request.user_id).text(request.idempotency_key));
    if (found.rows() == 0) return std::nullopt;
    return read_order(found, 0);
}

bool transient(const clients::pg::Error& error) {
    const auto& state = error.sqlstate();
    // serialization failure, deadlock, unique violation (two requests with one idempotency key:
    // the loser retries and finds the winner's order).
    return state == "40001" || state == "40P01" || state == "23505";
}

}  // namespace

std::optional<PgStrategy> parse_pg_strategy(std::string_view engine) {
    if (engine == "pg-lock") return PgStrategy::kLock;
    if (engine == "pg-optimistic") return PgStrategy::kOptimistic;
    if (engine == "pg-guarded") return PgStrategy::kGuarded;
    return std::nullopt;
}

std::string_view to_string(PgStrategy strategy) {
    switch (strategy) {
        case PgStrategy::kLock: return "pg-lock";
        case PgStrategy::kOptimistic: return "pg-optimistic";
        case PgStrategy::kGuarded: return "pg-guarded";
    }
    return "?";
}

// A connection borrowed from the engine's idle list for one call; returned unless it broke.
class PgStockEngine::Lease {
public:
    explicit Lease(PgStockEngine& engine) : engine_(engine) {
        {
            std::lock_guard lock(engine_.idle_mutex_);
            if (!engine_.idle_.empty()) {
                connection_ = std::move(engine_.idle_.back());
                engine_.idle_.pop_back();
            }
        }
        if (!connection_ || !connection_->ok()) {
            connection_ = std::make_unique<Connection>(engine_.conninfo_);
        }
    }
    ~Lease() {
        if (!connection_ || !connection_->ok() || connection_->in_transaction()) return;
        std::lock_guard lock(engine_.idle_mutex_);
        engine_.idle_.push_back(std::move(connection_));
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Connection& connection() { return *connection_; }

private:
    PgStockEngine& engine_;
    std::unique_ptr<Connection> connection_;
};

PgStockEngine::PgStockEngine(std::string conninfo, PgEngineOptions options)
    : conninfo_(std::move(conninfo)), options_(options), pool_(options.connections) {}

PgStockEngine::~PgStockEngine() { stop(); }

// Runs `body(connection)` on a pooled connection, retrying transient failures; a database
// that cannot answer is kUnavailable (503 with Retry-After), never a guess.
template <class T, class Body>
Result<T> PgStockEngine::with_connection(Body& body) {
    for (int attempt = 1;; ++attempt) {
        // Once stop() began, what is still queued belongs to connections the server has
        // closed: answer at once instead of running thousands of queued transactions (a storm
        // queues them all) before the process may exit.
        if (stopped_) return make_error(Errc::kUnavailable, "the server is stopping");
        try {
            Lease lease(*this);
            return body(lease.connection());
        } catch (const clients::pg::Error& error) {
            if (transient(error) && attempt < kTransientAttemptsMax) continue;
            if (!error.connection_lost()) spdlog::warn("{}: {}", to_string(options_.strategy),
                                                       error.what());
            return make_error(Errc::kUnavailable, "the stock database cannot answer");
        }
    }
}

// A plain function (not a coroutine): the awaitable it returns owns `body`.
template <class T, class Body>
Awaitable<Result<T>> PgStockEngine::run(Body body) {
    auto work = [this, body = std::move(body)]() mutable { return with_connection<T>(body); };
    return run_blocking(pool_, std::move(work));
}

// A refused attempt may have waited (for the sale's lock, the version, the buyer's row) on a
// request with the same idempotency key that has committed since: that one's order is the
// answer, not the refusal it caused. READ COMMITTED: this read sees the commit.
Result<Order> PgStockEngine::reserve_once(Connection& c, const ReserveRequest& request) {
    auto refused = reserve_step(c, request);
    if (refused || request.idempotency_key.empty()) return refused;
    if (auto first = find_by_key(c, request)) return *first;
    return refused;
}

// Takes the quantity from the sale by the engine's strategy, inside the caller's transaction:
// the sale's row (with the database's time) after the change, or the refusal.
Result<PgSaleRow> PgStockEngine::take_stock(Connection& c, const ReserveRequest& request) {
    std::optional<PgSaleRow> row;
    switch (options_.strategy) {
        case PgStrategy::kLock: {
            row = select_sale(c, request.sale_id, /*for_update=*/true);
            if (!row) return make_error(Errc::kNotFound, "no such sale");
            auto held = user_units(c, request.sale_id, request.user_id);
            if (auto refused = refusal_of(*row, held, request.quantity)) return *refused;
            c.exec("UPDATE sales SET sold = sold + $2, version = version + 1 WHERE id = $1",
                   Params().text(request.sale_id).int64(request.quantity));
            break;
        }
        case PgStrategy::kOptimistic: {
            // READ COMMITTED: each read sees the latest committed row, and the UPDATE waits for
            // a concurrent writer, then finds the version moved and changes nothing.
            bool taken = false;
            for (int attempt = 0; attempt < options_.optimistic_attempts_max && !taken;
                 ++attempt) {
                if (stopped_) return make_error(Errc::kUnavailable, "the server is stopping");
                row = select_sale(c, request.sale_id, /*for_update=*/false);
                if (!row) return make_error(Errc::kNotFound, "no such sale");
                auto held = user_units(c, request.sale_id, request.user_id);
                if (auto refused = refusal_of(*row, held, request.quantity)) return *refused;
                auto updated = c.exec(
                    "UPDATE sales SET sold = sold + $2, version = version + 1 "
                    "WHERE id = $1 AND version = $3",
                    Params().text(request.sale_id).int64(request.quantity).int64(row->version));
                taken = updated.affected_rows() == 1;
            }
            if (!taken) {
                spdlog::warn("pg-optimistic: {} attempts lost on sale {}",
                             options_.optimistic_attempts_max, request.sale_id);
                return make_error(Errc::kOverloaded, "too much contention on the sale");
            }
            break;
        }
        case PgStrategy::kGuarded: {
            auto sql = fmt::format(R"sql(
WITH t AS (SELECT {} AS now_ms)
UPDATE sales SET sold = sold + $2, version = version + 1 FROM t
WHERE id = $1 AND sold + $2 <= stock AND NOT paused
  AND starts_at_ms <= t.now_ms AND t.now_ms < ends_at_ms AND $2 <= per_user_limit
RETURNING per_user_limit, reservation_ttl_s, t.now_ms)sql",
                                   kNowMs);
            auto taken = c.exec(sql, Params().text(request.sale_id).int64(request.quantity));
            if (taken.rows() == 0) {  // why not: the same answer as the other engines
                row = select_sale(c, request.sale_id, /*for_update=*/false);
                if (!row) return make_error(Errc::kNotFound, "no such sale");
                auto held = user_units(c, request.sale_id, request.user_id);
                if (auto refused = refusal_of(*row, held, request.quantity)) return *refused;
                return make_error(Errc::kSoldOut, "not enough stock left");
            }
            row = PgSaleRow{.per_user_limit = to_int32(taken.int64(0, 0)),
                          .reservation_ttl_s = to_int32(taken.int64(0, 1)),
                          .now_ms = taken.int64(0, 2)};
            break;
        }
    }
    return *row;
}

Result<Order> PgStockEngine::reserve_step(Connection& c, const ReserveRequest& request) {
    Transaction transaction(c);
    if (auto first = find_by_key(c, request)) return *first;
    auto row = take_stock(c, request);
    if (!row) return row.error();
    if (!take_user_units(c, request, row->per_user_limit)) {
        return make_error(Errc::kLimitReached, "at most " + std::to_string(row->per_user_limit) +
                                                   " per user in this sale");
    }
    auto now = from_unix_ms(row->now_ms);
    Order order{.id = domain::new_order_id(now),
                .sale_id = request.sale_id,
                .user_id = request.user_id,
                .quantity = request.quantity,
                .status = OrderStatus::kReserved,
                .created_at = now,
                .expires_at = now + std::chrono::seconds(row->reservation_ttl_s),
                .updated_at = now,
                .idempotency_key = request.idempotency_key};
    Params params;
    params.text(order.id).text(order.sale_id).text(order.user_id).int64(order.quantity);
    params.int64(row->now_ms).int64(to_unix_ms(order.expires_at)).int64(row->now_ms);
    if (order.idempotency_key.empty()) {
        params.null();
    } else {
        params.text(order.idempotency_key);
    }
    c.exec("INSERT INTO orders (id, sale_id, user_id, quantity, status, created_at_ms, "
           "expires_at_ms, updated_at_ms, idempotency_key) "
           "VALUES ($1, $2, $3, $4, 'reserved', $5, $6, $7, $8)",
           params);
    transaction.commit();  // durable before the caller answers 202
    return order;
}

Awaitable<Result<Order>> PgStockEngine::reserve(ReserveRequest request) {
    auto body = [this, request = std::move(request)](Connection& c) -> Result<Order> {
        auto reserved = reserve_once(c, request);
        if (!reserved) count_refusal(request.sale_id, reserved.error().code);
        return reserved;
    };
    return run<Order>(std::move(body));
}

// reserved -> `to`; a payment after the deadline expires the order instead (as in SaleBook).
Result<Order> PgStockEngine::transition_once(Connection& c, const std::string& sale_id,
                                             const std::string& order_id, OrderStatus to) {
    Transaction transaction(c);
    auto sql = fmt::format("SELECT {}, {} FROM orders WHERE id = $1 AND sale_id = $2 FOR UPDATE",
                           kNowMs, kOrderColumns);
    auto found = c.exec(sql, Params().text(order_id).text(sale_id));
    if (found.rows() == 0) return make_error(Errc::kNotFound, "no such order");
    auto now_ms = found.int64(0, 0);
    auto order = read_order(found, 0, 1);
    if (order.status != OrderStatus::kReserved) {
        return make_error(Errc::kInvalidTransition, "the order is not reserved");
    }
    bool late = to == OrderStatus::kPaid && now_ms >= to_unix_ms(order.expires_at);
    auto next = late ? OrderStatus::kExpired : to;
    FS_CHECK(domain::transition(order, next, from_unix_ms(now_ms)).ok());
    c.exec("UPDATE orders SET status = $2, updated_at_ms = $3 WHERE id = $1",
           Params().text(order.id).text(domain::to_string(next)).int64(now_ms));
    if (!domain::holds_stock(next)) release_units(c, order);
    transaction.commit();
    if (late) return make_error(Errc::kInvalidTransition, "the reservation has expired");
    return order;
}

Awaitable<Result<Order>> PgStockEngine::pay(std::string sale_id, std::string order_id) {
    auto body = [this, sale_id = std::move(sale_id), order_id = std::move(order_id)](
                    Connection& c) { return transition_once(c, sale_id, order_id, OrderStatus::kPaid); };
    return run<Order>(std::move(body));
}

Awaitable<Result<Order>> PgStockEngine::cancel(std::string sale_id, std::string order_id) {
    auto body = [this, sale_id = std::move(sale_id), order_id = std::move(order_id)](
                    Connection& c) {
        return transition_once(c, sale_id, order_id, OrderStatus::kCancelled);
    };
    return run<Order>(std::move(body));
}

Awaitable<Result<Order>> PgStockEngine::find_order(std::string) {
    co_return make_error(Errc::kNotFound, "the order store holds the orders");
}

Awaitable<Result<domain::Sale>> PgStockEngine::create_sale(domain::Sale sale) {
    auto body = [sale = std::move(sale)](Connection& c) -> Result<domain::Sale> {
        if (auto valid = domain::validate(sale); !valid) return valid.error();
        Params params;
        sale_params(params, sale);
        auto inserted = c.exec(
            "INSERT INTO sales (id, name, stock, per_user_limit, price_cents, starts_at_ms, "
            "ends_at_ms, reservation_ttl_s, require_token, paused, pow_difficulty_bits, "
            "rate_limit_per_s, rate_limit_burst) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
            "$10, $11, $12, $13) ON CONFLICT (id) DO NOTHING",
            params);
        if (inserted.affected_rows() == 0) {
            return make_error(Errc::kConflict, "a sale with this id exists");
        }
        return sale;
    };
    return run<domain::Sale>(std::move(body));
}

// The same checks as SaleBook::check_update, on the stored rows, under the sale's row lock.
Result<domain::Sale> PgStockEngine::update_once(Connection& c, const std::string& sale_id,
                                                const domain::SalePatch& patch) {
    Transaction transaction(c);
    auto current = c.exec(fmt::format("SELECT {}, sold FROM sales WHERE id = $1 FOR UPDATE",
                                      kSaleColumns),
                          Params().text(sale_id));
    if (current.rows() == 0) return make_error(Errc::kNotFound, "no such sale");
    auto sold = current.int64(0, 13);
    auto next = domain::apply(read_sale(current, 0), patch);
    if (auto valid = domain::validate(next); !valid) return valid.error();
    if (next.stock < sold) {
        return make_error(Errc::kConflict,
                          "stock cannot go below the " + std::to_string(sold) + " units sold");
    }
    auto held = c.exec("SELECT COALESCE(MAX(live), 0) FROM sale_buyers WHERE sale_id = $1",
                       Params().text(sale_id));
    if (next.per_user_limit < held.int64(0, 0)) {
        return make_error(Errc::kConflict, "a user already holds more than that limit");
    }
    auto span = c.exec("SELECT MIN(created_at_ms), MAX(created_at_ms) FROM orders "
                       "WHERE sale_id = $1",
                       Params().text(sale_id));
    if (!span.is_null(0, 0) && (to_unix_ms(next.starts_at) > span.int64(0, 0) ||
                                to_unix_ms(next.ends_at) <= span.int64(0, 1))) {
        return make_error(Errc::kConflict, "the window would exclude existing orders");
    }
    Params params;
    sale_params(params, next);
    c.exec("UPDATE sales SET name = $2, stock = $3, per_user_limit = $4, price_cents = $5, "
           "starts_at_ms = $6, ends_at_ms = $7, reservation_ttl_s = $8, require_token = $9, "
           "paused = $10, pow_difficulty_bits = $11, rate_limit_per_s = $12, "
           "rate_limit_burst = $13, version = version + 1 WHERE id = $1",
           params);
    c.exec("UPDATE sale_buyers SET limit_units = GREATEST($2::bigint, live) WHERE sale_id = $1",
           Params().text(sale_id).int64(next.per_user_limit));
    transaction.commit();
    return next;
}

Awaitable<Result<domain::Sale>> PgStockEngine::update_sale(std::string sale_id,
                                                           domain::SalePatch patch) {
    auto body = [this, sale_id = std::move(sale_id), patch = std::move(patch)](Connection& c) {
        return update_once(c, sale_id, patch);
    };
    return run<domain::Sale>(std::move(body));
}

Result<std::vector<SaleView>> PgStockEngine::views(Connection& c,
                                                   const std::optional<std::string>& sale_id) {
    auto sql = fmt::format(R"sql(
SELECT {}, n.reserved, n.paid, n.cancelled, n.expired, {}
FROM sales s LEFT JOIN LATERAL (
    SELECT COALESCE(SUM(quantity) FILTER (WHERE status = 'reserved'), 0) AS reserved,
           COALESCE(SUM(quantity) FILTER (WHERE status = 'paid'), 0) AS paid,
           COALESCE(SUM(quantity) FILTER (WHERE status = 'cancelled'), 0) AS cancelled,
           COALESCE(SUM(quantity) FILTER (WHERE status = 'expired'), 0) AS expired
    FROM orders o WHERE o.sale_id = s.id) n ON true
WHERE $1::text IS NULL OR s.id = $1 ORDER BY s.id)sql",
                           kSaleColumns, kNowMs);
    Params params;
    if (sale_id) {
        params.text(*sale_id);
    } else {
        params.null();
    }
    auto r = c.exec(sql, params);
    std::vector<SaleView> found;
    std::lock_guard lock(refusals_mutex_);
    for (int row = 0; row < r.rows(); ++row) {
        SaleView view{.sale = read_sale(r, row),
                      .reserved = r.int64(row, 13),
                      .paid = r.int64(row, 14),
                      .cancelled = r.int64(row, 15),
                      .expired = r.int64(row, 16),
                      .engine_now = from_unix_ms(r.int64(row, 17))};
        if (auto counted = refusals_.find(view.sale.id); counted != refusals_.end()) {
            view.refusals = counted->second;
        }
        found.push_back(std::move(view));
    }
    return found;
}

Awaitable<Result<SaleView>> PgStockEngine::view(std::string sale_id) {
    auto body = [this, sale_id = std::move(sale_id)](Connection& c) -> Result<SaleView> {
        auto found = views(c, sale_id);
        if (!found) return found.error();
        if (found->empty()) return make_error(Errc::kNotFound, "no such sale");
        return std::move(found->front());
    };
    return run<SaleView>(std::move(body));
}

Awaitable<std::vector<SaleView>> PgStockEngine::list() {
    auto body = [this](Connection& c) { return views(c, std::nullopt); };
    auto pending = run<std::vector<SaleView>>(std::move(body));
    auto found = co_await std::move(pending);
    if (!found) co_return std::vector<SaleView>{};
    co_return std::move(*found);
}

void PgStockEngine::count_refusal(const std::string& sale_id, Errc code) {
    std::lock_guard lock(refusals_mutex_);
    auto& counts = refusals_[sale_id];
    if (code == Errc::kSoldOut) ++counts.sold_out;
    if (code == Errc::kLimitReached) ++counts.limit_reached;
    if (code == Errc::kNotStarted) ++counts.not_started;
    if (code == Errc::kEnded) ++counts.ended;
}

// One transaction: the due reservations (oldest deadline first, those another sweeper holds
// skipped) become expired, and their units return to their sales and buyers.
std::int64_t PgStockEngine::expire_due() {
    auto body = [this](Connection& c) -> Result<std::vector<domain::Order>> {
        auto sql = fmt::format(R"sql(
WITH t AS (SELECT {} AS now_ms),
due AS (
    SELECT o.id FROM orders o, t WHERE o.status = 'reserved' AND o.expires_at_ms <= t.now_ms
    ORDER BY o.expires_at_ms LIMIT $1 FOR UPDATE OF o SKIP LOCKED),
moved AS (
    UPDATE orders o SET status = 'expired', updated_at_ms = t.now_ms FROM due, t
    WHERE o.id = due.id RETURNING o.id, o.sale_id, o.user_id, o.quantity, o.updated_at_ms),
per_sale AS (SELECT sale_id, SUM(quantity) AS units FROM moved GROUP BY sale_id),
restocked AS (
    UPDATE sales s SET sold = s.sold - p.units, version = s.version + 1 FROM per_sale p
    WHERE s.id = p.sale_id RETURNING s.id, s.per_user_limit),
per_user AS (
    SELECT sale_id, user_id, SUM(quantity) AS units FROM moved GROUP BY sale_id, user_id),
buyers AS (
    UPDATE sale_buyers b SET live = b.live - u.units,
        limit_units = GREATEST(b.live - u.units, r.per_user_limit)
    FROM per_user u JOIN restocked r ON r.id = u.sale_id
    WHERE b.sale_id = u.sale_id AND b.user_id = u.user_id RETURNING 1)
SELECT id, sale_id, user_id, quantity, updated_at_ms FROM moved)sql",
                               kNowMs);
        auto r = c.exec(sql, Params().int64(options_.expiry_batch));
        std::vector<domain::Order> moved;
        for (int row = 0; row < r.rows(); ++row) {
            moved.push_back({.id = r.text(row, 0),
                             .sale_id = r.text(row, 1),
                             .user_id = r.text(row, 2),
                             .quantity = static_cast<std::int32_t>(r.int64(row, 3)),
                             .status = domain::OrderStatus::kExpired,
                             .updated_at = from_unix_ms(r.int64(row, 4))});
        }
        return moved;
    };
    auto expired = with_connection<std::vector<domain::Order>>(body);
    if (!expired) return 0;
    // Told once the statement has committed, never from an attempt that may be retried.
    if (observer_) {
        for (const auto& order : *expired) observer_("expired", order);
    }
    return static_cast<std::int64_t>(expired->size());
}

void PgStockEngine::sweep_loop() {
    std::unique_lock lock(sweeper_mutex_);
    while (!sweeper_stopping_) {
        sweeper_wake_.wait_for(lock, options_.expiry_sweep_interval,
                               [this] { return sweeper_stopping_; });
        if (sweeper_stopping_) break;
        lock.unlock();
        // A full batch may leave more due: sweep again at once, a bounded number of times.
        for (int batch = 0; batch < 64 && expire_due() == options_.expiry_batch; ++batch) {
        }
        lock.lock();
    }
}

void PgStockEngine::start() {
    sweeper_ = std::thread([this] { sweep_loop(); });
}

void PgStockEngine::stop_sweeper() {
    {
        std::lock_guard lock(sweeper_mutex_);
        sweeper_stopping_ = true;
    }
    sweeper_wake_.notify_all();
    if (sweeper_.joinable()) sweeper_.join();
}

void PgStockEngine::stop() {
    stop_sweeper();
    if (stopped_.exchange(true)) return;
    pool_.join();
}

}  // namespace flashsale::stock
