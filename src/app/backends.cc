#include "app/backends.h"

#include <unistd.h>

#include <filesystem>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "clients/redis_client.h"
#include "orders/group_commit_writer.h"
#include "orders/order_pipeline.h"
#include "orders/postgres_order_store.h"
#include "orders/reconciler.h"
#include "orders/sqlite_order_store.h"
#include "stock/memory_stock_engine.h"
#include "stock/pg_stock_engine.h"
#include "stock/redis_stock_engine.h"

namespace flashsale::app {

namespace {

orders::WriterMetrics writer_metrics(MetricsRegistry& registry) {
    return {&registry.histogram("flashsale_journal_batch_size", "Entries per group commit",
                                {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096}),
            &registry.histogram("flashsale_journal_commit_seconds",
                                "Time to commit one batch, fsync included", latency_buckets_s()),
            &registry.counter("flashsale_journal_commits_total", "Group commits")};
}

orders::PipelineMetrics pipeline_metrics(MetricsRegistry& registry) {
    return {&registry.gauge("flashsale_pipeline_lag_entries",
                            "Order stream entries not yet in the orders database"),
            &registry.counter("flashsale_pipeline_applied_total",
                              "Order stream entries committed to the orders database"),
            &registry.counter("flashsale_pipeline_dead_letters_total",
                              "Order stream entries the database refused, parked"),
            &registry.counter("flashsale_pipeline_store_failures_total",
                              "Batches that failed on the orders database and wait for a retry")};
}

// The embedded engine: decisions in memory, made durable by the group-commit writer.
class MemoryBackends final : public Backends {
public:
    MemoryBackends(const Config& config, net::WorkerPool& workers, const Clock& clock,
                   MetricsRegistry& metrics)
        : store_(open_order_store(config)),
          writer_(*store_, {config.storage.writer_batch_max}, writer_metrics(metrics)),
          engine_(workers.executors(), writer_, clock,
                  {std::chrono::milliseconds(config.sales.expiry_sweep_ms)}),
          reader_(*store_, static_cast<std::size_t>(config.storage.reader_threads)) {}

    stock::StockEngine& engine() override { return engine_; }
    orders::OrderReader& reader() override { return reader_; }
    bool stock_ready() const override { return true; }
    void observe_orders(stock::OrderObserver observer) override {
        engine_.observe(std::move(observer));
    }

    void start() override {
        store_->load_all([this](domain::Sale sale) { engine_.restore(std::move(sale)); },
                         [this](const domain::Order& order) { engine_.restore(order); });
        writer_.start();
        engine_.start();
    }
    void stop_serving() override { engine_.stop(); }
    void stop() override {
        writer_.stop();  // commits every decision taken, expiries included
        reader_.stop();
    }

private:
    std::unique_ptr<orders::OrderStore> store_;
    orders::GroupCommitWriter writer_;
    stock::MemoryStockEngine engine_;
    orders::OrderReader reader_;
};

std::string consumer_name() {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    return fmt::format("{}:{}", host, getpid());
}

// Stock in Redis, orders in PostgreSQL, the order pipeline between them.
class RedisBackends final : public Backends {
public:
    RedisBackends(const Config& config, net::WorkerPool& workers, const Clock& clock,
                  MetricsRegistry& metrics)
        : options_(redis_options(config)),
          pipeline_enabled_(config.orders.pipeline == "on"),
          store_(open_order_store(config)),
          pipeline_store_(open_order_store(config)),
          watch_store_(open_order_store(config)),
          redis_(workers.executors(), options_),
          engine_(redis_, workers.executor(0), clock,
                  {std::chrono::milliseconds(config.sales.expiry_sweep_ms)}),
          pipeline_(options_, *pipeline_store_,
                    {.consumer = consumer_name(), .batch_max = config.orders.pipeline_batch_max},
                    pipeline_metrics(metrics)),
          reader_(*store_, static_cast<std::size_t>(config.storage.reader_threads)),
          drift_(&metrics.gauge("flashsale_reconcile_drift_orders",
                                "Orders the database has that Redis lacked at the last "
                                "reconciliation")),
          watch_(options_, *watch_store_,
                 {.consumer = "reconcile@" + consumer_name(),
                  .batch_max = config.orders.pipeline_batch_max},
                 std::chrono::milliseconds(config.orders.reconcile_interval_ms), drift_) {}

    stock::StockEngine& engine() override { return engine_; }
    orders::OrderReader& reader() override { return reader_; }
    bool stock_ready() const override { return redis_.connected(); }
    void observe_orders(stock::OrderObserver observer) override {
        pipeline_.observe(std::move(observer));
    }
    clients::RedisClient* redis() override { return &redis_; }

    // Loads the functions, then reconciles every sale before a single request is served.
    void start() override {
        clients::BlockingRedis redis(options_);
        if (auto loaded = stock::RedisStockEngine::load_functions(redis); !loaded) {
            throw orders::StoreError("redis at " + options_.host + ":" +
                                     std::to_string(options_.port) + ": " +
                                     loaded.error().message);
        }
        orders::Reconciler reconciler(redis, *pipeline_store_, pipeline_, drift_);
        for (const auto& report : reconciler.run()) {
            engine_.know_sale(report.sale_id);
            if (report.rebuilt) {
                spdlog::warn("reconciled sale {}: {}", report.sale_id, report.reason);
            }
        }
        redis_.start();
        engine_.start();
        if (pipeline_enabled_) pipeline_.start();
        watch_.start();
    }
    void wait_until_ready() override {
        if (!redis_.wait_all_connected(options_.connect_timeout * 5)) {
            spdlog::warn("not every worker reached Redis at start; purchases get 503 until then");
        }
    }
    void stop_serving() override {
        engine_.stop();
        redis_.stop();
    }
    void stop() override {
        watch_.stop();
        pipeline_.stop();
        reader_.stop();
    }

private:
    clients::RedisOptions options_;
    bool pipeline_enabled_;
    std::unique_ptr<orders::OrderStore> store_;           // readers
    std::unique_ptr<orders::OrderStore> pipeline_store_;  // the pipeline's writes
    std::unique_ptr<orders::OrderStore> watch_store_;     // the reconcile watch's
    clients::RedisClient redis_;
    stock::RedisStockEngine engine_;
    orders::OrderPipeline pipeline_;
    orders::OrderReader reader_;
    Gauge* drift_;
    orders::ReconcileWatch watch_;
};

// The seed articles' database strategies: stock and orders in PostgreSQL, one transaction per
// decision, so the order store is always as fresh as the engine.
class PgBackends final : public Backends {
public:
    PgBackends(const Config& config, stock::PgStrategy strategy)
        : store_(open_order_store(config)),
          engine_(config.postgres.conninfo,
                  {.strategy = strategy,
                   .connections = static_cast<std::size_t>(config.stock.pg_connections),
                   .expiry_sweep_interval =
                       std::chrono::milliseconds(config.sales.expiry_sweep_ms)}),
          reader_(*store_, static_cast<std::size_t>(config.storage.reader_threads)) {}

    stock::StockEngine& engine() override { return engine_; }
    orders::OrderReader& reader() override { return reader_; }
    // The stock database is the orders database, which /readyz already pings (off the io
    // threads, through the reader).
    bool stock_ready() const override { return true; }
    void observe_orders(stock::OrderObserver observer) override {
        engine_.observe(std::move(observer));
    }

    void start() override { engine_.start(); }
    void stop_serving() override { engine_.stop_sweeper(); }
    void stop() override {
        engine_.stop();
        reader_.stop();
    }

private:
    std::unique_ptr<orders::OrderStore> store_;  // checks the schema version at start
    stock::PgStockEngine engine_;
    orders::OrderReader reader_;
};

}  // namespace

clients::RedisOptions redis_options(const Config& config) {
    return {.host = config.redis.host,
            .port = static_cast<std::uint16_t>(config.redis.port),
            .password = config.redis.password,
            .connect_timeout = std::chrono::milliseconds(config.redis.connect_timeout_ms),
            .command_timeout = std::chrono::milliseconds(config.redis.command_timeout_ms),
            .pipeline_max = config.redis.pipeline_max};
}

std::unique_ptr<orders::OrderStore> open_order_store(const Config& config, bool read_only) {
    if (config.orders.store == "postgres") {
        return std::make_unique<orders::PostgresOrderStore>(config.postgres.conninfo);
    }
    auto file = std::filesystem::path(config.storage.data_dir) / "flashsale.db";
    return std::make_unique<orders::SqliteOrderStore>(file, read_only);
}

std::unique_ptr<Backends> make_backends(const Config& config, net::WorkerPool& workers,
                                        const Clock& clock, MetricsRegistry& metrics) {
    if (config.stock.engine == "redis") {
        return std::make_unique<RedisBackends>(config, workers, clock, metrics);
    }
    if (auto strategy = stock::parse_pg_strategy(config.stock.engine)) {
        return std::make_unique<PgBackends>(config, *strategy);
    }
    return std::make_unique<MemoryBackends>(config, workers, clock, metrics);
}

}  // namespace flashsale::app
