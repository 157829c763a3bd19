#include "orders/postgres_verify.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "clients/postgres.h"

namespace flashsale::orders::postgres {
namespace {

using clients::pg::Connection;
using clients::pg::Params;
using clients::pg::Result;

// In every query, $1 is the sale filter (NULL for all sales); in the row checks $2 is the limit.
constexpr std::string_view kTotals = R"sql(
SELECT s.id, s.stock, s.sold,
       COALESCE(SUM(o.quantity) FILTER (WHERE o.status IN ('reserved', 'paid')), 0)
FROM sales s LEFT JOIN orders o ON o.sale_id = s.id
WHERE $1::text IS NULL OR s.id = $1
GROUP BY s.id ORDER BY s.id)sql";

constexpr std::string_view kUsersAboveLimit = R"sql(
SELECT o.sale_id, o.user_id, SUM(o.quantity), MAX(s.per_user_limit)
FROM orders o JOIN sales s ON s.id = o.sale_id
WHERE o.status IN ('reserved', 'paid') AND ($1::text IS NULL OR o.sale_id = $1)
GROUP BY o.sale_id, o.user_id HAVING SUM(o.quantity) > MAX(s.per_user_limit)
ORDER BY o.sale_id, o.user_id LIMIT $2)sql";

constexpr std::string_view kBuyerDrift = R"sql(
SELECT COALESCE(b.sale_id, o.sale_id) AS sale, COALESCE(b.user_id, o.user_id) AS buyer,
       COALESCE(b.live, 0), COALESCE(o.live, 0)
FROM sale_buyers b
FULL JOIN (SELECT sale_id, user_id, SUM(quantity) AS live FROM orders
           WHERE status IN ('reserved', 'paid') GROUP BY sale_id, user_id) o
       ON o.sale_id = b.sale_id AND o.user_id = b.user_id
WHERE ($1::text IS NULL OR COALESCE(b.sale_id, o.sale_id) = $1)
  AND COALESCE(b.live, 0) <> COALESCE(o.live, 0)
  AND EXISTS (SELECT 1 FROM sales s WHERE s.id = COALESCE(b.sale_id, o.sale_id))
ORDER BY 1, 2 LIMIT $2)sql";

constexpr std::string_view kMalformed = R"sql(
SELECT o.sale_id, o.id, o.quantity, o.status, o.created_at_ms, o.expires_at_ms, s.id IS NULL
FROM orders o LEFT JOIN sales s ON s.id = o.sale_id
WHERE ($1::text IS NULL OR o.sale_id = $1)
  AND (o.quantity <= 0 OR o.expires_at_ms <= o.created_at_ms OR s.id IS NULL
       OR o.status NOT IN ('reserved', 'paid', 'cancelled', 'expired'))
ORDER BY o.sale_id, o.id LIMIT $2)sql";

constexpr std::string_view kDuplicates = R"sql(
SELECT sale_id, user_id, idempotency_key, COUNT(*)
FROM orders
WHERE idempotency_key IS NOT NULL AND ($1::text IS NULL OR sale_id = $1)
GROUP BY sale_id, user_id, idempotency_key HAVING COUNT(*) > 1
ORDER BY sale_id, user_id, idempotency_key LIMIT $2)sql";

constexpr std::string_view kOutsideWindow = R"sql(
SELECT o.sale_id, o.id, o.created_at_ms, s.starts_at_ms, s.ends_at_ms
FROM orders o JOIN sales s ON s.id = o.sale_id
WHERE ($1::text IS NULL OR o.sale_id = $1)
  AND (o.created_at_ms < s.starts_at_ms OR o.created_at_ms >= s.ends_at_ms)
ORDER BY o.sale_id, o.id LIMIT $2)sql";

// Runs `sql` and hands each row to `describe`, which appends its violations to `out`.
template <class Describe>
void run_check(Connection& connection, std::string_view sql,
               const std::optional<std::string>& sale_id, std::optional<int> limit,
               std::vector<Violation>& out, Describe describe) {
    Params params;
    if (sale_id) {
        params.text(*sale_id);
    } else {
        params.null();
    }
    if (limit) params.int64(*limit);
    auto result = connection.exec(sql, params);
    for (int row = 0; row < result.rows(); ++row) describe(result, row, out);
}

void describe_totals(const Result& r, int row, std::vector<Violation>& out) {
    auto sale_id = r.text(row, 0);
    auto stock = r.int64(row, 1), sold = r.int64(row, 2), live = r.int64(row, 3);
    if (live > stock) {
        out.push_back({"I1", sale_id, fmt::format("live units {} > stock {}", live, stock)});
    }
    if (sold != live) {
        out.push_back({"I5", sale_id,
                       fmt::format("stored sold {} != live (reserved + paid) units {}", sold,
                                   live)});
    }
}

void describe_user_above_limit(const Result& r, int row, std::vector<Violation>& out) {
    out.push_back({"I2", r.text(row, 0),
                   fmt::format("user {} holds {} live units, limit {}", r.text(row, 1),
                               r.int64(row, 2), r.int64(row, 3))});
}

void describe_buyer_drift(const Result& r, int row, std::vector<Violation>& out) {
    out.push_back({"I5", r.text(row, 0),
                   fmt::format("user {}: stored live units {} != live units of the orders {}",
                               r.text(row, 1), r.int64(row, 2), r.int64(row, 3))});
}

void describe_malformed(const Result& r, int row, std::vector<Violation>& out) {
    std::vector<std::string> reasons;
    if (r.int64(row, 2) <= 0) reasons.push_back(fmt::format("quantity {}", r.int64(row, 2)));
    if (r.int64(row, 5) <= r.int64(row, 4)) {
        reasons.push_back(fmt::format("expires_at_ms {} <= created_at_ms {}", r.int64(row, 5),
                                      r.int64(row, 4)));
    }
    if (r.boolean(row, 6)) reasons.emplace_back("unknown sale");
    if (!domain::parse_order_status(r.text(row, 3))) {
        reasons.push_back(fmt::format("unknown status '{}'", r.text(row, 3)));
    }
    out.push_back({"I3", r.text(row, 0),
                   fmt::format("order {}: {}", r.text(row, 1), fmt::join(reasons, "; "))});
}

void describe_duplicate(const Result& r, int row, std::vector<Violation>& out) {
    out.push_back({"I4", r.text(row, 0),
                   fmt::format("user {} has {} orders with idempotency key '{}'", r.text(row, 1),
                               r.int64(row, 3), r.text(row, 2))});
}

void describe_outside_window(const Result& r, int row, std::vector<Violation>& out) {
    out.push_back({"I6", r.text(row, 0),
                   fmt::format("order {} created at {} ms, outside the window [{}, {})",
                               r.text(row, 1), r.int64(row, 2), r.int64(row, 3),
                               r.int64(row, 4))});
}

}  // namespace

std::vector<Violation> verify_invariants(Connection& connection,
                                         const std::optional<std::string>& sale_id,
                                         int per_check_max) {
    clients::pg::Transaction snapshot(connection,
                                      "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    std::vector<Violation> out;
    run_check(connection, kTotals, sale_id, std::nullopt, out, describe_totals);
    run_check(connection, kUsersAboveLimit, sale_id, per_check_max, out,
              describe_user_above_limit);
    run_check(connection, kBuyerDrift, sale_id, per_check_max, out, describe_buyer_drift);
    run_check(connection, kMalformed, sale_id, per_check_max, out, describe_malformed);
    run_check(connection, kDuplicates, sale_id, per_check_max, out, describe_duplicate);
    run_check(connection, kOutsideWindow, sale_id, per_check_max, out, describe_outside_window);
    snapshot.commit();
    return out;
}

}  // namespace flashsale::orders::postgres
