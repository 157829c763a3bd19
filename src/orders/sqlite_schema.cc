#include "orders/sqlite_schema.h"

#include <array>
#include <string_view>

#include <fmt/format.h>

#include "common/check.h"
#include "orders/order_store.h"

namespace flashsale::orders::sqlite {
namespace {

// Version 1. `sold` is kept equal to the live (reserved + paid) units of the sale's orders, in
// the same transaction as each order change; the CHECK on it is the last line of defence
// against oversell. The range checks mirror domain::validate.
constexpr std::string_view kVersion1 = R"sql(
CREATE TABLE sales (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    stock INTEGER NOT NULL CHECK (stock >= 0 AND stock <= 1000000000),
    per_user_limit INTEGER NOT NULL CHECK (per_user_limit >= 1),
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
    starts_at_ms INTEGER NOT NULL,
    ends_at_ms INTEGER NOT NULL,
    reservation_ttl_s INTEGER NOT NULL CHECK (reservation_ttl_s >= 1),
    require_token INTEGER NOT NULL CHECK (require_token IN (0, 1)),
    sold INTEGER NOT NULL DEFAULT 0,
    CHECK (ends_at_ms > starts_at_ms),
    CHECK (sold >= 0 AND sold <= stock)
) STRICT;

CREATE TABLE orders (
    id TEXT PRIMARY KEY NOT NULL,
    sale_id TEXT NOT NULL REFERENCES sales (id),
    user_id TEXT NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    status TEXT NOT NULL CHECK (status IN ('reserved', 'paid', 'cancelled', 'expired')),
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    idempotency_key TEXT CHECK (idempotency_key <> ''),
    CHECK (expires_at_ms > created_at_ms)
) STRICT;

CREATE UNIQUE INDEX orders_idempotency ON orders (sale_id, user_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX orders_sale_status ON orders (sale_id, status);
CREATE INDEX orders_sale_user ON orders (sale_id, user_id);
)sql";

// Version 2: the admission settings of a sale (issue 4). The CHECKs mirror domain::validate
// exactly; a stricter one would make the writer fail-stop on a sale the domain accepted.
constexpr std::string_view kVersion2 = R"sql(
ALTER TABLE sales ADD COLUMN paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1));
ALTER TABLE sales ADD COLUMN pow_difficulty_bits INTEGER NOT NULL DEFAULT 0
    CHECK (pow_difficulty_bits >= 0 AND pow_difficulty_bits <= 32);
ALTER TABLE sales ADD COLUMN rate_limit_per_s INTEGER NOT NULL DEFAULT 0
    CHECK (rate_limit_per_s >= 0 AND rate_limit_per_s <= 2147483647);
ALTER TABLE sales ADD COLUMN rate_limit_burst INTEGER NOT NULL DEFAULT 0
    CHECK (rate_limit_burst >= 0 AND rate_limit_burst <= 2147483647);
)sql";

// Version 3: fewer B-trees for each order written (issue 5). The table is keyed by its id,
// WITHOUT ROWID: one B-tree where the rowid table and its primary-key index were two (ids are
// time-ordered, so new orders append). The (sale_id, user_id) index goes: only `verify` grouped
// by it, and can sort instead. An order insert now writes two B-trees instead of four. The
// CHECKs are the same, the status one written so that it needs no temporary table.
constexpr std::string_view kVersion3 = R"sql(
CREATE TABLE orders_v3 (
    id TEXT PRIMARY KEY NOT NULL,
    sale_id TEXT NOT NULL REFERENCES sales (id),
    user_id TEXT NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    -- Comparisons, not IN: SQLite builds a temporary B-tree for an IN list of more than two
    -- values on every row it checks, the largest cost of an insert after the two B-trees.
    status TEXT NOT NULL CHECK (status = 'reserved' OR status = 'paid' OR status = 'cancelled'
                                OR status = 'expired'),
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    idempotency_key TEXT CHECK (idempotency_key <> ''),
    CHECK (expires_at_ms > created_at_ms)
) STRICT, WITHOUT ROWID;

INSERT INTO orders_v3 (id, sale_id, user_id, quantity, status, created_at_ms, expires_at_ms,
                       updated_at_ms, idempotency_key)
    SELECT id, sale_id, user_id, quantity, status, created_at_ms, expires_at_ms, updated_at_ms,
           idempotency_key
    FROM orders;
DROP TABLE orders;
ALTER TABLE orders_v3 RENAME TO orders;

CREATE UNIQUE INDEX orders_idempotency ON orders (sale_id, user_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX orders_sale_status ON orders (sale_id, status);
)sql";

// Version 4: the (sale_id, status) index goes. Each order's entry in it lands in its sale's
// range, so a batch of orders spread over many sales dirtied one index page per sale and wrote
// it to the WAL at every commit: 10,000 sales at once cost a fifth of the single-sale rate,
// and the index some 8% even for one sale. Nothing on a hot path read it: the embedded engine
// restores itself in one pass over the orders in id order (SqliteOrderStore::load_all).
constexpr std::string_view kVersion4 = R"sql(
DROP INDEX orders_sale_status;
)sql";

constexpr std::array<std::string_view, kSchemaVersion> kMigrations = {kVersion1, kVersion2,
                                                                       kVersion3, kVersion4};

void rollback_quietly(Database& db) noexcept {
    try {
        if (db.in_transaction()) db.exec("ROLLBACK");
    } catch (const StoreError&) {
        // The connection is closed by the caller, which is failing anyway.
    }
}

}  // namespace

int schema_version(Database& db) {
    Statement statement(db, "PRAGMA user_version");
    statement.step();
    return static_cast<int>(statement.column_int64(0));
}

void migrate(Database& db, int target) {
    FS_CHECK(target >= 1 && target <= kSchemaVersion);
    db.exec("BEGIN IMMEDIATE");
    try {
        int version = schema_version(db);
        if (version > kSchemaVersion) {
            throw StoreError(fmt::format("orders database has schema version {}, newer than this "
                                         "build's {}; refusing to touch it",
                                         version, kSchemaVersion));
        }
        for (; version < target; ++version) {
            db.exec(kMigrations[static_cast<std::size_t>(version)]);
            db.exec(fmt::format("PRAGMA user_version = {}", version + 1));
        }
        db.exec("COMMIT");
    } catch (...) {
        rollback_quietly(db);
        throw;
    }
}

void check_schema_version(Database& db) {
    int version = schema_version(db);
    if (version != kSchemaVersion) {
        throw StoreError(fmt::format("orders database has schema version {}, this build reads {}"
                                     "{}",
                                     version, kSchemaVersion,
                                     version == 0 ? " (not a flashsale orders database?)" : ""));
    }
}

}  // namespace flashsale::orders::sqlite
