// The backends of an integration test: see backend.h.
#include "support/backend.h"

#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include "support/flashsale_cli.h"

namespace flashsale::testing {

namespace {

EnvOverrides current_env;

// One PostgreSQL per test process: initdb and start cost a second or two, a database ~50 ms.
PostgresServer& shared_postgres() {
    static PostgresServer server("postgres_tests");
    return server;
}

std::string fresh_database_name() {
    static std::atomic<int> next{0};
    return "test_" + std::to_string(getpid()) + "_" + std::to_string(next++);
}

}  // namespace

std::filesystem::path shipped_file(const std::string& relative) {
    return std::filesystem::path(FLASHSALE_SOURCE_DIR) / relative;
}

BackendKind test_backend() {
    const char* value = std::getenv("FLASHSALE_TEST_BACKEND");
    std::string_view name = value != nullptr ? value : "";
    if (name == "redis") return BackendKind::kRedis;
    if (name == "pg-lock") return BackendKind::kPgLock;
    if (name == "pg-optimistic") return BackendKind::kPgOptimistic;
    if (name == "pg-guarded") return BackendKind::kPgGuarded;
    return BackendKind::kEmbedded;
}

const char* to_string(BackendKind kind) {
    switch (kind) {
        case BackendKind::kEmbedded: return "embedded";
        case BackendKind::kRedis: return "redis+postgres";
        case BackendKind::kPgLock: return "pg-lock";
        case BackendKind::kPgOptimistic: return "pg-optimistic";
        case BackendKind::kPgGuarded: return "pg-guarded";
    }
    return "?";
}

TestBackend::TestBackend(BackendKind kind) : kind_(kind) {
    if (uses_postgres(kind_)) {
        auto database = fresh_database_name();
        shared_postgres().create_database(database);
        conninfo_ = shared_postgres().conninfo(database);
        env_ = {{"FLASHSALE_STOCK_ENGINE", kind_ == BackendKind::kRedis ? "redis" : to_string(kind_)},
                {"FLASHSALE_ORDERS_STORE", "postgres"},
                {"FLASHSALE_POSTGRES_CONNINFO", conninfo_}};
    }
    if (kind_ == BackendKind::kRedis) {
        redis_ = std::make_unique<RedisServer>(
            RedisServerOptions{.config_file = shipped_file("deploy/redis.conf")});
        env_.emplace_back("FLASHSALE_REDIS_HOST", redis_->host());
        env_.emplace_back("FLASHSALE_REDIS_PORT", std::to_string(redis_->port()));
        // Storms on a sanitizer build of a busy 2-core machine can keep Redis from answering
        // within the production default of 1 s; a timeout there would be an honest 503, but
        // not what these tests are about (the client's own test is).
        env_.emplace_back("FLASHSALE_REDIS_COMMAND_TIMEOUT_MS", "15000");
    }
    if (uses_postgres(kind_)) {
        auto migrated = run_flashsale({"migrate"}, env_);
        if (!migrated.status.clean()) {
            throw std::runtime_error("flashsale migrate: " + migrated.describe());
        }
    }
    current_env = env_;
}

TestBackend::~TestBackend() { current_env.clear(); }

PostgresServer& TestBackend::postgres() { return shared_postgres(); }

const EnvOverrides& current_backend_env() { return current_env; }

std::string redis_cli(TestBackend& backend, std::vector<std::string> command) {
    command.insert(command.begin(), {"/usr/bin/redis-cli", "-p",
                                     std::to_string(backend.redis().port())});
    auto result = run_command(command);
    auto text = result.output;
    while (!text.empty() && text.back() == '\n') text.pop_back();
    return text;
}

}  // namespace flashsale::testing
