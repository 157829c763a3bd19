#include "orders/order_reader.h"

#include <atomic>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "orders/sqlite_order_store.h"
#include "unit/orders_fixtures.h"

namespace flashsale::orders {
namespace {

namespace asio = boost::asio;
using testing::make_order;
using testing::make_sale;
using testing::reserved;
using testing::saved;

// Forwards to a real store and remembers the thread each query ran on.
class ThreadRecordingStore final : public testing::NullOrderStore {
public:
    explicit ThreadRecordingStore(OrderStore& inner) : inner_(inner) {}
    std::optional<domain::Order> find_order(std::string_view order_id) override {
        query_thread = std::this_thread::get_id();
        return inner_.find_order(order_id);
    }
    SaleCounts counts(std::string_view sale_id) override { return inner_.counts(sale_id); }
    bool ping() override { return inner_.ping(); }

    std::atomic<std::thread::id> query_thread;

private:
    OrderStore& inner_;
};

struct Observed {
    std::optional<domain::Order> found, missing;
    SaleCounts counts;
    bool ping = false;
    std::thread::id resumed_after_found, resumed_after_missing;
};

asio::awaitable<Observed> read_all(OrderReader& reader) {
    Observed observed;
    observed.found = co_await reader.find_order("o1");
    observed.resumed_after_found = std::this_thread::get_id();
    observed.missing = co_await reader.find_order("nope");
    observed.resumed_after_missing = std::this_thread::get_id();
    observed.counts = co_await reader.counts("s1");
    observed.ping = co_await reader.ping();
    co_return observed;
}

TEST(OrderReaderTest, FindsOrdersOnThePoolAndResumesOnTheCallersThread) {
    testing::TempDir dir;
    SqliteOrderStore sqlite(dir / "orders.db");
    sqlite.apply(std::vector{saved(make_sale("s1", 10, 3)),
                             reserved(make_order("o1", "s1", "u1", 2))});
    ThreadRecordingStore store(sqlite);
    OrderReader reader(store, 2);

    asio::io_context io;
    auto work = asio::make_work_guard(io);
    std::thread io_thread([&io] { io.run(); });
    const auto io_thread_id = io_thread.get_id();
    auto future = asio::co_spawn(io, read_all(reader), asio::use_future);
    auto observed = future.get();
    work.reset();
    io_thread.join();
    reader.stop();

    ASSERT_TRUE(observed.found.has_value());
    EXPECT_EQ(observed.found->id, "o1");
    EXPECT_EQ(observed.found->quantity, 2);
    EXPECT_FALSE(observed.missing.has_value());
    EXPECT_EQ(observed.counts.reserved, 2);
    EXPECT_TRUE(observed.ping);
    EXPECT_EQ(observed.resumed_after_found, io_thread_id);
    EXPECT_EQ(observed.resumed_after_missing, io_thread_id);
    EXPECT_NE(store.query_thread.load(), io_thread_id);
    EXPECT_NE(store.query_thread.load(), std::thread::id{});
}

class BrokenStore final : public testing::NullOrderStore {
public:
    std::optional<domain::Order> find_order(std::string_view) override {
        throw StoreError("disk I/O error");
    }
    bool ping() override { throw StoreError("disk I/O error"); }
};

asio::awaitable<std::string> find_error(OrderReader& reader) {
    try {
        co_await reader.find_order("o1");
    } catch (const StoreError& error) {
        co_return error.what();
    }
    co_return "";
}

TEST(OrderReaderTest, StoreErrorsReachTheCoroutineAndPingAnswersFalse) {
    BrokenStore store;
    OrderReader reader(store, 1);
    asio::io_context io;
    auto error = asio::co_spawn(io, find_error(reader), asio::use_future);
    auto ping = asio::co_spawn(io, reader.ping(), asio::use_future);
    io.run();
    EXPECT_EQ(error.get(), "disk I/O error");
    EXPECT_FALSE(ping.get());
}

}  // namespace
}  // namespace flashsale::orders
