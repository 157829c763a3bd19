// The Redis client: connections on Asio, one per worker, so a command never leaves the thread
// of the coroutine that sends it. Commands sent while others are in flight go out together in
// one write (automatic pipelining); replies are parsed with hiredis's RESP reader and matched
// in order. Nothing blocks an io thread.
//
// Failure model: a command that cannot be answered (no connection, a write or read error, its
// timeout passed) completes with Errc::kUnavailable. A timeout or I/O error closes the
// connection, because the replies still in flight can no longer be matched; every pending
// command fails with it, and the connection reconnects in the background with exponential
// backoff (reconnect_min .. reconnect_max). While disconnected, commands fail at once.
// Beyond pipeline_max commands pending on one connection, execute() fails at once with
// Errc::kOverloaded (the caller sheds load; nothing is queued without bound).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "common/result.h"
#include "clients/redis_reply.h"

namespace flashsale::clients {

struct RedisOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 6379;
    std::string password;  // empty: no AUTH
    std::chrono::milliseconds connect_timeout{1000};
    std::chrono::milliseconds command_timeout{1000};
    std::chrono::milliseconds reconnect_min{50};
    std::chrono::milliseconds reconnect_max{2000};
    std::size_t pipeline_max = 8192;  // commands in flight on one connection; more: kOverloaded
};

// A command: its arguments as binary-safe strings, e.g. {"FCALL", "fs_reserve", "2", ...}.
using Command = std::vector<std::string>;

// Counters of one connection, readable from any thread (for metrics and tests):
// commands / writes is the average pipeline depth.
struct RedisStats {
    std::uint64_t commands = 0;  // commands accepted (sent or failed later)
    std::uint64_t writes = 0;    // socket writes, each carrying every command queued so far
    std::uint64_t connects = 0;  // successful connections (the first one included)
};

// One connection, bound to one executor (an io_context run by a single thread). execute(),
// stop() and wait_connected() must be called on that executor; start(), connected() and
// stats() from any thread. The destructor stops the connection: call it on the executor's
// thread, or once that thread no longer runs. Pending commands then complete with
// kUnavailable on their own executors; none is left hanging.
class RedisConnection {
public:
    RedisConnection(boost::asio::any_io_executor executor, RedisOptions options);
    ~RedisConnection();
    RedisConnection(const RedisConnection&) = delete;
    RedisConnection& operator=(const RedisConnection&) = delete;

    // Starts connecting (and keeps reconnecting) in the background.
    void start();
    // Closes the socket, fails what is pending, and stops reconnecting. Idempotent.
    void stop();

    // The reply, which may itself be an error reply; kUnavailable when there is none,
    // kOverloaded when pipeline_max commands are pending already.
    boost::asio::awaitable<Result<RedisReply>> execute(Command command);

    // True once connected (at once when already connected), false after `timeout`
    // or when stopped. For start-up checks, tools and tests; not for the hot path.
    boost::asio::awaitable<bool> wait_connected(std::chrono::milliseconds timeout);

    bool connected() const;
    RedisStats stats() const;

private:
    class Impl;
    std::shared_ptr<Impl> impl_;
};

// One connection per executor; `local()` picks the one of the calling thread.
class RedisClient {
public:
    RedisClient(std::vector<boost::asio::any_io_executor> executors, RedisOptions options);
    ~RedisClient();

    void start();
    // Posts stop() to every connection and waits for it; call it from a thread that is not
    // one of the executors', before they stop (or after their threads have been joined: then
    // the connections are stopped directly).
    void stop();

    // The connection of the executor running on this thread, else the first one (its executor
    // is then not the caller's: dispatch there before using it, or use execute() below).
    RedisConnection& local();

    // Runs the command on the calling thread's connection, or on the first connection's
    // executor when called from elsewhere (resuming on the caller's executor).
    boost::asio::awaitable<Result<RedisReply>> execute(Command command);

    // True when at least one connection is up (for /readyz).
    bool connected() const;

    // Blocks (not on a worker) until every connection is up, or `timeout` passes; true when
    // all are. For start-up: a node should not take requests before it can reach Redis.
    bool wait_all_connected(std::chrono::milliseconds timeout) const;

private:
    std::vector<boost::asio::any_io_executor> executors_;
    std::vector<std::unique_ptr<RedisConnection>> connections_;
};

// For command-line tools and tests: a connection driven by its own io_context on the calling
// thread; each call blocks until the reply arrives. The first call (and any call while
// disconnected) first waits up to connect_timeout + command_timeout for a connection, then
// fails with kUnavailable. Never use it on an io thread.
class BlockingRedis {
public:
    explicit BlockingRedis(RedisOptions options);
    ~BlockingRedis();
    Result<RedisReply> execute(Command command);

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace flashsale::clients
