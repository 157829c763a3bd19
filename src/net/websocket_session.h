// Internal to the HTTP server: one accepted WebSocket connection. The HTTP session hands its
// stream over after an upgrade request and awaits run(), so the connection keeps counting
// against max_connections while it is a WebSocket. Everything runs on the connection's worker.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "net/http_types.h"
#include "net/websocket.h"

namespace flashsale::net::detail {

class WebSocketSession final : public WebSocketPeer,
                               public std::enable_shared_from_this<WebSocketSession> {
public:
    WebSocketSession(boost::beast::tcp_stream stream, WebSocketLimits limits,
                     std::shared_ptr<WebSocketHandler> handler);

    // Handshake with `request`, then reads until the connection closes; the handler hears of
    // everything. Returns when the connection is gone.
    boost::asio::awaitable<void> run(Request request);

    bool send(std::string text) override;
    void close(CloseCode code, std::string_view reason) override;

    // The writer: sends the queue, then the close frame if one was asked for. Started by
    // start_writer(), which keeps the session alive until it returns.
    boost::asio::awaitable<void> write_queue();

private:
    boost::asio::awaitable<void> read_loop();
    void start_writer();
    void drop();  // closes the socket at once: pending reads and writes fail

    boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
    WebSocketLimits limits_;
    std::shared_ptr<WebSocketHandler> handler_;
    std::deque<std::string> queue_;
    bool open_ = false;     // handshake done, not yet closed
    bool writing_ = false;  // the writer coroutine runs
    bool closing_ = false;  // a close was asked for; the writer sends it after the queue
    boost::beast::websocket::close_reason close_reason_;
};

}  // namespace flashsale::net::detail
