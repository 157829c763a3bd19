// The order pipeline of the Redis engine: moves each sale's stream (every reservation and
// transition Redis decided, in order) into the orders database, so that every 202 ends as
// exactly one order row (I3).
//
// One consumer group per sale stream; each node runs one consumer. A sale is consumed by one
// consumer at a time, under a lease in Redis, so the database sees a sale's changes in the order
// Redis took them; a node that takes over a sale first claims what a dead consumer left
// unacknowledged (XAUTOCLAIM). Entries are applied in batches, one transaction each, and
// acknowledged only after the commit; the store ignores an entry it has already applied, so a
// redelivery is harmless (I4). The stream is trimmed only below what the database holds. Entries
// the database refuses (a constraint: a bug or tampering, never load) are parked in the sale's
// dead-letter stream and counted. A store that is down is retried with backoff; entries wait
// in Redis meanwhile.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "clients/redis_client.h"
#include "common/metrics.h"
#include "orders/order_store.h"
#include "stock/stock_engine.h"

namespace flashsale::orders {

struct PipelineOptions {
    std::string consumer;  // unique per node, e.g. host:pid
    std::size_t batch_max = 512;
    std::chrono::milliseconds idle_wait{5};        // pause when a pass found nothing
    std::chrono::milliseconds lease{3000};         // a sale's lease, renewed each pass
    std::chrono::milliseconds store_retry{200};    // pause after the store failed
    // How often the lag gauge is measured: an XLEN per sale, which every pass paid before.
    std::chrono::milliseconds lag_interval{1000};
    // How often each sale's own unacknowledged entries are read even when none are known of:
    // a safety net under the cases the pipeline tracks (SaleCursor::unacknowledged).
    std::chrono::milliseconds recheck_interval{1000};
};

// Each one optional; the registry that made them outlives the pipeline.
struct PipelineMetrics {
    Gauge* lag = nullptr;              // entries in the streams not yet in the database
    Counter* applied = nullptr;        // entries committed to the database
    Counter* dead_letters = nullptr;   // entries parked because the database refused them
    Counter* store_failures = nullptr; // batches that failed and wait for a retry
};

class OrderPipeline {
public:
    // `store` outlives the pipeline and is used from its thread only (and from drain()'s).
    OrderPipeline(clients::RedisOptions redis, OrderStore& store, PipelineOptions options,
                  PipelineMetrics metrics = {});
    ~OrderPipeline();  // stop()
    OrderPipeline(const OrderPipeline&) = delete;
    OrderPipeline& operator=(const OrderPipeline&) = delete;

    // Before start(): hears, on the pipeline's thread, of each reservation once it reached the
    // database ("persisted") and of each expiry (which no request of the buyer's decided).
    void observe(stock::OrderObserver observer) { observer_ = std::move(observer); }
    void start();  // runs passes on its own thread until stop()
    void stop();   // finishes the batch under way, joins, and gives its sales' leases back

    // One pass over every sale on the calling thread; the entries it applied. Not while the
    // pipeline's own thread runs. Throws StoreError when the store is down.
    std::size_t pass();
    // Entries in the sale streams not yet acknowledged (read from Redis).
    std::int64_t lag();

private:
    struct SaleCursor {
        bool leased = false;  // held the lease at the last pass
        // Entries delivered to this consumer may wait unacknowledged: claimed from another
        // one, a batch whose commit or acknowledgement failed, or a read whose reply was lost.
        // Until a read of them comes back empty, each pass reads them before new ones.
        bool unacknowledged = true;
    };

    void run();
    void tell(const domain::JournalEntry& applied) const;
    stock::OrderObserver observer_;
    std::size_t consume(const std::string& sale_id, SaleCursor& cursor);
    bool take_lease(const std::string& sale_id);
    void release_leases();
    void claim_abandoned(const std::string& sale_id);
    std::vector<std::string> apply_batch(const std::string& sale_id,
                                         const clients::RedisReply& entries);
    void park(const std::string& sale_id, const clients::RedisReply& entry, const std::string& why);
    bool acknowledge(const std::string& sale_id, const std::vector<std::string>& ids);

    clients::BlockingRedis redis_;
    OrderStore& store_;
    const PipelineOptions options_;
    const PipelineMetrics metrics_;
    std::map<std::string, SaleCursor> cursors_;
    // The pipeline thread's only.
    std::chrono::steady_clock::time_point lag_due_{};
    std::chrono::steady_clock::time_point recheck_due_{};
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace flashsale::orders
