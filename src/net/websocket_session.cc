#include "net/websocket_session.h"

#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket/error.hpp>
#include <spdlog/spdlog.h>

namespace flashsale::net::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

namespace {

constexpr auto kAwaitable = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kWriteBufferBytes = 512;

websocket::stream_base::timeout timeouts_of(const WebSocketLimits& limits) {
    websocket::stream_base::timeout timeout{};
    timeout.handshake_timeout = limits.handshake_timeout;
    timeout.idle_timeout = limits.idle_timeout;
    timeout.keep_alive_pings = true;  // a ping at half the idle timeout; no answer closes
    return timeout;
}

// Keeps the session alive while its writer runs.
asio::awaitable<void> run_writer(std::shared_ptr<WebSocketSession> session) {
    co_await session->write_queue();
}

}  // namespace

WebSocketSession::WebSocketSession(beast::tcp_stream stream, WebSocketLimits limits,
                                   std::shared_ptr<WebSocketHandler> handler)
    : ws_(std::move(stream)), limits_(limits), handler_(std::move(handler)) {}

asio::awaitable<void> WebSocketSession::run(Request request) {
    // The websocket stream keeps its own timers; the TCP layer's must not close under it.
    beast::get_lowest_layer(ws_).expires_never();
    if (limits_.socket_send_buffer_bytes > 0) {
        boost::system::error_code ignored;
        beast::get_lowest_layer(ws_).socket().set_option(
            asio::socket_base::send_buffer_size(static_cast<int>(limits_.socket_send_buffer_bytes)),
            ignored);
    }
    ws_.set_option(timeouts_of(limits_));
    ws_.read_message_max(limits_.message_max_bytes);
    ws_.text(true);
    // Pushes are small: whole messages, no fragmenting buffer kept per connection.
    ws_.auto_fragment(false);
    ws_.write_buffer_bytes(kWriteBufferBytes);
    auto [ec] = co_await ws_.async_accept(request, kAwaitable);
    if (ec) co_return;
    open_ = true;
    handler_->on_open(weak_from_this());
    co_await read_loop();
    open_ = false;
    if (!writing_) queue_.clear();  // else the writer clears it once its write is done
    handler_->on_close();
}

// Beast answers pings and closes by itself; a message above read_message_max ends the read
// with message_too_big after Beast sent close 1009.
asio::awaitable<void> WebSocketSession::read_loop() {
    beast::flat_buffer buffer;
    for (;;) {
        auto [ec, bytes] = co_await ws_.async_read(buffer, kAwaitable);
        if (ec) co_return;
        if (!ws_.got_text()) {
            close(CloseCode::kUnsupportedData, "text messages only");
            buffer.consume(buffer.size());
            continue;  // the read ends when the client answers the close
        }
        const std::string text = beast::buffers_to_string(buffer.data());
        buffer.consume(buffer.size());
        if (!closing_) handler_->on_message(text);
    }
}

bool WebSocketSession::send(std::string text) {
    if (!open_ || closing_) return false;
    if (queue_.size() >= limits_.send_queue_max) {
        // A reader this slow would make the queue grow without bound: drop it.
        drop();
        return false;
    }
    queue_.push_back(std::move(text));
    start_writer();
    return true;
}

void WebSocketSession::close(CloseCode code, std::string_view reason) {
    if (!open_ || closing_) return;
    closing_ = true;
    close_reason_ = websocket::close_reason(static_cast<websocket::close_code>(code), reason);
    start_writer();
}

void WebSocketSession::start_writer() {
    if (writing_) return;
    writing_ = true;
    asio::co_spawn(ws_.get_executor(), run_writer(shared_from_this()), asio::detached);
}

// One write at a time (Beast allows one pending write beside the read); the close frame goes
// after the messages queued before it.
asio::awaitable<void> WebSocketSession::write_queue() {
    while (!queue_.empty() && open_) {
        auto [ec, bytes] = co_await ws_.async_write(asio::buffer(queue_.front()), kAwaitable);
        if (ec) {
            drop();
            break;
        }
        queue_.pop_front();
    }
    if (closing_ && open_) {
        auto [ec] = co_await ws_.async_close(close_reason_, kAwaitable);
        if (ec) drop();
    }
    if (!open_) queue_.clear();
    writing_ = false;
}

// The queue stays while a write may still point into its front; the writer clears it.
void WebSocketSession::drop() {
    open_ = false;
    if (!writing_) queue_.clear();
    beast::get_lowest_layer(ws_).close();
}

}  // namespace flashsale::net::detail
