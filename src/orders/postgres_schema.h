// The PostgreSQL order store's schema, created and upgraded by versioned migrations recorded in
// schema_migrations (one row per applied version). Each migration runs in its own transaction
// under an advisory lock, so two processes migrating at once apply each step once. A later
// version appends a step to the list in postgres_schema.cc and never edits a released one.
#pragma once

#include <string>

namespace flashsale::clients::pg {
class Connection;
}

namespace flashsale::orders {

// The schema version this build writes and reads.
inline constexpr int kPostgresSchemaVersion = 3;

// Brings the database at `conninfo` to kPostgresSchemaVersion (a no-op when it is current), for
// `flashsale migrate`. Throws StoreError, also for a database of a newer version (never
// touched), and ConstraintViolation never.
void migrate_postgres(const std::string& conninfo);

namespace postgres {

void migrate(clients::pg::Connection& connection);

// The version recorded in schema_migrations; 0 when the table does not exist.
int schema_version(clients::pg::Connection& connection);

// For store start-up: throws StoreError unless the database has exactly this build's version
// (an older one asks for `flashsale migrate`, a newer one for a newer build).
void check_schema_version(clients::pg::Connection& connection);

}  // namespace postgres
}  // namespace flashsale::orders
