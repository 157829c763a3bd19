#include "support/websocket_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/error.hpp>
#include <boost/json/parse.hpp>

namespace flashsale::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using asio::ip::tcp;

// Starts one asynchronous operation with a completion flag, runs the io_context until it is
// done or the timeout passed; a timed-out operation is cancelled (and the connection with it).
template <class Start>
bool WebSocketClient::run(Start start, Timeout timeout) {
    bool done = false;
    boost::system::error_code result;
    io_.restart();
    start([&](boost::system::error_code ec) {
        done = true;
        result = ec;
    });
    io_.run_for(timeout);
    if (!done) {
        beast::get_lowest_layer(*ws_).close();
        io_.restart();
        io_.run_for(std::chrono::seconds(1));
        open_ = false;
        return false;
    }
    if (result) {
        open_ = false;
        if (ws_->reason().code != 0) close_code_ = ws_->reason().code;
    }
    return !result;
}

WebSocketClient::WebSocketClient(std::uint16_t port, std::string target,
                                 std::vector<std::pair<std::string, std::string>> headers,
                                 int receive_buffer_bytes, Timeout timeout)
    : ws_(std::make_unique<websocket::stream<beast::tcp_stream>>(io_)) {
    auto& socket = beast::get_lowest_layer(*ws_).socket();
    socket.open(tcp::v4());
    if (receive_buffer_bytes > 0) {
        socket.set_option(asio::socket_base::receive_buffer_size(receive_buffer_bytes));
    }
    const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
    if (!run([&](auto done) { socket.async_connect(endpoint, done); }, timeout)) return;
    ws_->set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
        for (const auto& [name, value] : headers) req.set(name, value);
    }));
    auto response = std::make_shared<websocket::response_type>();
    open_ = run(
        [&](auto done) {
            ws_->async_handshake(*response, "127.0.0.1:" + std::to_string(port), target,
                                 [done](boost::system::error_code ec) { done(ec); });
        },
        timeout);
    handshake_status_ = static_cast<int>(response->result_int());
}

std::optional<std::string> WebSocketClient::read(Timeout timeout) {
    if (!open_) return std::nullopt;
    beast::flat_buffer buffer;
    const bool read = run(
        [&](auto done) {
            ws_->async_read(buffer, [done](boost::system::error_code ec, std::size_t) { done(ec); });
        },
        timeout);
    if (!read) return std::nullopt;
    return beast::buffers_to_string(buffer.data());
}

std::optional<boost::json::value> WebSocketClient::read_until(
    const std::string& type, Timeout timeout,
    const std::function<bool(const boost::json::value&)>& predicate) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        const auto left = std::chrono::duration_cast<Timeout>(deadline -
                                                              std::chrono::steady_clock::now());
        auto text = read(left);
        if (!text) return std::nullopt;
        boost::system::error_code ec;
        auto value = boost::json::parse(*text, ec);
        if (ec || !value.is_object()) continue;
        const auto* found = value.as_object().if_contains("type");
        if (found == nullptr || !found->is_string() || found->as_string() != type) continue;
        if (!predicate || predicate(value)) return value;
    }
    return std::nullopt;
}

bool WebSocketClient::write(const std::string& text, bool binary, Timeout timeout) {
    if (!open_) return false;
    ws_->binary(binary);
    return run(
        [&](auto done) {
            ws_->async_write(asio::buffer(text),
                             [done](boost::system::error_code ec, std::size_t) { done(ec); });
        },
        timeout);
}

}  // namespace flashsale::testing
