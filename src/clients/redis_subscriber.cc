#include "clients/redis_subscriber.h"

#include <algorithm>
#include <atomic>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "clients/redis_protocol.h"

namespace flashsale::clients {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
constexpr auto kAwaitable = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadBytes = 16 * 1024;
}  // namespace

struct RedisSubscriber::State {
    State(asio::any_io_executor executor_in, RedisOptions options_in, std::string channel_in,
          OnMessage on_message_in)
        : executor(executor_in),
          options(std::move(options_in)),
          channel(std::move(channel_in)),
          on_message(std::move(on_message_in)),
          socket(executor),
          timer(executor) {}

    asio::awaitable<void> run();
    asio::awaitable<bool> connect();
    asio::awaitable<void> receive();
    void handle(const RedisReply& reply);

    asio::any_io_executor executor;
    RedisOptions options;
    std::string channel;
    OnMessage on_message;
    std::atomic<bool> subscribed{false};  // written on the executor, read from anywhere
    tcp::socket socket;
    asio::steady_timer timer;
    bool stopped = false;  // touched on the executor only
};

namespace {
asio::awaitable<void> run_state(std::shared_ptr<RedisSubscriber::State> state) {
    co_await state->run();
}
}  // namespace

asio::awaitable<void> RedisSubscriber::State::run() {
    auto backoff = options.reconnect_min;
    while (!stopped) {
        const bool connected = co_await connect();
        if (connected) {
            backoff = options.reconnect_min;
            co_await receive();
            if (!stopped) subscribed.store(false);
        }
        if (stopped) break;
        timer.expires_after(backoff);
        co_await timer.async_wait(kAwaitable);
        backoff = std::min(backoff * 2, options.reconnect_max);
    }
}

// Connects, authenticates and subscribes; the replies to AUTH and SUBSCRIBE arrive in
// receive(), where an error reply ends the session.
asio::awaitable<bool> RedisSubscriber::State::connect() {
    boost::system::error_code ignored;
    socket.close(ignored);
    tcp::resolver resolver(executor);
    auto [resolve_ec, endpoints] =
        co_await resolver.async_resolve(options.host, std::to_string(options.port), kAwaitable);
    if (resolve_ec || stopped) co_return false;
    timer.expires_after(options.connect_timeout);
    timer.async_wait([this](boost::system::error_code ec) {
        if (!ec) socket.close();
    });
    auto [connect_ec, endpoint] = co_await asio::async_connect(socket, endpoints, kAwaitable);
    timer.cancel();
    if (connect_ec || stopped) co_return false;
    std::string out;
    if (!options.password.empty()) detail::append_command(out, {"AUTH", options.password});
    detail::append_command(out, {"SUBSCRIBE", channel});
    auto [write_ec, written] = co_await asio::async_write(socket, asio::buffer(out), kAwaitable);
    co_return !write_ec && !stopped;
}

asio::awaitable<void> RedisSubscriber::State::receive() {
    detail::RespReader reader;
    std::string buffer(kReadBytes, '\0');
    for (;;) {
        auto [ec, bytes] = co_await socket.async_read_some(asio::buffer(buffer), kAwaitable);
        if (ec || stopped || !reader.feed(std::string_view(buffer.data(), bytes))) co_return;
        for (;;) {
            auto reply = reader.next();
            if (!reply || (reply->has_value() && (*reply)->is_error())) {
                spdlog::warn("redis subscriber: {}", reply ? (*reply)->text : reply.error().message);
                co_return;
            }
            if (!reply->has_value()) break;
            handle(**reply);
        }
    }
}

// ["message", channel, payload] carries a message; ["subscribe", channel, n] confirms.
void RedisSubscriber::State::handle(const RedisReply& reply) {
    if (reply.elements.size() != 3) return;
    const auto& kind = reply.elements[0].text;
    if (kind == "subscribe") {
        subscribed.store(true);
    } else if (kind == "message") {
        on_message(reply.elements[2].text);
    }
}

RedisSubscriber::RedisSubscriber(asio::any_io_executor executor, RedisOptions options,
                                 std::string channel, OnMessage on_message)
    : state_(std::make_shared<State>(executor, std::move(options), std::move(channel),
                                     std::move(on_message))) {}

bool RedisSubscriber::subscribed() const { return state_->subscribed.load(); }

RedisSubscriber::~RedisSubscriber() { stop(); }

void RedisSubscriber::start() {
    asio::co_spawn(state_->executor, run_state(state_), asio::detached);
}

void RedisSubscriber::stop() {
    asio::post(state_->executor, [state = state_] {
        state->stopped = true;
        boost::system::error_code ignored;
        state->socket.close(ignored);
        state->timer.cancel();
    });
}

}  // namespace flashsale::clients
