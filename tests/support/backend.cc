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
    return value != nullptr && std::string_view(value) == "redis" ? BackendKind::kRedis
                                                                   : BackendKind::kEmbedded;
}

const char* to_string(BackendKind kind) {
    return kind == BackendKind::kRedis ? "redis+postgres" : "embedded";
}

TestBackend::TestBackend(BackendKind kind) : kind_(kind) {
    if (kind_ == BackendKind::kRedis) {
        redis_ = std::make_unique<RedisServer>(
            RedisServerOptions{.config_file = shipped_file("deploy/redis.conf")});
        auto database = fresh_database_name();
        shared_postgres().create_database(database);
        conninfo_ = shared_postgres().conninfo(database);
        env_ = {{"FLASHSALE_STOCK_ENGINE", "redis"},
                {"FLASHSALE_ORDERS_STORE", "postgres"},
                {"FLASHSALE_POSTGRES_CONNINFO", conninfo_},
                {"FLASHSALE_REDIS_HOST", redis_->host()},
                {"FLASHSALE_REDIS_PORT", std::to_string(redis_->port())},
                // Storms on a sanitizer build of a busy 2-core machine can keep Redis from
                // answering within the production default of 1 s; a timeout there would be an
                // honest 503, but not what these tests are about (the client's own test is).
                {"FLASHSALE_REDIS_COMMAND_TIMEOUT_MS", "15000"}};
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

}  // namespace flashsale::testing
