#include "orders/sqlite_verify.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace flashsale::orders::sqlite {
namespace {

// In every query, ?1 is the sale filter (NULL for all sales); in the row checks ?2 is the limit.
constexpr std::string_view kTotals = R"sql(
SELECT s.id, s.stock, s.sold,
       COALESCE(SUM(CASE WHEN o.status IN ('reserved', 'paid') THEN o.quantity END), 0)
FROM sales s LEFT JOIN orders o ON o.sale_id = s.id
WHERE ?1 IS NULL OR s.id = ?1
GROUP BY s.id ORDER BY s.id)sql";

constexpr std::string_view kUsersAboveLimit = R"sql(
SELECT o.sale_id, o.user_id, SUM(o.quantity), MAX(s.per_user_limit)
FROM orders o JOIN sales s ON s.id = o.sale_id
WHERE o.status IN ('reserved', 'paid') AND (?1 IS NULL OR o.sale_id = ?1)
GROUP BY o.sale_id, o.user_id HAVING SUM(o.quantity) > MAX(s.per_user_limit)
ORDER BY o.sale_id, o.user_id LIMIT ?2)sql";

constexpr std::string_view kMalformed = R"sql(
SELECT o.sale_id, o.id, o.quantity, o.status, o.created_at_ms, o.expires_at_ms, s.id IS NULL
FROM orders o LEFT JOIN sales s ON s.id = o.sale_id
WHERE (?1 IS NULL OR o.sale_id = ?1)
  AND (o.quantity <= 0 OR o.expires_at_ms <= o.created_at_ms OR s.id IS NULL
       OR o.status NOT IN ('reserved', 'paid', 'cancelled', 'expired'))
ORDER BY o.sale_id, o.id LIMIT ?2)sql";

constexpr std::string_view kDuplicates = R"sql(
SELECT sale_id, user_id, idempotency_key, COUNT(*)
FROM orders
WHERE idempotency_key IS NOT NULL AND (?1 IS NULL OR sale_id = ?1)
GROUP BY sale_id, user_id, idempotency_key HAVING COUNT(*) > 1
ORDER BY sale_id, user_id, idempotency_key LIMIT ?2)sql";

constexpr std::string_view kOutsideWindow = R"sql(
SELECT o.sale_id, o.id, o.created_at_ms, s.starts_at_ms, s.ends_at_ms
FROM orders o JOIN sales s ON s.id = o.sale_id
WHERE (?1 IS NULL OR o.sale_id = ?1)
  AND (o.created_at_ms < s.starts_at_ms OR o.created_at_ms >= s.ends_at_ms)
ORDER BY o.sale_id, o.id LIMIT ?2)sql";

// Ends the read transaction, also when a check throws.
class ReadTransaction {
public:
    explicit ReadTransaction(Database& db) : db_(db) { db_.exec("BEGIN"); }
    ~ReadTransaction() {
        try {
            if (db_.in_transaction()) db_.exec("ROLLBACK");
        } catch (const StoreError&) {
            // A read transaction holds nothing worth reporting; the connection stays usable.
        }
    }
    ReadTransaction(const ReadTransaction&) = delete;
    ReadTransaction& operator=(const ReadTransaction&) = delete;

private:
    Database& db_;
};

// Runs `sql` and hands each row to `describe`, which appends its violations to `out`.
template <class Describe>
void run_check(Database& db, std::string_view sql, const std::optional<std::string>& sale_id,
               std::optional<int> limit, std::vector<Violation>& out, Describe describe) {
    Statement select(db, sql);
    if (sale_id) {
        select.bind_text(1, *sale_id);
    } else {
        select.bind_null(1);
    }
    if (limit) select.bind_int64(2, *limit);
    while (select.step()) describe(select, out);
}

void describe_totals(const Statement& row, std::vector<Violation>& out) {
    auto sale_id = row.column_text(0);
    auto stock = row.column_int64(1), sold = row.column_int64(2), live = row.column_int64(3);
    if (live > stock) {
        out.push_back({"I1", sale_id, fmt::format("live units {} > stock {}", live, stock)});
    }
    if (sold != live) {
        out.push_back({"I5", sale_id,
                       fmt::format("stored sold {} != live (reserved + paid) units {}", sold,
                                   live)});
    }
}

void describe_user_above_limit(const Statement& row, std::vector<Violation>& out) {
    out.push_back({"I2", row.column_text(0),
                   fmt::format("user {} holds {} live units, limit {}", row.column_text(1),
                               row.column_int64(2), row.column_int64(3))});
}

void describe_malformed(const Statement& row, std::vector<Violation>& out) {
    std::vector<std::string> reasons;
    if (row.column_int64(2) <= 0) {
        reasons.push_back(fmt::format("quantity {}", row.column_int64(2)));
    }
    if (row.column_int64(5) <= row.column_int64(4)) {
        reasons.push_back(fmt::format("expires_at_ms {} <= created_at_ms {}", row.column_int64(5),
                                      row.column_int64(4)));
    }
    if (row.column_int64(6) != 0) reasons.emplace_back("unknown sale");
    if (!domain::parse_order_status(row.column_text(3))) {
        reasons.push_back(fmt::format("unknown status '{}'", row.column_text(3)));
    }
    out.push_back({"I3", row.column_text(0),
                   fmt::format("order {}: {}", row.column_text(1), fmt::join(reasons, "; "))});
}

void describe_duplicate(const Statement& row, std::vector<Violation>& out) {
    out.push_back({"I4", row.column_text(0),
                   fmt::format("user {} has {} orders with idempotency key '{}'",
                               row.column_text(1), row.column_int64(3), row.column_text(2))});
}

void describe_outside_window(const Statement& row, std::vector<Violation>& out) {
    out.push_back({"I6", row.column_text(0),
                   fmt::format("order {} created at {} ms, outside the window [{}, {})",
                               row.column_text(1), row.column_int64(2), row.column_int64(3),
                               row.column_int64(4))});
}

}  // namespace

std::vector<Violation> verify_invariants(Database& db, const std::optional<std::string>& sale_id,
                                         int per_check_max) {
    ReadTransaction snapshot(db);
    std::vector<Violation> out;
    run_check(db, kTotals, sale_id, std::nullopt, out, describe_totals);
    run_check(db, kUsersAboveLimit, sale_id, per_check_max, out, describe_user_above_limit);
    run_check(db, kMalformed, sale_id, per_check_max, out, describe_malformed);
    run_check(db, kDuplicates, sale_id, per_check_max, out, describe_duplicate);
    run_check(db, kOutsideWindow, sale_id, per_check_max, out, describe_outside_window);
    return out;
}

}  // namespace flashsale::orders::sqlite
