// verify for the PostgreSQL order store: checks invariants I1-I6 (docs in ARCHITECTURE.md)
// against the stored rows with plain SQL, in one REPEATABLE READ READ ONLY transaction, so every
// check sees the same snapshot. Like the SQLite one, it trusts none of the schema's constraints;
// it also compares the stored counters (sales.sold, sale_buyers.live) with the orders (I5).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "orders/order_store.h"

namespace flashsale::clients::pg {
class Connection;
}

namespace flashsale::orders::postgres {

// All sales when `sale_id` is empty. At most `per_check_max` rows of each row check.
// Throws clients::pg::Error.
std::vector<Violation> verify_invariants(clients::pg::Connection& connection,
                                         const std::optional<std::string>& sale_id,
                                         int per_check_max);

}  // namespace flashsale::orders::postgres
