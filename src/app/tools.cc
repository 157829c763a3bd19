#include "app/tools.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "app/backends.h"
#include "app/server.h"
#include "orders/order_pipeline.h"
#include "orders/postgres_schema.h"
#include "orders/reconciler.h"

namespace flashsale::app {

namespace {

int print_violations(const std::vector<orders::Violation>& violations,
                     const std::optional<std::string>& sale_id) {
    for (const auto& violation : violations) {
        std::printf("%s sale=%s: %s\n", violation.invariant.c_str(), violation.sale_id.c_str(),
                    violation.detail.c_str());
    }
    if (!violations.empty()) return kExitViolations;
    std::printf("verify: clean (I1-I6 hold%s)\n", sale_id ? (" for sale " + *sale_id).c_str() : "");
    return 0;
}

bool require_redis_engine(const Config& config, const char* command) {
    if (config.stock.engine == "redis") return true;
    std::fprintf(stderr, "%s: only for stock.engine = \"redis\"\n", command);
    return false;
}

// A pipeline for a tool, consuming as "<role>@<host>": live nodes' leases are honoured, and a
// tool restarted on the same host takes its own leases and unacknowledged entries back at once.
orders::OrderPipeline tool_pipeline(const Config& config, orders::OrderStore& store,
                                    const char* role) {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    return orders::OrderPipeline(redis_options(config), store,
                                 {.consumer = std::string(role) + "@" + host,
                                  .batch_max = config.orders.pipeline_batch_max});
}

}  // namespace

int verify_command(const Config& config, const std::optional<std::string>& sale_id) {
    if (config.orders.store == "sqlite") {
        auto file = std::filesystem::path(config.storage.data_dir) / "flashsale.db";
        if (!std::filesystem::exists(file)) {
            std::fprintf(stderr, "verify: no database at %s\n", file.c_str());
            return kExitError;
        }
    }
    auto store = open_order_store(config, /*read_only=*/true);
    auto violations = store->verify(sale_id);
    if (config.stock.engine == "redis") {
        clients::BlockingRedis redis(redis_options(config));
        auto pipeline = tool_pipeline(config, *store, "verify");
        orders::Reconciler reconciler(redis, *store, pipeline);
        auto differences = reconciler.compare(sale_id);
        violations.insert(violations.end(), differences.begin(), differences.end());
    }
    return print_violations(violations, sale_id);
}

int migrate_command(const Config& config) {
    if (config.orders.store != "postgres") {
        std::printf("migrate: SQLite migrates itself when the server opens it\n");
        return 0;
    }
    orders::migrate_postgres(config.postgres.conninfo);
    std::printf("migrate: the orders database is at schema version %d\n",
                orders::kPostgresSchemaVersion);
    return 0;
}

int reconcile_command(const Config& config) {
    if (!require_redis_engine(config, "reconcile")) return kExitError;
    auto store = open_order_store(config);
    clients::BlockingRedis redis(redis_options(config));
    auto pipeline = tool_pipeline(config, *store, "reconcile");
    orders::Reconciler reconciler(redis, *store, pipeline);
    int rebuilt = 0;
    for (const auto& report : reconciler.run()) {
        std::printf("sale %s: %s\n", report.sale_id.c_str(),
                    report.rebuilt ? ("rebuilt (" + report.reason + ")").c_str() : "in sync");
        rebuilt += report.rebuilt ? 1 : 0;
    }
    std::printf("reconcile: %d sale(s) rebuilt\n", rebuilt);
    return 0;
}

int consume_command(const Config& config) {
    if (!require_redis_engine(config, "consume")) return kExitError;
    auto store = open_order_store(config);
    auto pipeline = tool_pipeline(config, *store, "consume");
    pipeline.start();
    std::printf("consume: moving order streams into the database until SIGTERM\n");
    std::fflush(stdout);
    wait_for_signal();
    pipeline.stop();
    return 0;
}

}  // namespace flashsale::app
