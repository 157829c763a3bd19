// RedisConnection: see redis_client.h. One supervisor coroutine per connection connects,
// authenticates and, once up, runs three session coroutines: the writer (sends everything
// queued since its last write in one write), the reader (feeds hiredis and completes the
// oldest pending command with each reply) and the watchdog (closes the session when the
// oldest pending command outlives command_timeout). Every session has a generation number;
// a coroutine that wakes up in a later generation leaves without touching anything.
//
// Lifetime: the coroutines own the Impl through shared_ptr, so RedisConnection may go away
// while they still wind down; stop() (also run by the destructor) fails every pending command
// and cancels every wait, after which they all leave.
#include "clients/redis_client.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <exception>
#include <limits>
#include <optional>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "clients/redis_protocol.h"

namespace flashsale::clients {

namespace asio = boost::asio;
using asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr auto kAwaitable = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadBytes = 16 * 1024;

// Type erasure for the completion handler of one command. complete() posts the handler to
// its own executor, so that the caller never resumes inside the reader's loop.
class Completion {
public:
    virtual ~Completion() = default;
    virtual void complete(Result<RedisReply> result) = 0;
};

template <class Handler>
class CompletionFor final : public Completion {
public:
    explicit CompletionFor(Handler handler) : handler_(std::move(handler)) {}

    void complete(Result<RedisReply> result) override {
        auto executor = asio::get_associated_executor(handler_);
        asio::post(executor, [handler = std::move(handler_), result = std::move(result)]() mutable {
            std::move(handler)(std::move(result));
        });
    }

private:
    Handler handler_;
};

void log_exception(std::exception_ptr error) {
    if (!error) return;
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        spdlog::error("redis: connection coroutine failed: {}", e.what());
    }
}

Error unavailable(std::string_view reason) {
    return make_error(Errc::kUnavailable, "Redis is unavailable: " + std::string(reason));
}

}  // namespace

class RedisConnection::Impl : public std::enable_shared_from_this<Impl> {
public:
    Impl(asio::any_io_executor executor, RedisOptions options)
        : executor_(std::move(executor)),
          options_(std::move(options)),
          socket_(executor_),
          resolver_(executor_),
          connect_timer_(executor_),
          backoff_timer_(executor_),
          writer_wake_(executor_),
          watchdog_(executor_),
          session_end_(executor_),
          state_signal_(executor_) {
        for (auto* timer : {&writer_wake_, &watchdog_, &session_end_, &state_signal_}) {
            timer->expires_at(SteadyClock::time_point::max());
        }
    }

    ~Impl() { FS_CHECK(pending_.empty()); }

    void start() {
        if (started_ || stopped_) return;
        started_ = true;
        auto self = shared_from_this();
        asio::co_spawn(executor_, supervise(self), log_exception);
    }

    void stop() {
        if (stopped_) return;
        stopped_ = true;
        ++generation_;
        up_.store(false, std::memory_order_relaxed);
        boost::system::error_code ignored;
        socket_.close(ignored);
        resolver_.cancel();
        for (auto* timer : {&connect_timer_, &backoff_timer_, &writer_wake_, &watchdog_,
                            &session_end_, &state_signal_}) {
            timer->cancel();
        }
        outgoing_.clear();
        fail_all("the client is stopped");
    }

    const asio::any_io_executor& executor() const { return executor_; }
    bool connected() const { return up_.load(std::memory_order_relaxed); }
    bool stopped() const { return stopped_; }

    RedisStats stats() const {
        return RedisStats{.commands = commands_.load(std::memory_order_relaxed),
                          .writes = writes_.load(std::memory_order_relaxed),
                          .connects = connects_.load(std::memory_order_relaxed)};
    }

    // Checked before suspending: an answer that needs no round trip.
    std::optional<Error> refuse() const {
        if (!up_.load(std::memory_order_relaxed)) {
            return unavailable(stopped_ ? "the client is stopped" : "not connected");
        }
        if (pending_.size() >= options_.pipeline_max) {
            return make_error(Errc::kOverloaded, "Redis pipeline full (" +
                                                     std::to_string(options_.pipeline_max) +
                                                     " commands in flight)");
        }
        return std::nullopt;
    }

    // Queues the command for the writer. Not a coroutine: moves `command` into the
    // initiation before the caller suspends (see common/blocking.h on GCC 12).
    auto async_execute(Command& command) {
        auto initiation = [self = shared_from_this(), command = std::move(command)](
                              auto handler) mutable {
            using Handler = decltype(handler);
            self->submit(command,
                         std::make_unique<CompletionFor<Handler>>(std::move(handler)));
        };
        return asio::async_initiate<decltype(asio::use_awaitable), void(Result<RedisReply>)>(
            std::move(initiation), asio::use_awaitable);
    }

    asio::awaitable<bool> wait_connected(std::chrono::milliseconds timeout) {
        const auto deadline = SteadyClock::now() + timeout;
        asio::steady_timer limit(executor_);
        limit.expires_at(deadline);
        // The limit cancels the shared state signal; every waiter then re-checks the time.
        auto self = shared_from_this();
        limit.async_wait([self](boost::system::error_code ec) {
            if (!ec) self->state_signal_.cancel();
        });
        while (!up_.load(std::memory_order_relaxed) && !stopped_ &&
               SteadyClock::now() < deadline) {
            co_await state_signal_.async_wait(kAwaitable);
        }
        limit.cancel();
        co_return up_.load(std::memory_order_relaxed);
    }

private:
    struct Pending {
        std::unique_ptr<Completion> completion;
        SteadyClock::time_point deadline;
    };

    void submit(const Command& command, std::unique_ptr<Completion> completion) {
        // The state may have changed between refuse() and the caller's suspension.
        if (!up_.load(std::memory_order_relaxed)) {
            completion->complete(unavailable(stopped_ ? "the client is stopped" : "not connected"));
            return;
        }
        commands_.fetch_add(1, std::memory_order_relaxed);
        detail::append_command(outgoing_, command);
        const bool was_idle = pending_.empty();
        pending_.push_back(
            Pending{std::move(completion), SteadyClock::now() + options_.command_timeout});
        if (was_idle) watchdog_.cancel();  // re-arm on the new oldest deadline
        if (writer_waiting_) writer_wake_.cancel();
    }

    void fail_all(std::string_view reason) {
        auto pending = std::move(pending_);
        pending_.clear();
        for (auto& entry : pending) entry.completion->complete(unavailable(reason));
    }

    // Ends the session of generation `generation` (if still current): closes the socket and
    // fails every pending command; the supervisor then reconnects.
    void end_session(std::uint64_t generation, std::string_view reason) {
        if (generation != generation_ || stopped_) return;
        ++generation_;
        spdlog::warn("redis {}:{}: connection lost: {}", options_.host, options_.port, reason);
        up_.store(false, std::memory_order_relaxed);
        boost::system::error_code ignored;
        socket_.close(ignored);
        writer_wake_.cancel();
        watchdog_.cancel();
        session_end_.cancel();
        state_signal_.cancel();
        outgoing_.clear();
        fail_all(reason);
    }

    static asio::awaitable<void> supervise(std::shared_ptr<Impl> self) {
        auto backoff = self->options_.reconnect_min;
        bool logged_failure = false;
        while (!self->stopped_) {
            auto attempt = self->connect();
            const Status status = co_await std::move(attempt);
            if (self->stopped_) break;
            if (status.ok()) {
                backoff = self->options_.reconnect_min;
                logged_failure = false;
                auto session = self->run_session();
                co_await std::move(session);
                continue;  // reconnect at once after a lost session, then back off
            }
            if (!logged_failure) {
                spdlog::warn("redis {}:{}: cannot connect: {} (retrying)", self->options_.host,
                             self->options_.port, status.error().message);
                logged_failure = true;
            }
            self->backoff_timer_.expires_after(backoff);
            co_await self->backoff_timer_.async_wait(kAwaitable);
            backoff = std::min(backoff * 2, self->options_.reconnect_max);
        }
        // A range connect may have opened the socket again after stop() closed it.
        boost::system::error_code ignored;
        self->socket_.close(ignored);
    }

    // Resolves, connects and authenticates within connect_timeout.
    asio::awaitable<Status> connect() {
        const std::uint64_t generation = ++generation_;
        auto self = shared_from_this();
        connect_timer_.expires_after(options_.connect_timeout);
        connect_timer_.async_wait([self, generation](boost::system::error_code ec) {
            if (ec || self->generation_ != generation) return;
            self->resolver_.cancel();
            boost::system::error_code ignored;
            self->socket_.close(ignored);
        });
        const auto started = SteadyClock::now();
        auto handshake = connect_and_authenticate(generation);
        Status status = co_await std::move(handshake);
        connect_timer_.cancel();
        if (generation != generation_) co_return unavailable("connect cancelled");
        if (!status.ok() && SteadyClock::now() - started >= options_.connect_timeout) {
            co_return unavailable("connect timed out after " +
                                  std::to_string(options_.connect_timeout.count()) + " ms");
        }
        co_return status;
    }

    asio::awaitable<Status> connect_and_authenticate(std::uint64_t generation) {
        const std::string port = std::to_string(options_.port);
        auto [resolve_ec, endpoints] =
            co_await resolver_.async_resolve(options_.host, port, kAwaitable);
        if (generation != generation_) co_return unavailable("connect timed out");
        if (resolve_ec) co_return unavailable("resolve " + options_.host + ": " +
                                              resolve_ec.message());
        auto [connect_ec, endpoint] = co_await asio::async_connect(socket_, endpoints, kAwaitable);
        if (generation != generation_) co_return unavailable("connect timed out");
        if (connect_ec) co_return unavailable("connect: " + connect_ec.message());
        boost::system::error_code ignored;
        socket_.set_option(tcp::no_delay(true), ignored);
        if (options_.password.empty()) co_return Status(Ok{});
        auto auth = authenticate(generation);
        co_return co_await std::move(auth);
    }

    // AUTH before the session starts, so that no command goes out unauthenticated.
    asio::awaitable<Status> authenticate(std::uint64_t generation) {
        std::string request;
        detail::append_command(request, Command{"AUTH", options_.password});
        auto [write_ec, written] = co_await asio::async_write(socket_, asio::buffer(request),
                                                              kAwaitable);
        if (generation != generation_) co_return unavailable("connect timed out");
        if (write_ec) co_return unavailable("AUTH: " + write_ec.message());
        detail::RespReader reader;
        std::string buffer(kReadBytes, '\0');
        for (;;) {
            auto reply = reader.next();
            if (!reply.ok()) co_return reply.error();
            if (reply->has_value()) {
                if ((*reply)->is_error()) co_return unavailable("AUTH refused: " + (*reply)->text);
                co_return Status(Ok{});
            }
            auto [read_ec, read] = co_await socket_.async_read_some(asio::buffer(buffer),
                                                                    kAwaitable);
            if (generation != generation_) co_return unavailable("connect timed out");
            if (read_ec) co_return unavailable("AUTH: " + read_ec.message());
            reader.feed(std::string_view(buffer.data(), read));
        }
    }

    asio::awaitable<void> run_session() {
        const std::uint64_t generation = generation_;
        connects_.fetch_add(1, std::memory_order_relaxed);
        up_.store(true, std::memory_order_relaxed);
        state_signal_.cancel();
        spdlog::info("redis {}:{}: connected", options_.host, options_.port);
        auto self = shared_from_this();
        asio::co_spawn(executor_, write_loop(self, generation), log_exception);
        asio::co_spawn(executor_, read_loop(self, generation), log_exception);
        asio::co_spawn(executor_, watch_loop(self, generation), log_exception);
        while (generation == generation_) {
            co_await session_end_.async_wait(kAwaitable);
        }
    }

    static asio::awaitable<void> write_loop(std::shared_ptr<Impl> self,
                                            std::uint64_t generation) {
        std::string batch;
        while (generation == self->generation_) {
            if (self->outgoing_.empty()) {
                self->writer_waiting_ = true;
                co_await self->writer_wake_.async_wait(kAwaitable);
                self->writer_waiting_ = false;
                continue;
            }
            batch.clear();
            batch.swap(self->outgoing_);
            self->writes_.fetch_add(1, std::memory_order_relaxed);
            auto [ec, written] =
                co_await asio::async_write(self->socket_, asio::buffer(batch), kAwaitable);
            if (ec) self->end_session(generation, "write: " + ec.message());
        }
    }

    static asio::awaitable<void> read_loop(std::shared_ptr<Impl> self,
                                           std::uint64_t generation) {
        detail::RespReader reader;
        std::string buffer(kReadBytes, '\0');
        while (generation == self->generation_) {
            auto [ec, read] =
                co_await self->socket_.async_read_some(asio::buffer(buffer), kAwaitable);
            if (generation != self->generation_) break;
            if (ec) {
                self->end_session(generation, ec == asio::error::eof ? std::string("closed by server")
                                                                     : "read: " + ec.message());
                break;
            }
            if (!reader.feed(std::string_view(buffer.data(), read))) {
                self->end_session(generation, "reader out of memory");
                break;
            }
            self->deliver(reader, generation);
        }
    }

    // Completes the oldest pending command with each complete reply in the reader.
    void deliver(detail::RespReader& reader, std::uint64_t generation) {
        while (generation == generation_) {
            auto reply = reader.next();
            if (!reply.ok()) {
                end_session(generation, reply.error().message);
                return;
            }
            if (!reply->has_value()) return;
            if (pending_.empty()) {
                end_session(generation, "a reply that no command asked for");
                return;
            }
            auto completion = std::move(pending_.front().completion);
            pending_.pop_front();
            completion->complete(std::move(**reply));
        }
    }

    static asio::awaitable<void> watch_loop(std::shared_ptr<Impl> self,
                                            std::uint64_t generation) {
        while (generation == self->generation_) {
            if (self->pending_.empty()) {
                self->watchdog_.expires_at(SteadyClock::time_point::max());
            } else {
                const auto deadline = self->pending_.front().deadline;
                if (SteadyClock::now() >= deadline) {
                    self->end_session(generation, "a command timed out");
                    break;
                }
                self->watchdog_.expires_at(deadline);
            }
            co_await self->watchdog_.async_wait(kAwaitable);
        }
    }

    asio::any_io_executor executor_;
    RedisOptions options_;
    tcp::socket socket_;
    tcp::resolver resolver_;
    asio::steady_timer connect_timer_;
    asio::steady_timer backoff_timer_;
    asio::steady_timer writer_wake_;   // never expires; cancelled to wake the writer
    asio::steady_timer watchdog_;      // the oldest pending command's deadline
    asio::steady_timer session_end_;   // never expires; cancelled when the session ends
    asio::steady_timer state_signal_;  // never expires; cancelled on connect and disconnect

    std::uint64_t generation_ = 0;
    bool started_ = false;
    bool stopped_ = false;
    bool writer_waiting_ = false;
    std::atomic<bool> up_{false};
    std::string outgoing_;         // encoded commands not yet handed to the writer
    std::deque<Pending> pending_;  // sent or queued, oldest first; replies complete the front

    std::atomic<std::uint64_t> commands_{0};
    std::atomic<std::uint64_t> writes_{0};
    std::atomic<std::uint64_t> connects_{0};
};

RedisConnection::RedisConnection(asio::any_io_executor executor, RedisOptions options)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(options))) {}

RedisConnection::~RedisConnection() { impl_->stop(); }

void RedisConnection::start() {
    auto impl = impl_;
    auto executor = impl->executor();
    asio::post(executor, [impl] { impl->start(); });
}

void RedisConnection::stop() { impl_->stop(); }

asio::awaitable<Result<RedisReply>> RedisConnection::execute(Command command) {
    if (auto refused = impl_->refuse()) co_return std::move(*refused);
    auto impl = impl_;  // the connection may be destroyed while the command is pending
    auto operation = impl->async_execute(command);
    co_return co_await std::move(operation);
}

asio::awaitable<bool> RedisConnection::wait_connected(std::chrono::milliseconds timeout) {
    auto impl = impl_;
    auto wait = impl->wait_connected(timeout);
    co_return co_await std::move(wait);
}

bool RedisConnection::connected() const { return impl_->connected(); }

RedisStats RedisConnection::stats() const { return impl_->stats(); }

}  // namespace flashsale::clients
