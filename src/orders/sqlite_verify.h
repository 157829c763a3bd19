// verify for the SQLite order store: checks invariants I1-I6 (docs in ARCHITECTURE.md) against
// the stored rows with plain SQL, in one read transaction so that every check sees the same
// snapshot. It trusts none of the schema's constraints: the rows it looks for are exactly the
// ones those constraints should have made impossible.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "orders/order_store.h"
#include "orders/sqlite.h"

namespace flashsale::orders::sqlite {

// All sales when `sale_id` is empty. Reports at most `per_check_max` rows of each row check
// (I2, I3, I4, I6); I1 and I5 are reported for every sale they break. Throws StoreError.
std::vector<Violation> verify_invariants(Database& db, const std::optional<std::string>& sale_id,
                                         int per_check_max);

}  // namespace flashsale::orders::sqlite
