// A tiny blocking HTTP/1.1 client for tests of the HTTP edge, header-only. Each call runs its own
// io_context until the operation completes or the client's timeout passes (tcp_stream closes the
// socket on a timeout), so a broken server fails a test instead of hanging it. It also writes
// raw bytes, for malformed, partial and pipelined requests. Not thread-safe: one per thread.
#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace flashsale::test {

class NetTestClient {
public:
    using Request = boost::beast::http::request<boost::beast::http::string_body>;
    using Response = boost::beast::http::response<boost::beast::http::string_body>;
    using ErrorCode = boost::system::error_code;

    struct Reply {
        ErrorCode error;
        Response response;
    };
    struct Closed {
        ErrorCode error;    // what ended the read: eof for an orderly close
        std::string bytes;  // everything received before that
    };

    explicit NetTestClient(std::uint16_t port,
                           std::chrono::milliseconds timeout = std::chrono::milliseconds(2000))
        : stream_(context_), timeout_(timeout) {
        const boost::asio::ip::tcp::endpoint endpoint(boost::asio::ip::address_v4::loopback(),
                                                      port);
        stream_.expires_after(timeout_);
        stream_.async_connect(endpoint, [this](ErrorCode ec) { connect_error_ = ec; });
        run();
    }

    ErrorCode connect_error() const { return connect_error_; }

    static Request make_request(boost::beast::http::verb method, std::string target,
                                std::string body = {}) {
        Request request{method, target, 11};
        request.set(boost::beast::http::field::host, "127.0.0.1");
        request.body() = std::move(body);
        request.prepare_payload();
        return request;
    }

    ErrorCode send(Request request) {
        ErrorCode result;
        stream_.expires_after(timeout_);
        boost::beast::http::async_write(stream_, request,
                                        [&result](ErrorCode ec, std::size_t) { result = ec; });
        run();
        return result;
    }

    ErrorCode write(std::string_view bytes) {
        ErrorCode result;
        stream_.expires_after(timeout_);
        boost::asio::async_write(stream_, boost::asio::buffer(bytes.data(), bytes.size()),
                                 [&result](ErrorCode ec, std::size_t) { result = ec; });
        run();
        return result;
    }

    // One response, interim (1xx) ones included.
    Reply read() {
        Reply reply;
        boost::beast::http::response_parser<boost::beast::http::string_body> parser;
        parser.body_limit(64 * 1024 * 1024);
        stream_.expires_after(timeout_);
        boost::beast::http::async_read(stream_, buffer_, parser,
                                       [&reply](ErrorCode ec, std::size_t) { reply.error = ec; });
        run();
        reply.response = parser.release();
        return reply;
    }

    Reply get(std::string target) {
        if (auto ec = send(make_request(boost::beast::http::verb::get, std::move(target)))) {
            return Reply{ec, {}};
        }
        return read();
    }

    // Reads until the server closes the connection or the timeout passes.
    Closed read_until_closed() {
        Closed closed;
        closed.bytes.assign(static_cast<const char*>(buffer_.data().data()), buffer_.size());
        buffer_.consume(buffer_.size());
        stream_.expires_after(timeout_);
        char chunk[4096];
        for (;;) {
            std::size_t bytes = 0;
            stream_.async_read_some(boost::asio::buffer(chunk),
                                    [&closed, &bytes](ErrorCode ec, std::size_t n) {
                                        closed.error = ec;
                                        bytes = n;
                                    });
            run();
            closed.bytes.append(chunk, bytes);
            if (closed.error) {
                return closed;
            }
        }
    }

    void close() {
        ErrorCode ec;
        stream_.socket().close(ec);
    }

private:
    void run() {
        context_.restart();
        context_.run();
    }

    boost::asio::io_context context_;
    boost::beast::tcp_stream stream_;
    boost::beast::flat_buffer buffer_;
    std::chrono::milliseconds timeout_;
    ErrorCode connect_error_;
};

}  // namespace flashsale::test
