// The Redis client against a real redis-server (tests/services/redis_server.h): reply kinds,
// pipelining, timeouts, a killed and restarted server, stop with commands in flight, AUTH,
// the per-worker RedisClient and BlockingRedis.
#include "clients/redis_client.h"

#include <gtest/gtest.h>

#include <chrono>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "services/redis_server.h"

namespace flashsale::clients {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using flashsale::testing::RedisServer;
using flashsale::testing::RedisServerOptions;
using SteadyClock = std::chrono::steady_clock;
using Reply = Result<RedisReply>;

// Runs `task` on `context` (on this thread) until it completes, at most `timeout`.
template <class T>
T run(asio::io_context& context, asio::awaitable<T> task, std::chrono::milliseconds timeout = 5s) {
    std::optional<T> out;
    std::exception_ptr error;
    bool done = false;
    asio::co_spawn(context, std::move(task), [&](std::exception_ptr e, T value) {
        error = e;
        if (!e) out.emplace(std::move(value));
        done = true;
    });
    const auto deadline = SteadyClock::now() + timeout;
    context.restart();
    while (!done && SteadyClock::now() < deadline) context.run_one_until(deadline);
    if (error) std::rethrow_exception(error);
    if (!done) throw std::runtime_error("the coroutine did not complete in time");
    return std::move(*out);
}

// Collects the results of commands spawned as separate coroutines.
struct Collector {
    std::vector<std::optional<Reply>> results;
    std::size_t done = 0;

    bool finished() const { return done == results.size(); }
};

asio::awaitable<void> execute_into(RedisConnection* connection, Command command,
                                   Collector* collector, std::size_t index) {
    auto operation = connection->execute(std::move(command));
    Reply reply = co_await std::move(operation);
    collector->results[index].emplace(std::move(reply));
    ++collector->done;
}

void spawn_into(asio::io_context& context, RedisConnection& connection, Command command,
                Collector& collector) {
    const std::size_t index = collector.results.size();
    collector.results.emplace_back();
    asio::co_spawn(context, execute_into(&connection, std::move(command), &collector, index),
                   asio::detached);
}

bool run_until(asio::io_context& context, const std::function<bool()>& condition,
               std::chrono::milliseconds timeout) {
    const auto deadline = SteadyClock::now() + timeout;
    context.restart();
    while (!condition() && SteadyClock::now() < deadline) {
        context.run_one_until(std::min(deadline, SteadyClock::now() + 10ms));
    }
    return condition();
}

class RedisClientTest : public ::testing::Test {
protected:
    RedisOptions options(const RedisServer& server) const {
        RedisOptions out;
        out.port = server.port();
        out.command_timeout = 2s;
        out.reconnect_min = 20ms;
        out.reconnect_max = 200ms;
        return out;
    }

    Reply call(RedisConnection& connection, Command command) {
        return run(context_, connection.execute(std::move(command)));
    }

    void connect(RedisConnection& connection) {
        connection.start();
        ASSERT_TRUE(run(context_, connection.wait_connected(3s)));
    }

    RedisServer server_;
    asio::io_context context_{1};
};

TEST_F(RedisClientTest, RepliesOfEveryKind) {
    RedisConnection connection(context_.get_executor(), options(server_));
    connect(connection);

    auto status = call(connection, {"SET", "greeting", "hello"});
    ASSERT_TRUE(status.ok()) << status.error().message;
    EXPECT_EQ(status->kind, RedisReply::Kind::kStatus);
    EXPECT_EQ(status->text, "OK");

    auto bulk = call(connection, {"GET", "greeting"});
    EXPECT_EQ(bulk->kind, RedisReply::Kind::kString);
    EXPECT_EQ(bulk->text, "hello");

    EXPECT_TRUE(call(connection, {"GET", "missing"})->is_nil());

    auto integer = call(connection, {"INCRBY", "counter", "-42"});
    EXPECT_EQ(integer->kind, RedisReply::Kind::kInteger);
    EXPECT_EQ(integer->integer, -42);

    call(connection, {"RPUSH", "list", "a", "b"}).value();
    auto array = call(connection, {"LRANGE", "list", "0", "-1"});
    ASSERT_EQ(array->kind, RedisReply::Kind::kArray);
    ASSERT_EQ(array->elements.size(), 2u);
    EXPECT_EQ(array->elements[1].text, "b");

    auto nested = call(connection, {"EVAL", "return {1, 'two', {3, {'four'}}, false}", "0"});
    ASSERT_EQ(nested->kind, RedisReply::Kind::kArray);
    ASSERT_EQ(nested->elements.size(), 4u);
    EXPECT_EQ(nested->elements[0].integer, 1);
    EXPECT_EQ(nested->elements[1].text, "two");
    const auto& inner = nested->elements[2];
    ASSERT_EQ(inner.elements.size(), 2u);
    EXPECT_EQ(inner.elements[0].integer, 3);
    EXPECT_EQ(inner.elements[1].elements.at(0).text, "four");
    EXPECT_TRUE(nested->elements[3].is_nil());

    auto empty = call(connection, {"LRANGE", "missing", "0", "-1"});
    EXPECT_EQ(empty->kind, RedisReply::Kind::kArray);
    EXPECT_TRUE(empty->elements.empty());
}

TEST_F(RedisClientTest, ErrorRepliesAreRepliesNotFailures) {
    RedisConnection connection(context_.get_executor(), options(server_));
    connect(connection);
    call(connection, {"SET", "text", "abc"}).value();

    auto wrong_type = call(connection, {"INCR", "text"});
    ASSERT_TRUE(wrong_type.ok());
    EXPECT_TRUE(wrong_type->is_error());
    EXPECT_NE(wrong_type->text.find("not an integer"), std::string::npos);

    auto refused = call(connection, {"EVAL", "return redis.error_reply('SOLD_OUT nothing left')",
                                     "0"});
    ASSERT_TRUE(refused.ok());
    EXPECT_TRUE(refused->is_error());
    EXPECT_EQ(refused->text, "SOLD_OUT nothing left");

    auto unknown = call(connection, {"NO_SUCH_COMMAND"});
    EXPECT_TRUE(unknown->is_error());
    // The connection carries on after error replies.
    EXPECT_EQ(call(connection, {"PING"})->text, "PONG");
}

TEST_F(RedisClientTest, ArgumentsAreBinarySafe) {
    RedisConnection connection(context_.get_executor(), options(server_));
    connect(connection);
    std::string key("key\0with\r\nbreaks", 16);
    std::string value;
    for (int byte = 0; byte < 256; ++byte) value.push_back(static_cast<char>(byte));
    value += std::string(100000, 'x');  // larger than one read

    call(connection, {"SET", key, value}).value();
    auto back = call(connection, {"GET", key});
    EXPECT_EQ(back->text, value);
    EXPECT_EQ(call(connection, {"STRLEN", key})->integer, static_cast<int>(value.size()));
    EXPECT_EQ(call(connection, {"ECHO", ""})->text, "");
}

TEST_F(RedisClientTest, ConcurrentCommandsArePipelinedAndAnsweredInOrder) {
    RedisConnection connection(context_.get_executor(), options(server_));
    connect(connection);
    const RedisStats before = connection.stats();

    constexpr std::size_t kCommands = 300;
    Collector collector;
    for (std::size_t i = 0; i < kCommands; ++i) {
        spawn_into(context_, connection, {"INCR", "sequence"}, collector);
    }
    ASSERT_TRUE(run_until(context_, [&] { return collector.finished(); }, 5s));

    // Issued in spawn order, so reply i is the i-th increment.
    for (std::size_t i = 0; i < kCommands; ++i) {
        ASSERT_TRUE(collector.results[i]->ok()) << collector.results[i]->error().message;
        EXPECT_EQ((*collector.results[i])->integer, static_cast<std::int64_t>(i + 1));
    }
    const RedisStats after = connection.stats();
    EXPECT_EQ(after.commands - before.commands, kCommands);
    // All were queued before the writer ran: one write (two if it woke up early).
    EXPECT_LE(after.writes - before.writes, 2u);
}

TEST_F(RedisClientTest, PipelineMaxRefusesAtOnceWithOverloaded) {
    auto settings = options(server_);
    settings.pipeline_max = 4;
    RedisConnection connection(context_.get_executor(), settings);
    connect(connection);
    Collector collector;
    for (int i = 0; i < 10; ++i) spawn_into(context_, connection, {"PING"}, collector);
    ASSERT_TRUE(run_until(context_, [&] { return collector.finished(); }, 5s));
    int answered = 0;
    int overloaded = 0;
    for (const auto& result : collector.results) {
        if (result->ok()) ++answered;
        if (!result->ok() && result->error().code == Errc::kOverloaded) ++overloaded;
    }
    EXPECT_EQ(answered, 4);
    EXPECT_EQ(overloaded, 6);
    EXPECT_TRUE(call(connection, {"PING"}).ok());  // room again once answered
}

TEST_F(RedisClientTest, TimeoutFailsPendingCommandsAndTheConnectionRecovers) {
    auto settings = options(server_);
    settings.command_timeout = 200ms;
    RedisConnection connection(context_.get_executor(), settings);
    connect(connection);

    Collector collector;
    spawn_into(context_, connection, {"DEBUG", "SLEEP", "0.6"}, collector);
    spawn_into(context_, connection, {"PING"}, collector);  // queued behind it: fails too
    const auto start = SteadyClock::now();
    ASSERT_TRUE(run_until(context_, [&] { return collector.finished(); }, 3s));
    const auto elapsed = SteadyClock::now() - start;
    EXPECT_GE(elapsed, 150ms);
    EXPECT_LT(elapsed, 550ms);
    for (const auto& result : collector.results) {
        ASSERT_FALSE(result->ok());
        EXPECT_EQ(result->error().code, Errc::kUnavailable);
        EXPECT_NE(result->error().message.find("Redis is unavailable"), std::string::npos);
    }

    // Reconnects in the background; commands succeed again once the server is awake.
    const auto deadline = SteadyClock::now() + 3s;
    bool recovered = false;
    while (!recovered && SteadyClock::now() < deadline) {
        recovered = call(connection, {"PING"}).ok();
        if (!recovered) run_until(context_, [] { return false; }, 50ms);
    }
    EXPECT_TRUE(recovered);
    EXPECT_GE(connection.stats().connects, 2u);
}

TEST_F(RedisClientTest, KilledServerFailsAtOnceAndRestartedServerIsUsedAgain) {
    auto settings = options(server_);
    settings.command_timeout = 5s;
    RedisConnection connection(context_.get_executor(), settings);
    connect(connection);
    call(connection, {"SET", "durable", "yes"}).value();

    Collector collector;
    spawn_into(context_, connection, {"BLPOP", "nothing", "10"}, collector);  // in flight
    run_until(context_, [&] { return connection.stats().writes >= 2; }, 1s);
    const auto killed_at = SteadyClock::now();
    server_.kill();
    ASSERT_TRUE(run_until(context_, [&] { return collector.finished(); }, 2s));
    EXPECT_LT(SteadyClock::now() - killed_at, 1s);  // not the 5 s command timeout
    ASSERT_FALSE(collector.results[0]->ok());
    EXPECT_EQ(collector.results[0]->error().code, Errc::kUnavailable);
    EXPECT_FALSE(connection.connected());

    const auto asked_at = SteadyClock::now();
    auto refused = call(connection, {"PING"});
    EXPECT_LT(SteadyClock::now() - asked_at, 50ms);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, Errc::kUnavailable);
    EXPECT_NE(refused.error().message.find("Redis is unavailable"), std::string::npos);

    server_.restart();
    ASSERT_TRUE(run(context_, connection.wait_connected(3s)));
    EXPECT_EQ(call(connection, {"GET", "durable"})->text, "yes");  // appendfsync always
}

TEST_F(RedisClientTest, StopFailsEveryCommandInFlight) {
    RedisConnection connection(context_.get_executor(), options(server_));
    connect(connection);
    Collector collector;
    spawn_into(context_, connection, {"BLPOP", "nothing", "5"}, collector);
    for (int i = 0; i < 20; ++i) spawn_into(context_, connection, {"PING"}, collector);
    run_until(context_, [&] { return connection.stats().commands >= 21; }, 1s);
    connection.stop();
    ASSERT_TRUE(run_until(context_, [&] { return collector.finished(); }, 1s));
    for (const auto& result : collector.results) {
        ASSERT_FALSE(result->ok());
        EXPECT_EQ(result->error().code, Errc::kUnavailable);
    }
    auto after = call(connection, {"PING"});
    ASSERT_FALSE(after.ok());
    EXPECT_EQ(after.error().code, Errc::kUnavailable);
    connection.stop();  // idempotent
}

TEST_F(RedisClientTest, DestroyedWithCommandsInFlightCompletesThem) {
    auto connection = std::make_unique<RedisConnection>(context_.get_executor(),
                                                        options(server_));
    connect(*connection);
    Collector collector;
    spawn_into(context_, *connection, {"BLPOP", "nothing", "5"}, collector);
    for (int i = 0; i < 10; ++i) spawn_into(context_, *connection, {"PING"}, collector);
    run_until(context_, [&] { return connection->stats().writes >= 1; }, 1s);
    connection.reset();
    ASSERT_TRUE(run_until(context_, [&] { return collector.finished(); }, 1s));
    for (const auto& result : collector.results) EXPECT_FALSE(result->ok());
}

TEST_F(RedisClientTest, ContextDestroyedWithCommandsInFlightIsClean) {
    // Callers abandoned with their io_context (the server shutting down hard): no leak, no
    // use after free (run under ASan).
    auto context = std::make_unique<asio::io_context>(1);
    auto connection = std::make_unique<RedisConnection>(context->get_executor(),
                                                        options(server_));
    connection->start();
    ASSERT_TRUE(run(*context, connection->wait_connected(3s)));
    Collector collector;
    spawn_into(*context, *connection, {"BLPOP", "nothing", "5"}, collector);
    for (int i = 0; i < 10; ++i) spawn_into(*context, *connection, {"PING"}, collector);
    run_until(*context, [&] { return connection->stats().writes >= 1; }, 1s);
    connection.reset();
    context.reset();
    EXPECT_FALSE(collector.finished());
}

TEST(RedisClientAuthTest, PasswordIsSentBeforeAnyCommand) {
    RedisServer server(RedisServerOptions{.password = "s3cret"});
    asio::io_context context(1);
    RedisOptions settings;
    settings.port = server.port();
    settings.password = "s3cret";
    RedisConnection good(context.get_executor(), settings);
    good.start();
    ASSERT_TRUE(run(context, good.wait_connected(3s)));
    EXPECT_EQ(run(context, good.execute({"PING"}))->text, "PONG");

    settings.password = "wrong";
    settings.connect_timeout = 300ms;
    RedisConnection bad(context.get_executor(), settings);
    bad.start();
    EXPECT_FALSE(run(context, bad.wait_connected(300ms)));
    auto refused = run(context, bad.execute({"PING"}));
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, Errc::kUnavailable);
}

// Two worker threads, one connection each: local() is the thread's own, and a foreign
// coroutine is served by the first connection and resumed on its own executor.
TEST_F(RedisClientTest, ClientUsesTheWorkersConnectionAndServesForeignCallers) {
    std::vector<std::unique_ptr<asio::io_context>> workers;
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
    std::vector<std::thread> threads;
    std::vector<asio::any_io_executor> executors;
    for (int i = 0; i < 2; ++i) {
        workers.push_back(std::make_unique<asio::io_context>(1));
        guards.push_back(asio::make_work_guard(*workers.back()));
        executors.push_back(workers.back()->get_executor());
    }
    for (auto& worker : workers) threads.emplace_back([&context = *worker] { context.run(); });

    RedisClient client(executors, options(server_));
    client.start();
    std::vector<RedisConnection*> locals;
    for (auto& worker : workers) {
        std::promise<std::pair<RedisConnection*, Reply>> promise;
        auto future = promise.get_future();
        auto task = [](RedisClient* redis) -> asio::awaitable<std::pair<RedisConnection*, Reply>> {
            RedisConnection* local = &redis->local();
            auto wait = local->wait_connected(3s);
            co_await std::move(wait);
            auto operation = redis->execute({"INCR", "hits"});
            Reply reply = co_await std::move(operation);
            co_return std::make_pair(local, std::move(reply));
        };
        asio::co_spawn(*worker, task(&client),
                       [&promise](std::exception_ptr, std::pair<RedisConnection*, Reply> out) {
                           promise.set_value(std::move(out));
                       });
        auto [local, reply] = future.get();
        ASSERT_TRUE(reply.ok()) << reply.error().message;
        locals.push_back(local);
    }
    EXPECT_NE(locals[0], locals[1]);

    // This thread's own context is no worker's.
    auto foreign = [](RedisClient* redis,
                      asio::io_context* mine) -> asio::awaitable<std::pair<bool, Reply>> {
        auto operation = redis->execute({"INCR", "hits"});
        Reply reply = co_await std::move(operation);
        co_return std::make_pair(mine->get_executor().running_in_this_thread(), std::move(reply));
    };
    auto [resumed_here, reply] = run(context_, foreign(&client, &context_));
    EXPECT_TRUE(resumed_here);
    ASSERT_TRUE(reply.ok()) << reply.error().message;
    EXPECT_EQ(reply->integer, 3);
    EXPECT_TRUE(client.connected());

    client.stop();
    EXPECT_FALSE(client.connected());
    guards.clear();
    for (auto& worker : workers) worker->stop();
    for (auto& thread : threads) thread.join();
}

TEST_F(RedisClientTest, BlockingRedisRunsUntilTheReply) {
    BlockingRedis redis(options(server_));
    auto set = redis.execute({"SET", "cli", "value"});
    ASSERT_TRUE(set.ok()) << set.error().message;
    EXPECT_EQ(redis.execute({"GET", "cli"})->text, "value");
    EXPECT_EQ(redis.execute({"INCR", "cli"})->kind, RedisReply::Kind::kError);
}

TEST(BlockingRedisTest, UnreachableServerIsUnavailable) {
    RedisOptions settings;
    settings.port = 1;  // nothing listens there
    settings.connect_timeout = 200ms;
    settings.command_timeout = 200ms;
    BlockingRedis redis(settings);
    const auto start = SteadyClock::now();
    auto reply = redis.execute({"PING"});
    EXPECT_LT(SteadyClock::now() - start, 2s);
    ASSERT_FALSE(reply.ok());
    EXPECT_EQ(reply.error().code, Errc::kUnavailable);
}

}  // namespace
}  // namespace flashsale::clients
