// HTTP clients for tests: see http_client.h.
#include "support/http_client.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>

namespace flashsale::testing {
namespace asio = boost::asio;
namespace beast = boost::beast;
using boost::system::error_code;

namespace {

constexpr std::size_t kResponseBodyMax = 64 * 1024 * 1024;
constexpr std::size_t kDescribeBodyMax = 2000;

asio::ip::tcp::endpoint loopback(std::uint16_t port) {
    return {asio::ip::make_address_v4("127.0.0.1"), port};
}

}  // namespace

std::string HttpResponse::describe() const {
    if (!answered()) return "no answer: " + transport_error;
    std::string shown =
        body.size() > kDescribeBodyMax ? body.substr(0, kDescribeBodyMax) + "...(truncated)" : body;
    return std::to_string(status) + " " + shown;
}

std::string HttpResponse::error_code() const {
    if (!json.is_object()) return "";
    const auto* error = json.as_object().if_contains("error");
    if (error == nullptr || !error->is_object()) return "";
    const auto* code = error->as_object().if_contains("code");
    if (code == nullptr || !code->is_string()) return "";
    return std::string(code->as_string());
}

std::optional<std::string> HttpResponse::string_field(std::string_view name) const {
    if (!json.is_object()) return std::nullopt;
    const auto* member = json.as_object().if_contains(name);
    if (member == nullptr || !member->is_string()) return std::nullopt;
    return std::string(member->as_string());
}

std::optional<std::int64_t> HttpResponse::int_field(std::string_view name) const {
    if (!json.is_object()) return std::nullopt;
    const auto* member = json.as_object().if_contains(name);
    if (member == nullptr) return std::nullopt;
    if (member->is_int64()) return member->as_int64();
    if (member->is_uint64()) return static_cast<std::int64_t>(member->as_uint64());
    return std::nullopt;
}

Request make_request(http::verb method, std::string_view target, std::string body,
                     const Headers& headers, std::uint16_t port) {
    Request request{method, target, 11};
    request.set(http::field::host, "127.0.0.1:" + std::to_string(port));
    request.set(http::field::user_agent, "flashsale-integration-test");
    if (!body.empty()) request.set(http::field::content_type, "application/json");
    for (const auto& [name, value] : headers) request.set(name, value);
    request.body() = std::move(body);
    request.prepare_payload();
    return request;
}

HttpResponse to_response(http::response<http::string_body>&& message) {
    HttpResponse out;
    out.status = static_cast<int>(message.result_int());
    out.keep_alive = message.keep_alive();
    out.body = std::move(message.body());
    out.headers = std::move(message.base());
    error_code ec;
    boost::json::value parsed = boost::json::parse(out.body, ec);
    if (!ec) out.json = std::move(parsed);
    return out;
}

HttpResponse HttpClient::get(std::string_view target, const Headers& headers) const {
    return request(http::verb::get, target, {}, headers);
}

HttpResponse HttpClient::post(std::string_view target, std::string body,
                              const Headers& headers) const {
    return request(http::verb::post, target, std::move(body), headers);
}

HttpResponse HttpClient::patch(std::string_view target, std::string body,
                               const Headers& headers) const {
    return request(http::verb::patch, target, std::move(body), headers);
}

// The write and the read run at the same time: a server may answer (413, 401) before it has
// read the whole body, and that answer must be seen rather than a failed write.
HttpResponse HttpClient::request(http::verb method, std::string_view target, std::string body,
                                 const Headers& headers) const {
    asio::io_context context;
    beast::tcp_stream stream(context);
    stream.expires_after(timeout_);
    HttpResponse out;
    error_code ec;
    stream.socket().connect(loopback(port_), ec);
    if (ec) {
        out.transport_error = "connect: " + ec.message();
        return out;
    }
    Request message = make_request(method, target, std::move(body), headers, port_);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(kResponseBodyMax);
    bool write_done = false;
    error_code write_ec;
    error_code read_ec;
    http::async_write(stream, message, [&](error_code e, std::size_t) {
        write_done = true;
        write_ec = e;
    });
    http::async_read(stream, buffer, parser, [&](error_code e, std::size_t) {
        read_ec = e;
        if (!write_done) stream.socket().cancel();  // answered early: stop sending
    });
    context.run();
    if (read_ec) {
        out.transport_error = "read: " + read_ec.message();
        if (write_ec) out.transport_error += " (write: " + write_ec.message() + ")";
        return out;
    }
    return to_response(parser.release());
}

AsyncHttpConnection::AsyncHttpConnection(asio::any_io_executor executor, std::uint16_t port,
                                         std::chrono::milliseconds timeout)
    : stream_(std::move(executor)), port_(port), timeout_(timeout) {}

asio::awaitable<error_code> AsyncHttpConnection::connect(int attempts_max) {
    error_code ec;
    for (int attempt = 0; attempt < attempts_max; ++attempt) {
        if (attempt > 0) {
            asio::steady_timer pause(stream_.get_executor(), std::chrono::milliseconds(200));
            co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
        }
        stream_.expires_after(timeout_);
        std::tie(ec) =
            co_await stream_.async_connect(loopback(port_), asio::as_tuple(asio::use_awaitable));
        if (!ec) co_return ec;
        stream_.close();
    }
    co_return ec;
}

asio::awaitable<HttpResponse> AsyncHttpConnection::exchange(Request request) {
    HttpResponse out;
    stream_.expires_after(timeout_);
    auto [write_ec, written] =
        co_await http::async_write(stream_, request, asio::as_tuple(asio::use_awaitable));
    (void)written;
    if (write_ec) {
        out.transport_error = "write: " + write_ec.message();
        close();
        co_return out;
    }
    http::response<http::string_body> message;
    auto [read_ec, read] =
        co_await http::async_read(stream_, buffer_, message, asio::as_tuple(asio::use_awaitable));
    (void)read;
    if (read_ec) {
        out.transport_error = "read: " + read_ec.message();
        close();
        co_return out;
    }
    out = to_response(std::move(message));
    if (!out.keep_alive) close();
    co_return out;
}

void AsyncHttpConnection::close() {
    error_code ignored;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    stream_.close();
    buffer_.clear();
}

double metric_value(const std::string& body, const std::string& sample) {
    auto at = body.find("\n" + sample + " ");
    if (at == std::string::npos) return -1;
    return std::stod(body.substr(at + sample.size() + 2));
}

}  // namespace flashsale::testing
