// ReadCoalescer on a real io_context: reads that arrive together share a fetch, no read gets an
// answer fetched before it arrived, errors reach every reader of their flight, keys never share.
#include "api/read_coalescer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace flashsale::api {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// A fetch that takes `latency` and answers the version it saw when it started, like a read
// sent to a database at that moment.
class SlowSource {
public:
    explicit SlowSource(asio::io_context& io) : io_(io) {}

    asio::awaitable<int> fetch() {
        ++fetches;
        const int seen = version;
        asio::steady_timer timer(io_, latency);
        auto waiting = timer.async_wait(asio::use_awaitable);
        co_await std::move(waiting);
        if (fail) throw std::runtime_error("backend down");
        co_return seen;
    }

    int version = 1;
    int fetches = 0;
    bool fail = false;
    std::chrono::milliseconds latency = 20ms;

private:
    asio::io_context& io_;
};

class ReadCoalescerTest : public ::testing::Test {
protected:
    // Starts a read of `key`; its answer (or -1 for an error) lands in `answers` at `slot`.
    void start_read(const std::string& key, std::size_t slot) {
        answers.resize(std::max(answers.size(), slot + 1), 0);
        asio::co_spawn(io, read_into(key, slot), asio::detached);
    }

    // Runs `action` on the io thread after `delay`.
    void after(std::chrono::milliseconds delay, std::function<void()> action) {
        auto timer = std::make_shared<asio::steady_timer>(io, delay);
        timer->async_wait([timer, action = std::move(action)](auto) { action(); });
    }

    asio::io_context io;
    SlowSource source{io};
    ReadCoalescer<int> coalescer;
    std::vector<int> answers;

private:
    asio::awaitable<void> read_into(std::string key, std::size_t slot) {
        try {
            auto reading = coalescer.read(key, [this] { return source.fetch(); });
            answers[slot] = co_await std::move(reading);
        } catch (const std::runtime_error&) {
            answers[slot] = -1;
        }
    }
};

TEST_F(ReadCoalescerTest, ReadsArrivingTogetherShareTheNextFetch) {
    for (std::size_t i = 0; i < 10; ++i) start_read("sale", i);
    io.run();
    // The first read fetches; the nine that found it under way share one more fetch.
    EXPECT_EQ(source.fetches, 2);
    EXPECT_EQ(coalescer.flights(), 0u);
    for (int answer : answers) EXPECT_EQ(answer, 1);
}

TEST_F(ReadCoalescerTest, NoReadGetsAnAnswerFetchedBeforeItArrived) {
    start_read("sale", 0);  // its fetch sees version 1
    after(5ms, [&] {
        source.version = 2;  // a write acknowledged while that fetch is under way
        start_read("sale", 1);
        start_read("sale", 2);
    });
    io.run();
    EXPECT_EQ(answers[0], 1);
    EXPECT_EQ(answers[1], 2) << "a read took the answer of a fetch sent before it arrived";
    EXPECT_EQ(answers[2], 2);
    EXPECT_EQ(source.fetches, 2);
}

TEST_F(ReadCoalescerTest, AFailedFetchFailsEveryReadOfItsFlightAndTheNextReadFetchesAgain) {
    source.fail = true;
    start_read("sale", 0);
    start_read("sale", 1);
    start_read("sale", 2);
    io.run();
    EXPECT_EQ(answers, (std::vector<int>{-1, -1, -1}));
    EXPECT_EQ(coalescer.flights(), 0u);

    source.fail = false;
    source.version = 3;
    io.restart();
    start_read("sale", 3);
    io.run();
    EXPECT_EQ(answers[3], 3);
}

TEST_F(ReadCoalescerTest, DifferentKeysNeverShare) {
    start_read("a", 0);
    start_read("b", 1);
    io.run();
    EXPECT_EQ(source.fetches, 2);
}

}  // namespace
}  // namespace flashsale::api
