// A WebSocket client for tests, over a real TCP socket to the server process: connect and
// upgrade (with the handshake's HTTP answer kept, so a refusal's status can be asserted), read
// the next text message with a timeout, write text or binary, and learn the close code the
// server sent. Every call is bounded by a timeout; none can hang a test.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace flashsale::testing {

class WebSocketClient {
public:
    using Timeout = std::chrono::milliseconds;

    // Connects to 127.0.0.1:port and asks to upgrade `target`. `receive_buffer_bytes` > 0 sets
    // SO_RCVBUF before connecting (a small one makes a slow reader).
    WebSocketClient(std::uint16_t port, std::string target,
                    std::vector<std::pair<std::string, std::string>> headers = {},
                    int receive_buffer_bytes = 0, Timeout timeout = std::chrono::seconds(10));

    bool open() const { return open_; }
    int handshake_status() const { return handshake_status_; }  // 101, 401, ...; 0: no answer

    // The next text message, or nullopt when the timeout passed or the connection closed (see
    // close_code()).
    std::optional<std::string> read(Timeout timeout = std::chrono::seconds(10));
    // The next message that is JSON with {"type": type} and, when given, the predicate; others
    // are skipped. nullopt on timeout or close.
    std::optional<boost::json::value> read_until(
        const std::string& type, Timeout timeout = std::chrono::seconds(10),
        const std::function<bool(const boost::json::value&)>& predicate = {});

    bool write(const std::string& text, bool binary = false,
               Timeout timeout = std::chrono::seconds(10));

    // The code of the close frame the server sent (0 while none arrived).
    int close_code() const { return close_code_; }

private:
    template <class Start>
    bool run(Start start, Timeout timeout);

    boost::asio::io_context io_;
    std::unique_ptr<boost::beast::websocket::stream<boost::beast::tcp_stream>> ws_;
    bool open_ = false;
    int handshake_status_ = 0;
    int close_code_ = 0;
};

}  // namespace flashsale::testing
