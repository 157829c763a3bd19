// Reconciliation of the Redis engine with the orders database, at every start and on demand
// (`flashsale reconcile`). The database plus the stream entries not yet in it is the truth
// Redis must hold; Redis is allowed to be ahead (it decides first), never behind. A sale whose
// Redis state is missing, or lacks an order the database has, or shows an older status, is
// taken out of service, its stream is drained into the database, and it is rebuilt from the
// database before it reopens. While out of service it answers "not ready" (503), never
// "sold out" or "available".
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "clients/redis_client.h"
#include "common/metrics.h"
#include "orders/order_pipeline.h"
#include "orders/order_store.h"

namespace flashsale::orders {

struct SaleReconciliation {
    std::string sale_id;
    bool rebuilt = false;
    // Orders the database has that Redis lacks or shows in an older status.
    std::int64_t drift = 0;
    std::string reason;  // why it was rebuilt (empty when in sync)
};

class Reconciler {
public:
    // `pipeline` drains streams into `store`; all three outlive the reconciler.
    Reconciler(clients::BlockingRedis& redis, OrderStore& store, OrderPipeline& pipeline,
               Gauge* drift = nullptr);

    // Every sale of the database; throws StoreError when the database is down.
    std::vector<SaleReconciliation> run();
    SaleReconciliation reconcile(const domain::Sale& sale);

    // For `flashsale verify`: drains the streams into the database, then checks that Redis and
    // the database hold the same orders in the same status, and that no entry was parked (I3).
    std::vector<Violation> compare(std::optional<std::string> sale_id);

private:
    std::int64_t drift_of(const domain::Sale& sale, std::string& reason);
    void rebuild(const domain::Sale& sale);
    void drain_stream(const std::string& sale_id);
    void expect_ok(const Result<clients::RedisReply>& reply, const char* what);
    std::unordered_map<std::string, std::string> redis_orders(const std::string& sale_id);
    void compare_sale(const domain::Sale& sale, std::vector<Violation>& violations);

    clients::BlockingRedis& redis_;
    OrderStore& store_;
    OrderPipeline& pipeline_;
    Gauge* drift_;
};

// Reconciliation while the node runs: every `interval`, each sale of the database whose keys
// Redis no longer has (an empty restart, a failover to a replica without them) is rebuilt at
// once, rather than answering "not ready" until a node restarts. Its own thread, its own
// Redis connection and store, and a pipeline of its own to drain the sale's stream.
class ReconcileWatch {
public:
    // `store` outlives the watch and is used from its thread only.
    ReconcileWatch(clients::RedisOptions redis, OrderStore& store, PipelineOptions pipeline,
                   std::chrono::milliseconds interval, Gauge* drift = nullptr);
    ~ReconcileWatch();  // stop()

    void start();
    void stop();

private:
    void run();
    void check_once();

    clients::BlockingRedis redis_;
    OrderStore& store_;
    OrderPipeline pipeline_;
    Reconciler reconciler_;
    const std::chrono::milliseconds interval_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;  // guarded by mutex_
    std::thread thread_;
};

}  // namespace flashsale::orders
