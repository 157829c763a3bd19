// RedisClient (one connection per worker executor) and BlockingRedis (one connection on a
// private io_context, for tools): see redis_client.h. The connection itself lives in
// redis_connection.cc, the wire format in redis_protocol.cc.
#include "clients/redis_client.h"

#include <exception>
#include <future>
#include <memory>
#include <optional>
#include <thread>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace flashsale::clients {

namespace asio = boost::asio;

namespace {

// The io_context behind an executor, or nullptr when it is not one. An any_io_executor
// holds io_context::basic_executor_type with some of its property bits set (blocking.never,
// relationship.continuation, outstanding_work.tracked): try each of the eight.
template <unsigned Bits>
asio::io_context* io_context_with_bits(const asio::any_io_executor& executor) {
    using Executor = asio::io_context::basic_executor_type<std::allocator<void>, Bits>;
    const auto* target = executor.target<Executor>();
    return target == nullptr ? nullptr : &target->context();
}

template <unsigned... Bits>
asio::io_context* io_context_in(const asio::any_io_executor& executor,
                                std::integer_sequence<unsigned, Bits...>) {
    asio::io_context* found = nullptr;
    ((found = found != nullptr ? found : io_context_with_bits<Bits>(executor)), ...);
    return found;
}

asio::io_context* io_context_of(const asio::any_io_executor& executor) {
    return io_context_in(executor, std::make_integer_sequence<unsigned, 8>());
}

bool running_here(const asio::any_io_executor& executor) {
    const asio::io_context* context = io_context_of(executor);
    return context != nullptr &&
           const_cast<asio::io_context*>(context)->get_executor().running_in_this_thread();
}

}  // namespace

RedisClient::RedisClient(std::vector<asio::any_io_executor> executors, RedisOptions options)
    : executors_(std::move(executors)) {
    FS_CHECK(!executors_.empty());
    connections_.reserve(executors_.size());
    for (const auto& executor : executors_) {
        connections_.push_back(std::make_unique<RedisConnection>(executor, options));
    }
}

RedisClient::~RedisClient() = default;

void RedisClient::start() {
    for (auto& connection : connections_) connection->start();
}

void RedisClient::stop() {
    for (std::size_t i = 0; i < connections_.size(); ++i) {
        RedisConnection& connection = *connections_[i];
        asio::io_context* context = io_context_of(executors_[i]);
        if (running_here(executors_[i]) || context == nullptr || context->stopped()) {
            connection.stop();  // on its thread, or no thread runs it any more
            continue;
        }
        auto done = std::make_shared<std::promise<void>>();
        auto finished = done->get_future();
        asio::post(executors_[i], [&connection, done] {
            connection.stop();
            done->set_value();
        });
        // If the context stops before running the handler, no thread will run it: stop here.
        while (finished.wait_for(std::chrono::milliseconds(10)) != std::future_status::ready) {
            if (context->stopped()) {
                connection.stop();
                break;
            }
        }
    }
}

bool RedisClient::wait_all_connected(std::chrono::milliseconds timeout) const {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    auto all_up = [this] {
        for (const auto& connection : connections_) {
            if (!connection->connected()) return false;
        }
        return true;
    };
    while (!all_up()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
}

RedisConnection& RedisClient::local() {
    for (std::size_t i = 0; i < executors_.size(); ++i) {
        if (running_here(executors_[i])) return *connections_[i];
    }
    return *connections_.front();
}

asio::awaitable<Result<RedisReply>> RedisClient::execute(Command command) {
    for (std::size_t i = 0; i < executors_.size(); ++i) {
        if (running_here(executors_[i])) {
            auto operation = connections_[i]->execute(std::move(command));
            co_return co_await std::move(operation);
        }
    }
    // A foreign thread: run on the first connection's executor; co_spawn's completion comes
    // back to this coroutine's executor.
    auto operation = connections_.front()->execute(std::move(command));
    auto spawned = asio::co_spawn(executors_.front(), std::move(operation), asio::use_awaitable);
    co_return co_await std::move(spawned);
}

bool RedisClient::connected() const {
    for (const auto& connection : connections_) {
        if (connection->connected()) return true;
    }
    return false;
}

class BlockingRedis::Impl {
public:
    explicit Impl(RedisOptions options)
        : wait_timeout_(options.connect_timeout + options.command_timeout),
          connection_(context_.get_executor(), std::move(options)) {}

    ~Impl() {
        connection_.stop();
        context_.restart();
        context_.run_for(std::chrono::seconds(2));  // let the coroutines leave
    }

    Result<RedisReply> execute(Command command) {
        if (!started_) {
            connection_.start();
            started_ = true;
        }
        std::optional<Result<RedisReply>> out;
        auto task = run(&connection_, std::move(command), wait_timeout_);
        asio::co_spawn(context_, std::move(task),
                       [&out](std::exception_ptr error, Result<RedisReply> result) {
                           if (error) {
                               out.emplace(make_error(Errc::kInternal, "Redis command failed"));
                           } else {
                               out.emplace(std::move(result));
                           }
                       });
        context_.restart();
        while (!out.has_value()) {
            if (context_.run_one() == 0) return make_error(Errc::kInternal, "io_context idle");
        }
        return std::move(*out);
    }

private:
    static asio::awaitable<Result<RedisReply>> run(RedisConnection* connection,
                                                   Command command,
                                                   std::chrono::milliseconds wait_timeout) {
        if (!connection->connected()) {
            auto wait = connection->wait_connected(wait_timeout);
            const bool up = co_await std::move(wait);
            if (!up) co_return make_error(Errc::kUnavailable, "Redis is unavailable: cannot connect");
        }
        auto operation = connection->execute(std::move(command));
        co_return co_await std::move(operation);
    }

    asio::io_context context_{1};
    std::chrono::milliseconds wait_timeout_;
    RedisConnection connection_;
    bool started_ = false;
};

BlockingRedis::BlockingRedis(RedisOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

BlockingRedis::~BlockingRedis() = default;

Result<RedisReply> BlockingRedis::execute(Command command) {
    return impl_->execute(std::move(command));
}

}  // namespace flashsale::clients
