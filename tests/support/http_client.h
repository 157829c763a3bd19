// HTTP clients for tests, over real TCP sockets to the server process.
//   HttpClient: synchronous, one connection per call, every call bounded by a timeout. It reads
//     the answer while still writing the body, so a server that answers early (413) is heard.
//   AsyncHttpConnection: one keep-alive connection driven by C++20 coroutines; thousands of them
//     share one io_context to make a storm (see storm.h).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace flashsale::testing {

namespace http = boost::beast::http;

using Headers = std::vector<std::pair<std::string, std::string>>;
using Request = http::request<http::string_body>;

struct HttpResponse {
    int status = 0;               // 0: no answer, see transport_error
    std::string transport_error;  // connect/read/write failure, empty when an answer came
    http::fields headers;
    std::string body;
    boost::json::value json;  // null when the body is not JSON
    bool keep_alive = false;

    bool answered() const { return status != 0; }
    // "409 {body}" or "no answer: <error>", for failure messages.
    std::string describe() const;
    // error.code of an error body, or "" when the body is not an error object.
    std::string error_code() const;
    // A string / integer member of the top-level object, or nullopt.
    std::optional<std::string> string_field(std::string_view name) const;
    std::optional<std::int64_t> int_field(std::string_view name) const;
};

// Builds a request for 127.0.0.1:port. A non-empty body is sent as application/json unless
// `headers` sets another Content-Type.
Request make_request(http::verb method, std::string_view target, std::string body,
                     const Headers& headers, std::uint16_t port);

// Fills status, headers, body and json from a parsed response.
HttpResponse to_response(http::response<http::string_body>&& message);

class HttpClient {
public:
    explicit HttpClient(std::uint16_t port,
                        std::chrono::milliseconds timeout = std::chrono::seconds(15))
        : port_(port), timeout_(timeout) {}

    HttpResponse get(std::string_view target, const Headers& headers = {}) const;
    HttpResponse post(std::string_view target, std::string body = {},
                      const Headers& headers = {}) const;
    HttpResponse patch(std::string_view target, std::string body,
                       const Headers& headers = {}) const;
    HttpResponse request(http::verb method, std::string_view target, std::string body,
                         const Headers& headers) const;

    std::uint16_t port() const { return port_; }

private:
    std::uint16_t port_;
    std::chrono::milliseconds timeout_;
};

// One client connection. The caller keeps the connection alive until each awaitable completes,
// and runs one exchange at a time on it.
class AsyncHttpConnection {
public:
    AsyncHttpConnection(boost::asio::any_io_executor executor, std::uint16_t port,
                        std::chrono::milliseconds timeout = std::chrono::seconds(30));

    // Connects, retrying refused or timed-out attempts (nothing was sent yet, so retrying is
    // safe); returns the last error, or success.
    boost::asio::awaitable<boost::system::error_code> connect(int attempts_max = 3);

    // Sends `request` and reads the answer. A transport failure comes back as status 0 with
    // transport_error set, and leaves the connection closed.
    boost::asio::awaitable<HttpResponse> exchange(Request request);

    bool is_open() const { return stream_.socket().is_open(); }
    void close();

private:
    boost::beast::tcp_stream stream_;
    boost::beast::flat_buffer buffer_;
    std::uint16_t port_;
    std::chrono::milliseconds timeout_;
};

// The value of one Prometheus sample (name with its labels) in a /metrics body, or -1 when
// absent.
double metric_value(const std::string& body, const std::string& sample);

}  // namespace flashsale::testing
