// The backends an integration test runs the server on. The same tests run against each:
// CTest registers every integration test twice, once as is (the embedded engine: memory +
// SQLite) and once with FLASHSALE_TEST_BACKEND=redis (Redis stock + PostgreSQL orders, both
// real servers started here). The storm, lifecycle, idempotency and crash tests run once more
// per database strategy, FLASHSALE_TEST_BACKEND=pg-lock, pg-optimistic or pg-guarded (stock
// and orders in PostgreSQL). A test that only makes sense on some of them skips the others.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "services/postgres_server.h"
#include "services/process.h"
#include "services/redis_server.h"

namespace flashsale::testing {

enum class BackendKind { kEmbedded, kRedis, kPgLock, kPgOptimistic, kPgGuarded };

// A file of the source tree as shipped, e.g. "deploy/redis.conf".
std::filesystem::path shipped_file(const std::string& relative);

// From FLASHSALE_TEST_BACKEND: "redis", "pg-lock", "pg-optimistic", "pg-guarded", else embedded.
BackendKind test_backend();
const char* to_string(BackendKind kind);
// The orders (and, for pg-*, the stock) live in PostgreSQL.
inline bool uses_postgres(BackendKind kind) { return kind != BackendKind::kEmbedded; }

// One test's backends: for kRedis a fresh redis-server, and for every kind but kEmbedded a fresh
// database in the process's PostgreSQL (started on first use, shared by the tests of the
// process), migrated.
class TestBackend {
public:
    explicit TestBackend(BackendKind kind = test_backend());
    ~TestBackend();

    BackendKind kind() const { return kind_; }
    // FLASHSALE_* settings that point a server or a CLI command at these backends.
    const EnvOverrides& env() const { return env_; }
    RedisServer& redis() { return *redis_; }  // kRedis only
    PostgresServer& postgres();               // uses_postgres(kind()) only
    std::string conninfo() const { return conninfo_; }

private:
    BackendKind kind_;
    std::unique_ptr<RedisServer> redis_;
    std::string conninfo_;
    EnvOverrides env_;
};

// The settings of the running test's backend, which every `flashsale` command a test runs
// gets (set by TestBackend, cleared when it goes).
const EnvOverrides& current_backend_env();

// `redis-cli` against the test's Redis (kRedis only): one command's reply, as text.
std::string redis_cli(TestBackend& backend, std::vector<std::string> command);

}  // namespace flashsale::testing
