// The SQLite order store's schema, created and upgraded by versioned migrations keyed by
// PRAGMA user_version: step i moves a file from version i to i + 1. A later version adds a step
// at the end of the list in sqlite_schema.cc and never edits a released one.
#pragma once

#include "orders/sqlite.h"

namespace flashsale::orders::sqlite {

// The schema version this build writes and reads.
inline constexpr int kSchemaVersion = 4;

int schema_version(Database& db);

// Runs the missing steps up to `target` (tests build older files with a lower one) in one
// IMMEDIATE transaction, so two processes opening the same new file do not both migrate it.
// Throws StoreError, also for a file of a newer version than this build's.
void migrate(Database& db, int target = kSchemaVersion);

// For read-only use: throws StoreError unless `db` has exactly kSchemaVersion.
void check_schema_version(Database& db);

}  // namespace flashsale::orders::sqlite
