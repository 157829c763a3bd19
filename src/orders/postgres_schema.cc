#include "orders/postgres_schema.h"

#include <array>
#include <string_view>

#include <fmt/format.h>

#include "clients/postgres.h"
#include "orders/order_store.h"

namespace flashsale::orders {
namespace {

using clients::pg::Connection;
using clients::pg::Params;
using clients::pg::Transaction;

// Any constant of our own: every migrating process takes this transaction-scoped lock first.
constexpr std::int64_t kMigrationLock = 0x666c617368;  // "flash"

// Version 1. Mirrors the SQLite schema: the range checks are exactly domain::validate's (no
// stricter: octet_length because validate counts bytes), times are Unix milliseconds. Two
// counters are the database's last line of defence, each updated in the same transaction as
// every order change: sales.sold (I1: CHECK sold <= stock) and sale_buyers.live, a user's live
// units in a sale (I2: CHECK live <= limit_units). limit_units follows the sale's
// per_user_limit, except that units a user already holds when an admin lowers the limit stay
// allowed (limit_units = max(limit, live), and it sinks back as those units are released).
constexpr std::string_view kVersion1 = R"sql(
CREATE TABLE sales (
    id text PRIMARY KEY CHECK ((id COLLATE "C") ~ '^[-_.0-9A-Za-z]{1,64}$'),
    name text NOT NULL CHECK (octet_length(name) BETWEEN 1 AND 200),
    stock bigint NOT NULL CHECK (stock >= 0 AND stock <= 1000000000),
    per_user_limit integer NOT NULL CHECK (per_user_limit >= 1),
    price_cents bigint NOT NULL CHECK (price_cents >= 0),
    starts_at_ms bigint NOT NULL,
    ends_at_ms bigint NOT NULL,
    reservation_ttl_s integer NOT NULL CHECK (reservation_ttl_s >= 1),
    require_token boolean NOT NULL,
    sold bigint NOT NULL DEFAULT 0,
    CONSTRAINT sales_window CHECK (ends_at_ms > starts_at_ms),
    CONSTRAINT sales_sold_within_stock CHECK (sold >= 0 AND sold <= stock)
);

CREATE TABLE orders (
    id text PRIMARY KEY,
    sale_id text NOT NULL REFERENCES sales (id),
    user_id text NOT NULL,
    quantity integer NOT NULL CHECK (quantity > 0),
    status text NOT NULL CHECK (status IN ('reserved', 'paid', 'cancelled', 'expired')),
    created_at_ms bigint NOT NULL,
    expires_at_ms bigint NOT NULL,
    updated_at_ms bigint NOT NULL,
    idempotency_key text CHECK (idempotency_key <> ''),
    CONSTRAINT orders_deadline CHECK (expires_at_ms > created_at_ms)
);

CREATE UNIQUE INDEX orders_idempotency ON orders (sale_id, user_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX orders_sale_status ON orders (sale_id, status);
CREATE INDEX orders_sale_created ON orders (sale_id, created_at_ms, id);

CREATE TABLE sale_buyers (
    sale_id text NOT NULL REFERENCES sales (id),
    user_id text NOT NULL,
    live bigint NOT NULL,
    limit_units bigint NOT NULL,
    PRIMARY KEY (sale_id, user_id),
    CONSTRAINT sale_buyers_live_within_limit CHECK (live >= 0 AND live <= limit_units)
);
)sql";

// Version 2: the admission settings of a sale (issue 4); ranges mirror domain::validate.
constexpr std::string_view kVersion2 = R"sql(
ALTER TABLE sales ADD COLUMN paused boolean NOT NULL DEFAULT false;
ALTER TABLE sales ADD COLUMN pow_difficulty_bits integer NOT NULL DEFAULT 0
    CHECK (pow_difficulty_bits >= 0 AND pow_difficulty_bits <= 32);
ALTER TABLE sales ADD COLUMN rate_limit_per_s integer NOT NULL DEFAULT 0
    CHECK (rate_limit_per_s >= 0);
ALTER TABLE sales ADD COLUMN rate_limit_burst integer NOT NULL DEFAULT 0
    CHECK (rate_limit_burst >= 0);
)sql";

// Version 3: a row version for the pg-optimistic stock engine (compare-and-set on it); the pg-*
// engines bump it with each change of sold. The partial index finds due reservations for their
// expiry sweeper without scanning every order.
constexpr std::string_view kVersion3 = R"sql(
ALTER TABLE sales ADD COLUMN version bigint NOT NULL DEFAULT 0 CHECK (version >= 0);
CREATE INDEX orders_reserved_deadline ON orders (expires_at_ms) WHERE status = 'reserved';
)sql";

constexpr std::array<std::string_view, kPostgresSchemaVersion> kMigrations = {
    kVersion1, kVersion2, kVersion3};

void lock(Connection& connection) {
    connection.exec("SELECT pg_advisory_xact_lock($1)", Params().int64(kMigrationLock));
}

template <class Body>
auto translate_errors(Body body) {
    try {
        return body();
    } catch (const clients::pg::Error& error) {
        throw StoreError(fmt::format("orders schema: {}", error.what()));
    }
}

int read_version(Connection& connection) {
    auto exists = connection.exec("SELECT to_regclass('schema_migrations') IS NOT NULL");
    if (!exists.boolean(0, 0)) return 0;
    auto version = connection.exec("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    return static_cast<int>(version.int64(0, 0));
}

[[noreturn]] void refuse_newer(int version) {
    throw StoreError(fmt::format("orders database has schema version {}, newer than this build's "
                                 "{}; refusing to touch it",
                                 version, kPostgresSchemaVersion));
}

}  // namespace

void migrate_postgres(const std::string& conninfo) {
    translate_errors([&] {
        Connection connection(conninfo);
        postgres::migrate(connection);
    });
}

namespace postgres {

void migrate(Connection& connection) {
    translate_errors([&] {
        {
            Transaction transaction(connection);
            lock(connection);
            connection.exec_script(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, "
                "applied_at timestamptz NOT NULL DEFAULT now())");
            transaction.commit();
        }
        for (int step = 1; step <= kPostgresSchemaVersion; ++step) {
            Transaction transaction(connection);
            lock(connection);
            int version = read_version(connection);
            if (version > kPostgresSchemaVersion) refuse_newer(version);
            if (version >= step) continue;  // another process got there first
            connection.exec_script(kMigrations[static_cast<std::size_t>(step - 1)]);
            connection.exec("INSERT INTO schema_migrations (version) VALUES ($1)",
                            Params().int64(step));
            transaction.commit();
        }
        // A database already current still gets its version checked against this build.
        int version = read_version(connection);
        if (version > kPostgresSchemaVersion) refuse_newer(version);
    });
}

int schema_version(Connection& connection) {
    return translate_errors([&] { return read_version(connection); });
}

void check_schema_version(Connection& connection) {
    int version = schema_version(connection);
    if (version == kPostgresSchemaVersion) return;
    if (version > kPostgresSchemaVersion) {
        throw StoreError(fmt::format("orders database has schema version {}, newer than this "
                                     "build's {}; upgrade flashsale",
                                     version, kPostgresSchemaVersion));
    }
    throw StoreError(fmt::format("orders database has schema version {}, this build needs {}; "
                                 "run `flashsale migrate`",
                                 version, kPostgresSchemaVersion));
}

}  // namespace postgres
}  // namespace flashsale::orders
