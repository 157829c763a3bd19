#include "orders/group_commit_writer.h"

#include <atomic>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "orders/sqlite_order_store.h"
#include "unit/orders_fixtures.h"

namespace flashsale::orders {
namespace {

using testing::make_order;
using testing::make_sale;
using testing::reserved;
using testing::saved;

// Records every batch it is given; optionally slow, to keep entries queued.
class RecordingStore final : public testing::NullOrderStore {
public:
    explicit RecordingStore(std::chrono::milliseconds delay = {}) : delay_(delay) {}

    void apply(std::span<const domain::JournalEntry> batch) override {
        std::this_thread::sleep_for(delay_);
        std::lock_guard lock(mutex_);
        sizes_.push_back(batch.size());
        for (const auto& entry : batch) {
            ids_.push_back(std::get<domain::OrderReserved>(entry).order.id);
        }
    }
    std::vector<std::size_t> sizes() const {
        std::lock_guard lock(mutex_);
        return sizes_;
    }
    std::vector<std::string> ids() const {
        std::lock_guard lock(mutex_);
        return ids_;
    }

private:
    const std::chrono::milliseconds delay_;
    mutable std::mutex mutex_;
    std::vector<std::size_t> sizes_;
    std::vector<std::string> ids_;
};

domain::JournalEntry order_entry(int n) {
    return reserved(make_order(fmt::format("o{}", n), "s1", fmt::format("u{}", n), 1));
}

std::vector<std::string> order_ids(int count) {
    std::vector<std::string> ids;
    for (int n = 0; n < count; ++n) ids.push_back(fmt::format("o{}", n));
    return ids;
}

TEST(GroupCommitWriterTest, ManyThreadsAppendEveryCallbackFiresOnceInOrder) {
    constexpr int kThreads = 4, kPerThread = 5000, kTotal = kThreads * kPerThread;
    testing::TempDir dir;
    auto file = dir / "orders.db";
    Histogram batch_size({1, 2, 4, 16, 64, 256, 1024});
    Histogram latency(latency_buckets_s());
    Counter commits;
    std::vector<int> fired(kTotal, 0);
    std::vector<int> last_fired(kThreads, -1);
    int out_of_order = 0;  // callbacks run on the writer thread only; read after stop() joins it
    {
        SqliteOrderStore store(file);
        GroupCommitWriter writer(store, WriterOptions{}, {&batch_size, &latency, &commits});
        writer.start();
        writer.append(saved(make_sale("s1", kTotal, 1)), [] {});
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&, t] {
                for (int i = 0; i < kPerThread; ++i) {
                    int n = t * kPerThread + i;
                    writer.append(order_entry(n), [&, t, n] {
                        ++fired[static_cast<std::size_t>(n)];
                        if (n <= last_fired[static_cast<std::size_t>(t)]) ++out_of_order;
                        last_fired[static_cast<std::size_t>(t)] = n;
                    });
                }
            });
        }
        for (auto& thread : threads) thread.join();
        writer.stop();
        EXPECT_EQ(writer.pending(), 0u);
    }
    EXPECT_THAT(fired, ::testing::Each(1));
    EXPECT_EQ(out_of_order, 0);
    EXPECT_DOUBLE_EQ(batch_size.sum(), kTotal + 1);
    EXPECT_EQ(batch_size.count(), commits.value());
    EXPECT_EQ(latency.count(), commits.value());
    EXPECT_LT(batch_size.bucket_count(0), batch_size.count()) << "no batch larger than 1";

    SqliteOrderStore reopened(file, /*read_only=*/true);
    EXPECT_EQ(reopened.load_orders("s1").size(), static_cast<std::size_t>(kTotal));
    EXPECT_EQ(reopened.counts("s1").reserved, kTotal);
    EXPECT_THAT(reopened.verify(std::nullopt), ::testing::IsEmpty());
}

TEST(GroupCommitWriterTest, BatchesAreFifoAndAtMostBatchMax) {
    RecordingStore store;
    GroupCommitWriter writer(store, WriterOptions{.batch_max = 3});
    std::vector<int> order;
    for (int n = 0; n < 10; ++n) writer.append(order_entry(n), [&order, n] { order.push_back(n); });
    EXPECT_EQ(writer.pending(), 10u);
    writer.start();
    writer.stop();
    EXPECT_THAT(store.sizes(), ::testing::ElementsAre(3, 3, 3, 1));
    EXPECT_EQ(store.ids(), order_ids(10));
    EXPECT_THAT(order, ::testing::ElementsAre(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
}

TEST(GroupCommitWriterTest, StopDrainsPendingEntries) {
    RecordingStore store(std::chrono::milliseconds(5));
    GroupCommitWriter writer(store, WriterOptions{.batch_max = 2});
    writer.start();
    std::atomic<int> fired{0};
    for (int n = 0; n < 40; ++n) writer.append(order_entry(n), [&fired] { ++fired; });
    EXPECT_GT(writer.pending(), 0u);
    writer.stop();
    EXPECT_EQ(fired.load(), 40);
    EXPECT_EQ(writer.pending(), 0u);
    EXPECT_EQ(store.ids(), order_ids(40));
    writer.stop();  // idempotent
}

TEST(GroupCommitWriterTest, StopWithoutStartDrainsOnTheCallingThread) {
    RecordingStore store;
    GroupCommitWriter writer(store, WriterOptions{});
    std::thread::id ran_on;
    writer.append(order_entry(0), [&ran_on] { ran_on = std::this_thread::get_id(); });
    writer.stop();
    EXPECT_EQ(ran_on, std::this_thread::get_id());
    EXPECT_EQ(store.ids(), order_ids(1));
}

TEST(GroupCommitWriterDeathTest, AppendAfterStopIsABug) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    RecordingStore store;
    GroupCommitWriter writer(store, WriterOptions{});
    writer.start();
    writer.stop();
    EXPECT_DEATH(writer.append(order_entry(0), [] {}), "check failed");
}

class FailingStore final : public testing::NullOrderStore {
public:
    void apply(std::span<const domain::JournalEntry>) override { throw StoreError("disk full"); }
};

TEST(GroupCommitWriterDeathTest, AStoreFailureStopsTheProcessBeforeAnyCallback) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    auto fail_stop = [] {
        spdlog::set_default_logger(spdlog::stderr_logger_st("writer-test"));
        FailingStore store;
        GroupCommitWriter writer(store, WriterOptions{});
        writer.append(order_entry(0), [] { std::fputs("callback ran\n", stderr); });
        writer.start();
        writer.stop();
    };
    EXPECT_DEATH(fail_stop(), "cannot make a batch of 1 entries durable: disk full");
}

}  // namespace
}  // namespace flashsale::orders
