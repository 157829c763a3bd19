#include "orders/group_commit_writer.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <utility>

#include <spdlog/spdlog.h>

#include "common/check.h"

namespace flashsale::orders {

GroupCommitWriter::GroupCommitWriter(OrderStore& store, WriterOptions options,
                                     WriterMetrics metrics)
    : store_(store), options_(options), metrics_(metrics) {
    FS_CHECK(options_.batch_max >= 1);
}

GroupCommitWriter::~GroupCommitWriter() { stop(); }

void GroupCommitWriter::start() {
    std::lock_guard lock(stop_mutex_);
    FS_CHECK(!thread_.joinable());
    {
        std::lock_guard queue_lock(mutex_);
        FS_CHECK(!stopping_);
    }
    thread_ = std::thread([this] { run(); });
}

void GroupCommitWriter::append(domain::JournalEntry entry, OnDurable on_durable) {
    {
        std::lock_guard lock(mutex_);
        FS_CHECK(!stopping_);  // appending after stop() is a bug of the shutdown order
        queue_.push_back(Pending{std::move(entry), std::move(on_durable)});
    }
    wake_.notify_one();
}

void GroupCommitWriter::stop() {
    std::lock_guard lock(stop_mutex_);
    {
        std::lock_guard queue_lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) {
        thread_.join();
    } else {
        run();  // never started, or stopped before: drains what is queued, if anything
    }
}

std::size_t GroupCommitWriter::pending() const {
    std::lock_guard lock(mutex_);
    return queue_.size() + in_flight_;
}

// The writer loop; returns once stopping and everything appended has been committed.
void GroupCommitWriter::run() {
    std::vector<domain::JournalEntry> entries;
    std::vector<OnDurable> callbacks;
    entries.reserve(options_.batch_max);
    callbacks.reserve(options_.batch_max);
    while (take_batch(entries, callbacks)) {
        commit(entries);
        for (auto& on_durable : callbacks) {
            if (on_durable) on_durable();
        }
        entries.clear();
        callbacks.clear();
        std::lock_guard lock(mutex_);
        in_flight_ = 0;
    }
}

// Waits for entries and moves up to batch_max of them, oldest first, into the two vectors.
// False when stopping and nothing is left.
bool GroupCommitWriter::take_batch(std::vector<domain::JournalEntry>& entries,
                                   std::vector<OnDurable>& callbacks) {
    std::unique_lock lock(mutex_);
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return false;
    auto count = std::min(queue_.size(), options_.batch_max);
    for (std::size_t i = 0; i < count; ++i) {
        entries.push_back(std::move(queue_.front().entry));
        callbacks.push_back(std::move(queue_.front().on_durable));
        queue_.pop_front();
    }
    in_flight_ = count;
    return true;
}

void GroupCommitWriter::commit(std::span<const domain::JournalEntry> entries) {
    auto started = std::chrono::steady_clock::now();
    try {
        store_.apply(entries);
    } catch (const std::exception& error) {
        spdlog::critical(
            "order journal: cannot make a batch of {} entries durable: {}. Stopping the node so "
            "that it restarts from the durable state (decisions already taken in memory cannot "
            "be persisted).",
            entries.size(), error.what());
        spdlog::default_logger()->flush();
        std::abort();
    }
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
    if (metrics_.batch_size != nullptr) {
        metrics_.batch_size->observe(static_cast<double>(entries.size()));
    }
    if (metrics_.commit_latency_s != nullptr) metrics_.commit_latency_s->observe(elapsed.count());
    if (metrics_.commits != nullptr) metrics_.commits->inc();
}

}  // namespace flashsale::orders
