// The stock engine and the order store the configuration selects, built and started in the
// right order, so that the server wires one object whatever the deployment:
//   memory + sqlite    one node: in-process stock, SQLite journal (group commit)
//   memory + postgres  one node: in-process stock, PostgreSQL journal (group commit)
//   pg-* + postgres    one or many nodes: stock and orders in PostgreSQL, one transaction each
//   redis + postgres   many nodes: stock in Redis, its streams moved into PostgreSQL by the
//                      order pipeline, reconciled at start
#pragma once

#include <memory>

#include "app/config.h"
#include "clients/redis_client.h"
#include "common/clock.h"
#include "common/metrics.h"
#include "net/worker_pool.h"
#include "orders/order_reader.h"
#include "orders/order_store.h"
#include "stock/stock_engine.h"

namespace flashsale::app {

// The Redis client settings of the configuration.
clients::RedisOptions redis_options(const Config& config);

// The order store of the configuration (for serve and the CLI tools). Throws StoreError.
std::unique_ptr<orders::OrderStore> open_order_store(const Config& config, bool read_only = false);

class Backends {
public:
    virtual ~Backends() = default;

    virtual stock::StockEngine& engine() = 0;
    virtual orders::OrderReader& reader() = 0;
    // True when the stock engine's backend answers (for /readyz).
    virtual bool stock_ready() const = 0;

    // Before start(): who hears of the order changes no request decided (expiries; for the
    // Redis engine also each order reaching PostgreSQL).
    virtual void observe_orders(stock::OrderObserver observer) = 0;
    // The Redis client of the stock engine, where there is one (pushes travel through it).
    virtual clients::RedisClient* redis() { return nullptr; }
    // Before the workers run: rebuild or reconcile state, start background work.
    virtual void start() = 0;
    // After the workers started, before the listener takes requests: waits (bounded) until the
    // backends can serve, so that a node never answers its first buyers with 503.
    virtual void wait_until_ready() {}
    // After the listener drained, while the workers still run.
    virtual void stop_serving() = 0;
    // After the workers stopped: commit or hand over what is left, close.
    virtual void stop() = 0;
};

// Throws StoreError or ConfigError when a backend cannot be reached at start-up.
std::unique_ptr<Backends> make_backends(const Config& config, net::WorkerPool& workers,
                                        const Clock& clock, MetricsRegistry& metrics);

}  // namespace flashsale::app
