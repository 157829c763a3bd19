// GroupCommitWriter: the OrderJournal of the embedded engine. io threads append entries under a
// short mutex; one writer thread takes them in FIFO order, up to batch_max at a time, and applies
// each batch to the OrderStore as one transaction, so many reservations share one fsync (group
// commit). Callbacks then run in append order, on the writer thread, outside the lock.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "common/metrics.h"
#include "domain/order_journal.h"
#include "orders/order_store.h"

namespace flashsale::orders {

struct WriterOptions {
    std::size_t batch_max = 1024;  // entries per transaction
};

// Each one optional; the registry that made them outlives the writer.
struct WriterMetrics {
    Histogram* batch_size = nullptr;        // entries per committed batch
    Histogram* commit_latency_s = nullptr;  // time in OrderStore::apply per batch
    Counter* commits = nullptr;             // committed batches
};

// Failure is fail-stop: when apply throws, the writer logs critically and aborts the process.
// Memory has already taken the decisions in the batch (stock taken, orders moved) and cannot take
// them back, so a node that went on would answer from a state the disk does not hold. None of
// the failed batch's callbacks ran, so no buyer was told that it is durable. The node restarts
// from the durable state, which is consistent because each batch is one transaction.
//
// The queue has no bound of its own: append must never block an io thread, and what feeds it is
// bounded upstream (each reservation takes a unit of stock, each transition ends one).
class GroupCommitWriter final : public domain::OrderJournal {
public:
    // `store` outlives the writer; its apply() is called from the writer thread only.
    GroupCommitWriter(OrderStore& store, WriterOptions options, WriterMetrics metrics = {});
    ~GroupCommitWriter() override;  // stop()
    GroupCommitWriter(const GroupCommitWriter&) = delete;
    GroupCommitWriter& operator=(const GroupCommitWriter&) = delete;

    // Spawns the writer thread. Entries appended before start() wait for it. Call once.
    void start();

    // Thread-safe and cheap (a push under the mutex, a notify); never blocks on the disk, so it
    // may be called from io threads. `on_durable` runs on the writer thread once the entry is
    // committed; it must not throw and should only post work elsewhere. Appending after stop()
    // is a bug and crashes.
    void append(domain::JournalEntry entry, OnDurable on_durable) override;

    // Commits everything appended so far, runs its callbacks, then joins the writer thread (or,
    // if start() was never called, does that work on the calling thread). Idempotent.
    void stop();

    // Entries appended whose callbacks have not run yet (queued or being committed).
    std::size_t pending() const;

private:
    struct Pending {
        domain::JournalEntry entry;
        OnDurable on_durable;
    };

    void run();
    bool take_batch(std::vector<domain::JournalEntry>& entries, std::vector<OnDurable>& callbacks);
    void commit(std::span<const domain::JournalEntry> entries);

    OrderStore& store_;
    const WriterOptions options_;
    const WriterMetrics metrics_;

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Pending> queue_;  // guarded by mutex_
    std::size_t in_flight_ = 0;  // guarded by mutex_: taken, callbacks not run yet
    bool stopping_ = false;      // guarded by mutex_
    std::mutex stop_mutex_;      // serialises stop(), so every caller returns after the join
    std::thread thread_;
};

}  // namespace flashsale::orders
