// The HTTP edge over real sockets on 127.0.0.1, with a real two-worker pool and small limits
// and timeouts, so that every failure mode is reached in well under a second.
#include "net/http_server.h"

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include "support/net_test_client.h"

namespace flashsale::net {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using namespace std::chrono_literals;
using test::NetTestClient;

std::atomic<int> slow_handlers_started{0};

Response text(std::string body) {
    Response response{http::status::ok, 11};
    response.set(http::field::content_type, "text/plain");
    response.body() = std::move(body);
    return response;
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds duration) {
    asio::steady_timer timer(co_await asio::this_coro::executor, duration);
    co_await timer.async_wait(asio::use_awaitable);
}

asio::awaitable<Response> hello(RequestContext) { co_return text("hello"); }

asio::awaitable<Response> echo(RequestContext context) {
    co_return text(std::move(context.request.body()));
}

asio::awaitable<Response> parts(RequestContext context) {
    co_return text("id=" + std::string(context.params.get("id")) +
                   ";part=" + std::string(context.params.get("part")) +
                   ";from=" + std::string(context.remote_ip));
}

// Answers after {ms} milliseconds with the target, so that order is visible.
asio::awaitable<Response> delay(RequestContext context) {
    co_await sleep_for(std::chrono::milliseconds(std::stoi(std::string(context.params.get("ms")))));
    co_return text(std::string(context.request.target()));
}

asio::awaitable<Response> slow(RequestContext) {
    ++slow_handlers_started;
    co_await sleep_for(300ms);
    co_return text("slow");
}

asio::awaitable<Response> throws(RequestContext) {
    throw std::runtime_error("handler failure under test");
    co_return text("unreachable");
}

constexpr std::size_t kBigBodyBytes = 8 * 1024 * 1024;  // far more than a socket's buffers

// A body the socket cannot take at once, with a pattern that shows a lost or repeated part.
std::string big_body() {
    std::string body(kBigBodyBytes, ' ');
    for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 23);
    return body;
}

asio::awaitable<Response> big(RequestContext) { co_return text(big_body()); }

// A handler's own Content-Length is not what goes on the wire: the body's length is.
asio::awaitable<Response> wrong_length(RequestContext) {
    auto response = text("abc");
    response.set(http::field::content_length, "999");
    co_return response;
}

// 204 carries no body, whatever the handler put there.
asio::awaitable<Response> no_content(RequestContext) {
    auto response = text("ignored");
    response.result(http::status::no_content);
    co_return response;
}

Response test_error_response(ProtocolError error, unsigned version) {
    static const std::pair<ProtocolError, http::status> kStatuses[] = {
        {ProtocolError::kBadRequest, http::status::bad_request},
        {ProtocolError::kBodyTooLarge, http::status::payload_too_large},
        {ProtocolError::kHeaderTooLarge, http::status::request_header_fields_too_large},
        {ProtocolError::kNotFound, http::status::not_found},
        {ProtocolError::kMethodNotAllowed, http::status::method_not_allowed},
        {ProtocolError::kTooManyConnections, http::status::service_unavailable},
        {ProtocolError::kTimeout, http::status::request_timeout},
        {ProtocolError::kInternal, http::status::internal_server_error},
    };
    Response response{http::status::internal_server_error, version};
    for (const auto& [known, status] : kStatuses) {
        if (known == error) {
            response.result(status);
        }
    }
    response.body() = "error:" + std::string(to_string(error));
    return response;
}

struct Record {
    std::string route;
    unsigned status;
};

class HttpServerTest : public ::testing::Test {
protected:
    static ServerLimits small_limits() {
        ServerLimits limits;
        limits.body_max_bytes = 1024;
        limits.header_max_bytes = 2048;
        limits.idle_timeout = 1500ms;
        limits.request_timeout = 1000ms;
        limits.linger_timeout = 500ms;
        return limits;
    }

    void start(ServerLimits limits = small_limits()) {
        slow_handlers_started = 0;
        Router router;
        router.add(http::verb::get, "/hello", hello);
        router.add(http::verb::post, "/echo", echo);
        router.add(http::verb::get, "/items/{id}/parts/{part}", parts);
        router.add(http::verb::get, "/delay/{ms}", delay);
        router.add(http::verb::get, "/slow", slow);
        router.add(http::verb::get, "/throw", throws);
        router.add(http::verb::get, "/big", big);
        router.add(http::verb::get, "/wrong-length", wrong_length);
        router.add(http::verb::get, "/no-content", no_content);
        HttpHooks hooks;
        hooks.error_response = test_error_response;
        hooks.on_response = [this](std::string_view route, unsigned status,
                                   std::chrono::nanoseconds) {
            std::lock_guard lock(mutex_);
            records_.push_back(Record{std::string(route), status});
        };
        server_ = std::make_unique<HttpServer>(pool_, std::move(router), limits, hooks);
        server_->listen({asio::ip::address_v4::loopback(), 0});
        server_->start();
        pool_.start();
    }

    void TearDown() override {
        pool_.stop();
        pool_.join();
        if (server_) {
            EXPECT_EQ(server_->failure_count(), 0u);
        }
    }

    // on_response runs after the write completes, so it may trail the client's read a little:
    // waits (briefly) until at least `count` responses were reported.
    std::vector<Record> records(std::size_t count) {
        for (int i = 0; i < 500; ++i) {
            {
                std::lock_guard lock(mutex_);
                if (records_.size() >= count) {
                    return records_;
                }
            }
            std::this_thread::sleep_for(2ms);
        }
        std::lock_guard lock(mutex_);
        return records_;
    }

    // After an unusual answer on `client`'s connection: the connection still serves, and that
    // answer was the first one reported, as `route` with `status`.
    void expect_still_serving_after(NetTestClient& client, std::string_view route,
                                    unsigned status) {
        const auto next = client.get("/hello");
        ASSERT_FALSE(next.error);
        EXPECT_EQ(next.response.body(), "hello");
        const auto seen = records(2);
        ASSERT_EQ(seen.size(), 2u);
        EXPECT_EQ(seen[0].route, route);
        EXPECT_EQ(seen[0].status, status);
    }

    std::uint16_t port() const { return server_->port(); }

    // Waits (briefly) until the server counts `count` connections.
    bool wait_for_connections(std::size_t count) {
        for (int i = 0; i < 500 && server_->connection_count() != count; ++i) {
            std::this_thread::sleep_for(2ms);
        }
        return server_->connection_count() == count;
    }

    WorkerPool pool_{2};
    std::unique_ptr<HttpServer> server_;  // after pool_: destroyed before it
    std::mutex mutex_;
    std::vector<Record> records_;
};

std::string repeat(char c, std::size_t count) { return std::string(count, c); }

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
    start();
    NetTestClient client(port());
    ASSERT_FALSE(client.connect_error());
    for (int i = 0; i < 3; ++i) {
        const auto reply = client.get("/hello");
        ASSERT_FALSE(reply.error) << reply.error.message();
        EXPECT_EQ(reply.response.result(), http::status::ok);
        EXPECT_EQ(reply.response.body(), "hello");
        EXPECT_TRUE(reply.response.keep_alive());
    }
    EXPECT_EQ(server_->connection_count(), 1u);
    const auto seen = records(3);
    ASSERT_EQ(seen.size(), 3u);
    EXPECT_EQ(seen[0].route, "/hello");
    EXPECT_EQ(seen[0].status, 200u);
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
    start();
    NetTestClient client(port());
    // The first answer is the slowest: in-order answers prove the requests are not reordered.
    ASSERT_FALSE(client.write(
        "GET /delay/150 HTTP/1.1\r\nHost: x\r\n\r\n"
        "GET /delay/0 HTTP/1.1\r\nHost: x\r\n\r\n"
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nthird"));
    const char* expected[] = {"/delay/150", "/delay/0", "third"};
    for (const char* body : expected) {
        const auto reply = client.read();
        ASSERT_FALSE(reply.error) << reply.error.message();
        EXPECT_EQ(reply.response.body(), body);
    }
}

TEST_F(HttpServerTest, RouteParamsAndRemoteAddressReachTheHandler) {
    start();
    NetTestClient client(port());
    const auto reply = client.get("/items/a%20b/parts/7?ignored=1");
    ASSERT_FALSE(reply.error);
    EXPECT_EQ(reply.response.body(), "id=a b;part=7;from=127.0.0.1");
    const auto seen = records(1);
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].route, "/items/{id}/parts/{part}");
}

TEST_F(HttpServerTest, NotFoundAndMethodNotAllowedWithAllowHeader) {
    start();
    NetTestClient client(port());
    const auto missing = client.get("/nope");
    ASSERT_FALSE(missing.error);
    EXPECT_EQ(missing.response.result(), http::status::not_found);
    EXPECT_EQ(missing.response.body(), "error:not_found");

    ASSERT_FALSE(client.send(NetTestClient::make_request(http::verb::post, "/hello", "x")));
    const auto wrong = client.read();  // same connection: both errors keep it alive
    ASSERT_FALSE(wrong.error);
    EXPECT_EQ(wrong.response.result(), http::status::method_not_allowed);
    EXPECT_EQ(wrong.response[http::field::allow], "GET");
    const auto seen = records(2);
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0].route, "unmatched");
    EXPECT_EQ(seen[1].status, 405u);
}

TEST_F(HttpServerTest, HugeBodyByContentLengthGets413InsteadOfReset) {
    start();
    NetTestClient client(port());
    const std::size_t size = 2 * 1024 * 1024;
    std::string request = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                          std::to_string(size) + "\r\n\r\n" + repeat('a', size);
    EXPECT_FALSE(client.write(request));
    const auto reply = client.read();
    ASSERT_FALSE(reply.error) << reply.error.message();
    EXPECT_EQ(reply.response.result(), http::status::payload_too_large);
    EXPECT_EQ(reply.response.body(), "error:body_too_large");
    EXPECT_FALSE(reply.response.keep_alive());
    EXPECT_EQ(client.read_until_closed().error, asio::error::eof);
}

TEST_F(HttpServerTest, OversizedChunkedBodyGets413) {
    start();
    NetTestClient client(port());
    std::string request = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 8; ++i) {
        request += "200\r\n" + repeat('b', 0x200) + "\r\n";  // 8 x 512 bytes, limit 1024
    }
    request += "0\r\n\r\n";
    EXPECT_FALSE(client.write(request));
    const auto reply = client.read();
    ASSERT_FALSE(reply.error) << reply.error.message();
    EXPECT_EQ(reply.response.result(), http::status::payload_too_large);
    EXPECT_FALSE(reply.response.keep_alive());
}

TEST_F(HttpServerTest, ChunkedBodyUnderTheLimitIsServed) {
    start();
    NetTestClient client(port());
    ASSERT_FALSE(client.write(
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"));
    const auto reply = client.read();
    ASSERT_FALSE(reply.error);
    EXPECT_EQ(reply.response.body(), "abcde");
}

TEST_F(HttpServerTest, HeaderOverTheLimitGets431) {
    start();
    NetTestClient client(port());
    const auto reply = [&] {
        auto request = NetTestClient::make_request(http::verb::get, "/hello");
        request.set("X-Big", repeat('h', 4096));
        EXPECT_FALSE(client.send(request));
        return client.read();
    }();
    ASSERT_FALSE(reply.error) << reply.error.message();
    EXPECT_EQ(reply.response.result(), http::status::request_header_fields_too_large);
    EXPECT_EQ(reply.response.body(), "error:header_too_large");
    EXPECT_FALSE(reply.response.keep_alive());
}

TEST_F(HttpServerTest, GarbageGets400AndTheServerStillServesOthers) {
    start();
    {
        NetTestClient garbage(port());
        EXPECT_FALSE(garbage.write("\x01\x02\xff GARBAGE \x7f\r\n\r\n"));
        const auto reply = garbage.read();
        ASSERT_FALSE(reply.error) << reply.error.message();
        EXPECT_EQ(reply.response.result(), http::status::bad_request);
        EXPECT_EQ(garbage.read_until_closed().error, asio::error::eof);
    }
    NetTestClient client(port());
    const auto reply = client.get("/hello");
    ASSERT_FALSE(reply.error);
    EXPECT_EQ(reply.response.body(), "hello");
}

TEST_F(HttpServerTest, IdleTimeoutClosesASilentKeepAliveConnection) {
    auto limits = small_limits();
    limits.idle_timeout = 200ms;
    start(limits);
    NetTestClient client(port());
    ASSERT_FALSE(client.get("/hello").error);
    const auto begin = std::chrono::steady_clock::now();
    const auto closed = client.read_until_closed();
    const auto waited = std::chrono::steady_clock::now() - begin;
    EXPECT_EQ(closed.error, asio::error::eof);
    EXPECT_TRUE(closed.bytes.empty());  // silently
    EXPECT_GE(waited, 150ms);
    EXPECT_LT(waited, 1000ms);
}

// The deadline timer is lazy (it waits again when it fires before a deadline moved later): a
// connection busy for longer than idle_timeout stays open, and the idle wait counts from the
// last answer.
TEST_F(HttpServerTest, IdleTimeoutCountsFromTheLastAnswer) {
    auto limits = small_limits();
    limits.idle_timeout = 300ms;
    limits.request_timeout = 1000ms;  // later than the idle wait's expiry: no restart needed
    start(limits);
    NetTestClient client(port());
    for (int i = 0; i < 8; ++i) {
        const auto reply = client.get("/hello");
        ASSERT_FALSE(reply.error) << "request " << i << ": " << reply.error.message();
        std::this_thread::sleep_for(100ms);
    }
    const auto begin = std::chrono::steady_clock::now();
    const auto closed = client.read_until_closed();
    const auto waited = std::chrono::steady_clock::now() - begin;
    EXPECT_EQ(closed.error, asio::error::eof);
    EXPECT_GE(waited, 150ms);  // 300 ms from the last answer, 100 ms of which were slept
    EXPECT_LT(waited, 1000ms);
}

TEST_F(HttpServerTest, RequestTimeoutOnAHalfSentRequestGets408) {
    auto limits = small_limits();
    limits.request_timeout = 250ms;
    start(limits);
    NetTestClient client(port());
    const auto begin = std::chrono::steady_clock::now();
    ASSERT_FALSE(client.write("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc"));
    const auto reply = client.read();
    const auto waited = std::chrono::steady_clock::now() - begin;
    ASSERT_FALSE(reply.error) << reply.error.message();
    EXPECT_EQ(reply.response.result(), http::status::request_timeout);
    EXPECT_FALSE(reply.response.keep_alive());
    EXPECT_GE(waited, 200ms);
    EXPECT_LT(waited, 1000ms);
}

TEST_F(HttpServerTest, ConnectionAboveTheLimitGetsTooManyConnections) {
    auto limits = small_limits();
    limits.max_connections = 2;
    start(limits);
    NetTestClient first(port());
    NetTestClient second(port());
    ASSERT_FALSE(first.get("/hello").error);
    ASSERT_FALSE(second.get("/hello").error);
    NetTestClient third(port());
    const auto reply = third.get("/hello");
    ASSERT_FALSE(reply.error) << reply.error.message();
    EXPECT_EQ(reply.response.result(), http::status::service_unavailable);
    EXPECT_EQ(reply.response.body(), "error:too_many_connections");
    EXPECT_FALSE(reply.response.keep_alive());
    EXPECT_EQ(third.read_until_closed().error, asio::error::eof);
    EXPECT_EQ(server_->connection_count(), 2u);

    first.close();  // frees a slot
    ASSERT_TRUE(wait_for_connections(1));
    NetTestClient fourth(port());
    EXPECT_EQ(fourth.get("/hello").response.body(), "hello");
}

TEST_F(HttpServerTest, ThrowingHandlerGets500AndTheConnectionStillWorks) {
    start();
    NetTestClient client(port());
    const auto failed = client.get("/throw");
    ASSERT_FALSE(failed.error);
    EXPECT_EQ(failed.response.result(), http::status::internal_server_error);
    EXPECT_EQ(failed.response.body(), "error:internal");
    EXPECT_TRUE(failed.response.keep_alive());
    expect_still_serving_after(client, "/throw", 500u);
}

TEST_F(HttpServerTest, DrainFinishesInFlightRequestsAndClosesIdleConnections) {
    start();
    NetTestClient idle(port());
    ASSERT_FALSE(idle.get("/hello").error);
    NetTestClient busy(port());
    ASSERT_FALSE(busy.send(NetTestClient::make_request(http::verb::get, "/slow")));
    for (int i = 0; i < 500 && slow_handlers_started.load() == 0; ++i) {
        std::this_thread::sleep_for(2ms);
    }
    ASSERT_EQ(slow_handlers_started.load(), 1);

    server_->stop_accepting();
    auto drained = std::async(std::launch::async, [this] { return server_->drain(2000ms); });
    EXPECT_EQ(idle.read_until_closed().error, asio::error::eof);
    const auto reply = busy.read();
    ASSERT_FALSE(reply.error) << reply.error.message();
    EXPECT_EQ(reply.response.body(), "slow");
    EXPECT_FALSE(reply.response.keep_alive());  // Connection: close
    busy.close();
    EXPECT_TRUE(drained.get());
    EXPECT_EQ(server_->connection_count(), 0u);

    NetTestClient late(port(), 300ms);  // no longer accepting
    EXPECT_TRUE(late.connect_error() || late.get("/hello").error);
}

TEST_F(HttpServerTest, DrainReturnsFalseWhenAConnectionOutlivesTheDeadline) {
    start();
    NetTestClient busy(port());
    ASSERT_FALSE(busy.send(NetTestClient::make_request(http::verb::get, "/slow")));  // 300 ms
    for (int i = 0; i < 500 && slow_handlers_started.load() == 0; ++i) {
        std::this_thread::sleep_for(2ms);
    }
    ASSERT_EQ(slow_handlers_started.load(), 1);
    server_->stop_accepting();
    EXPECT_FALSE(server_->drain(100ms));
    EXPECT_EQ(server_->connection_count(), 1u);
}

TEST_F(HttpServerTest, ExpectContinueGets100BeforeTheBodyIsSent) {
    start();
    NetTestClient client(port());
    ASSERT_FALSE(client.write(
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
    const auto interim = client.read();
    ASSERT_FALSE(interim.error) << interim.error.message();
    EXPECT_EQ(interim.response.result(), http::status::continue_);
    ASSERT_FALSE(client.write("hello"));
    const auto reply = client.read();
    ASSERT_FALSE(reply.error);
    EXPECT_EQ(reply.response.result(), http::status::ok);
    EXPECT_EQ(reply.response.body(), "hello");
    std::this_thread::sleep_for(20ms);  // a wrongly reported interim answer would show by now
    EXPECT_EQ(records(1).size(), 1u);  // the interim answer is not a response of its own
}

TEST_F(HttpServerTest, Http10RequestGetsHttp10AnswerAndClose) {
    start();
    NetTestClient client(port());
    ASSERT_FALSE(client.write("GET /hello HTTP/1.0\r\n\r\n"));
    const auto reply = client.read();
    ASSERT_FALSE(reply.error);
    EXPECT_EQ(reply.response.version(), 10u);
    EXPECT_FALSE(reply.response.keep_alive());
    EXPECT_EQ(client.read_until_closed().error, asio::error::eof);
}

// HTTP/1.0 keeps a connection only when asked, and the answer must say so itself.
TEST_F(HttpServerTest, Http10KeepAliveRequestGetsConnectionKeepAliveAndStaysOpen) {
    start();
    NetTestClient client(port());
    for (int i = 0; i < 2; ++i) {
        ASSERT_FALSE(client.write("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
        const auto reply = client.read();
        ASSERT_FALSE(reply.error) << "request " << i;
        EXPECT_EQ(reply.response.version(), 10u);
        EXPECT_EQ(reply.response[http::field::connection], "keep-alive");
        EXPECT_EQ(reply.response.body(), "hello");
    }
}

// The answer does not fit the socket's buffers while the client is not reading, so most of it
// goes out by the asynchronous write; it must arrive whole, and the connection stay usable.
TEST_F(HttpServerTest, AnswerLargerThanTheSocketBuffersArrivesWholeOnAKeptConnection) {
    start();
    NetTestClient client(port());
    ASSERT_FALSE(client.send(NetTestClient::make_request(http::verb::get, "/big")));
    std::this_thread::sleep_for(100ms);  // the server's send fills the buffers and waits
    const auto reply = client.read();
    ASSERT_FALSE(reply.error) << reply.error.message();
    EXPECT_EQ(reply.response.body().size(), kBigBodyBytes);
    EXPECT_TRUE(reply.response.body() == big_body());
    expect_still_serving_after(client, "/big", 200u);
}

TEST_F(HttpServerTest, ContentLengthIsTheBodysAndA204SendsNeitherLengthNorBody) {
    start();
    NetTestClient client(port());
    ASSERT_FALSE(client.write(
        "GET /wrong-length HTTP/1.1\r\nHost: x\r\n\r\n"
        "GET /no-content HTTP/1.1\r\nHost: x\r\n\r\n"
        "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    const auto wire = client.read_until_closed().bytes;
    const auto second = wire.find("HTTP/1.1 204");
    const auto third = wire.find("HTTP/1.1 200", 1);
    ASSERT_NE(second, std::string::npos) << wire;
    ASSERT_NE(third, std::string::npos) << wire;
    const std::string first_answer = wire.substr(0, second);
    const std::string no_content_answer = wire.substr(second, third - second);
    EXPECT_NE(first_answer.find("Content-Length: 3\r\n"), std::string::npos) << first_answer;
    EXPECT_EQ(first_answer.find("999"), std::string::npos) << first_answer;
    EXPECT_TRUE(first_answer.ends_with("\r\n\r\nabc")) << first_answer;
    EXPECT_EQ(no_content_answer.find("Content-Length"), std::string::npos) << no_content_answer;
    EXPECT_TRUE(no_content_answer.ends_with("\r\n\r\n")) << no_content_answer;
    EXPECT_TRUE(wire.ends_with("\r\n\r\nhello")) << wire;
}

TEST(HttpServerListen, ThrowsWhenThePortIsTaken) {
    asio::io_context context;
    // No SO_REUSEPORT on this one, so the server's acceptors cannot share its port.
    asio::ip::tcp::acceptor taken(context, {asio::ip::address_v4::loopback(), 0});
    WorkerPool pool(2);
    HttpHooks hooks;
    hooks.error_response = test_error_response;
    HttpServer server(pool, Router{}, ServerLimits{}, hooks);
    EXPECT_THROW(server.listen(taken.local_endpoint()), boost::system::system_error);
}

}  // namespace
}  // namespace flashsale::net
