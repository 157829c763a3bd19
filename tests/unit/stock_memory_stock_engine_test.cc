// The memory engine across real worker threads: one atomic step per purchase, answers only
// after the journal made the decision durable, and the journal sees decisions in order.
#include <gtest/gtest.h>

#include <mutex>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "stock/memory_stock_engine.h"

namespace flashsale::stock {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// Records entries in append order and declares them durable from its own thread, later, as a
// real group-commit writer would.
class RecordingJournal final : public domain::OrderJournal {
public:
    ~RecordingJournal() override { flush(); }
    void append(domain::JournalEntry entry, OnDurable on_durable) override {
        std::lock_guard lock(mutex_);
        entries_.push_back(std::move(entry));
        pending_.push_back(std::move(on_durable));
    }
    // Runs on a thread of its own until stopped, committing whatever has been appended.
    void run(std::stop_token stop) {
        while (!stop.stop_requested()) {
            flush();
            std::this_thread::sleep_for(1ms);
        }
    }
    void flush() {
        std::vector<OnDurable> batch;
        {
            std::lock_guard lock(mutex_);
            batch.swap(pending_);
        }
        for (auto& done : batch) done();
    }
    std::vector<domain::JournalEntry> entries() {
        std::lock_guard lock(mutex_);
        return entries_;
    }

private:
    std::mutex mutex_;
    std::vector<domain::JournalEntry> entries_;
    std::vector<OnDurable> pending_;
};

class MemoryEngineTest : public ::testing::Test {
protected:
    void SetUp() override {
        for (int i = 0; i < 2; ++i) {
            contexts_.push_back(std::make_unique<asio::io_context>());
            guards_.emplace_back(contexts_.back()->get_executor());
            executors_.push_back(contexts_.back()->get_executor());
        }
        engine_ = std::make_unique<MemoryStockEngine>(executors_, journal_, clock_,
                                                      MemoryEngineOptions{20ms});
        for (auto& context : contexts_) threads_.emplace_back([&c = *context] { c.run(); });
        writer_ = std::jthread([this](std::stop_token stop) { journal_.run(stop); });
    }
    void TearDown() override {
        engine_->stop();
        guards_.clear();
        for (auto& context : contexts_) context->stop();
        threads_.clear();
        writer_ = {};
    }
    template <class T>
    T await(asio::awaitable<T> awaitable, std::size_t context = 0) {
        return asio::co_spawn(*contexts_[context], std::move(awaitable), asio::use_future).get();
    }
    domain::Sale sale(std::string id, std::int64_t stock, std::int32_t limit) {
        return {.id = std::move(id), .name = "Item", .stock = stock, .per_user_limit = limit,
                .starts_at = clock_.now() - 1s, .ends_at = clock_.now() + 1h,
                .reservation_ttl_s = 1};
    }

    ManualClock clock_{from_unix_ms(1'700'000'000'000)};
    RecordingJournal journal_;
    std::vector<std::unique_ptr<asio::io_context>> contexts_;
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
    std::vector<asio::any_io_executor> executors_;
    std::vector<std::jthread> threads_;
    std::jthread writer_;
    std::unique_ptr<MemoryStockEngine> engine_;
};

TEST_F(MemoryEngineTest, ConcurrentBuyersFromBothWorkersNeverOversell) {
    ASSERT_TRUE(await(engine_->create_sale(sale("s", 50, 1))).ok());
    std::vector<std::future<Result<domain::Order>>> attempts;
    for (int user = 0; user < 400; ++user) {
        auto request = ReserveRequest{"s", "u" + std::to_string(user % 200), 1, ""};
        attempts.push_back(asio::co_spawn(*contexts_[user % 2], engine_->reserve(request),
                                          asio::use_future));
    }
    int accepted = 0, sold_out = 0, limit = 0;
    for (auto& attempt : attempts) {
        auto result = attempt.get();
        if (result.ok()) ++accepted;
        else if (result.error().code == Errc::kSoldOut) ++sold_out;
        else if (result.error().code == Errc::kLimitReached) ++limit;
    }
    EXPECT_EQ(accepted, 50);
    EXPECT_EQ(accepted + sold_out + limit, 400);
    auto view = await(engine_->view("s"));
    EXPECT_EQ(view->remaining(), 0);
    auto entries = journal_.entries();
    auto reserved = std::count_if(entries.begin(), entries.end(), [](auto& entry) {
        return std::holds_alternative<domain::OrderReserved>(entry);
    });
    EXPECT_EQ(reserved, 50) << "one journal entry per accepted order, none for refusals";
}

TEST_F(MemoryEngineTest, UnknownSaleAndDuplicateSale) {
    EXPECT_EQ(await(engine_->reserve({"nope", "u", 1, ""})).error().code, Errc::kNotFound);
    ASSERT_TRUE(await(engine_->create_sale(sale("s", 1, 1))).ok());
    EXPECT_EQ(await(engine_->create_sale(sale("s", 1, 1))).error().code, Errc::kConflict);
    EXPECT_EQ(await(engine_->create_sale(sale("bad/id", 1, 1))).error().code,
              Errc::kBadRequest);
}

TEST_F(MemoryEngineTest, SweeperExpiresReservationsAndStockReturns) {
    engine_->start();
    ASSERT_TRUE(await(engine_->create_sale(sale("s", 1, 1))).ok());
    auto order = await(engine_->reserve({"s", "u", 1, ""}));
    ASSERT_TRUE(order.ok());
    EXPECT_EQ(await(engine_->reserve({"s", "v", 1, ""})).error().code, Errc::kSoldOut);
    clock_.advance(1s);
    std::this_thread::sleep_for(200ms);  // a few sweep intervals
    auto view = await(engine_->view("s"));
    EXPECT_EQ(view->expired, 1);
    EXPECT_EQ(view->remaining(), 1);
    EXPECT_TRUE(await(engine_->reserve({"s", "v", 1, ""}), 1).ok());
    EXPECT_EQ(await(engine_->pay("s", order->id)).error().code, Errc::kInvalidTransition);
}

// The sweep visits only books with something due (Shard::due); every way a book's earliest
// deadline moves must reach that schedule: a first reservation, a shorter TTL that puts a new
// deadline before the old ones, an order restored at startup, and the sweep itself.
TEST_F(MemoryEngineTest, SweeperExpiresEachReservationAtItsOwnDeadline) {
    auto restored_sale = sale("restored", 10, 10);
    engine_->restore(restored_sale);
    const auto now = clock_.now();
    engine_->restore(domain::Order{.id = "o-restored", .sale_id = "restored", .user_id = "u",
                                   .quantity = 1, .status = domain::OrderStatus::kReserved,
                                   .created_at = now, .expires_at = now + 3s,
                                   .updated_at = now});
    engine_->start();
    auto long_sale = sale("long", 10, 10);
    long_sale.reservation_ttl_s = 10;
    auto short_sale = sale("short", 10, 10);
    short_sale.reservation_ttl_s = 2;
    ASSERT_TRUE(await(engine_->create_sale(long_sale)).ok());
    ASSERT_TRUE(await(engine_->create_sale(short_sale)).ok());
    ASSERT_TRUE(await(engine_->reserve({"long", "u", 1, ""})).ok());   // due at +10 s
    ASSERT_TRUE(await(engine_->reserve({"short", "u", 1, ""})).ok());  // due at +2 s
    auto cancelled = await(engine_->reserve({"short", "v", 1, ""}));
    ASSERT_TRUE(cancelled.ok());
    ASSERT_TRUE(await(engine_->cancel("short", cancelled->id)).ok());  // a stale deadline
    domain::SalePatch shorter;
    shorter.reservation_ttl_s = 1;
    ASSERT_TRUE(await(engine_->update_sale("long", shorter)).ok());
    ASSERT_TRUE(await(engine_->reserve({"long", "v", 1, ""})).ok());  // due at +1 s, first
    auto expired = [this](const std::string& sale_id) {
        return await(engine_->view(sale_id))->expired;
    };
    auto after = [this](std::chrono::milliseconds step) {
        clock_.advance(step);
        std::this_thread::sleep_for(150ms);  // several sweep intervals
    };
    after(1500ms);
    EXPECT_EQ(expired("long"), 1) << "the shorter TTL's reservation, due before the first one";
    EXPECT_EQ(expired("short"), 0);
    EXPECT_EQ(expired("restored"), 0);
    after(1000ms);
    EXPECT_EQ(expired("short"), 1) << "the cancelled reservation does not expire as well";
    EXPECT_EQ(await(engine_->view("short"))->cancelled, 1);
    EXPECT_EQ(expired("restored"), 0);
    after(1000ms);
    EXPECT_EQ(expired("restored"), 1) << "an order restored at startup expires too";
    EXPECT_EQ(expired("long"), 1);
    after(7000ms);
    EXPECT_EQ(expired("long"), 2);
    for (const auto* id : {"long", "short", "restored"}) {
        EXPECT_EQ(await(engine_->view(id))->reserved, 0) << id;
    }
}

TEST_F(MemoryEngineTest, ListSeesSalesOnEveryShard) {
    for (int i = 0; i < 10; ++i) {
        ASSERT_TRUE(await(engine_->create_sale(sale("s" + std::to_string(i), 1, 1))).ok());
    }
    EXPECT_EQ(await(engine_->list()).size(), 10u);
}

}  // namespace
}  // namespace flashsale::stock
