// The operator's subcommands beside `serve`: each takes the resolved configuration and returns
// the process exit code (0 fine, 1 violations found, 2 an error, reported on stderr).
#pragma once

#include <optional>
#include <string>

#include "app/config.h"

namespace flashsale::app {

inline constexpr int kExitViolations = 1;
inline constexpr int kExitError = 2;

// Checks I1-I6 in the order store; with the Redis engine, also that Redis and the database
// hold the same orders once the streams are drained (I3).
int verify_command(const Config& config, const std::optional<std::string>& sale_id);

// Brings the PostgreSQL schema to this build's version (SQLite migrates itself on open).
int migrate_command(const Config& config);

// Compares Redis with the database and rebuilds the sales Redis lost or is behind on.
int reconcile_command(const Config& config);

// Runs only the order pipeline (Redis streams -> PostgreSQL) until SIGINT or SIGTERM.
int consume_command(const Config& config);

}  // namespace flashsale::app
