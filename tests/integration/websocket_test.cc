// The buyer's live channel at the protocol level, against the real binary: the upgrade is
// refused without a valid JWT; a buyer hears each change of its orders (reserved, persisted,
// paid, cancelled, expired) and of the sales it watches (sold out) without asking; abuse closes
// the connection with the right code (1009 oversized, 1003 binary, 1008 nonsense); a reader too
// slow is dropped instead of growing the server's memory; 10,000 idle sockets are held, and
// their memory per socket is reported. On the Redis backend, a change decided on one node
// reaches a buyer connected to another.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/server_test.h"
#include "services/nginx_server.h"
#include "support/websocket_client.h"

namespace flashsale::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// The status (an order's) or the event (a sale's) of a pushed message.
std::string member(const boost::json::value& message, const char* object, const char* name) {
    const auto* inner = message.as_object().if_contains(object);
    if (inner == nullptr || !inner->is_object()) return {};
    const auto* value = inner->as_object().if_contains(name);
    return value != nullptr && value->is_string() ? std::string(value->as_string()) : "";
}

std::string event_of(const boost::json::value& message) {
    const auto* event = message.as_object().if_contains("event");
    return event != nullptr && event->is_string() ? std::string(event->as_string()) : "";
}

// A counter or gauge of GET /metrics (the first series of that name), or -1.
double metric(const Api& api, const std::string& name) {
    std::istringstream body(api.http().get("/metrics").body);
    std::string line;
    while (std::getline(body, line)) {
        if (line.rfind(name, 0) != 0 || line.size() <= name.size()) continue;
        if (line[name.size()] != ' ' && line[name.size()] != '{') continue;
        return std::stod(line.substr(line.rfind(' ') + 1));
    }
    return -1;
}

// Resident memory of a process, in bytes (VmRSS).
std::int64_t rss_bytes(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
    }
    return -1;
}

class WebSocketTest : public ServerTest {
protected:
    std::unique_ptr<WebSocketClient> connect_as(const std::string& user_id,
                                                int receive_buffer_bytes = 0) {
        return connect_to(server(), user_id, receive_buffer_bytes);
    }

    std::unique_ptr<WebSocketClient> connect_to(const ServerProcess& node,
                                                const std::string& user_id,
                                                int receive_buffer_bytes = 0) {
        auto client = std::make_unique<WebSocketClient>(
            node.port(), "/api/v1/ws?access_token=" + api().token_for(user_id),
            std::vector<std::pair<std::string, std::string>>{}, receive_buffer_bytes);
        EXPECT_TRUE(client->open()) << "handshake status " << client->handshake_status();
        EXPECT_TRUE(client->read_until("hello").has_value());
        return client;
    }

    // The next push about order `order_id` with `status` (others are skipped).
    bool hears_order(WebSocketClient& client, const std::string& order_id,
                     const std::string& event, milliseconds timeout = seconds(10)) {
        return client
            .read_until("order", timeout,
                        [&](const boost::json::value& message) {
                            return member(message, "order", "id") == order_id &&
                                   event_of(message) == event;
                        })
            .has_value();
    }

    std::string reserve(const std::string& user_id, const std::string& sale_id) {
        const HttpResponse bought = api().purchase(user_id, sale_id);
        EXPECT_TRUE(has_status(bought, 202));
        return bought.string_field("order_id").value_or("");
    }

    // Redis bus: until `node` has heard from Redis that some node has buyers connected (or,
    // with `some` false, that none has); false after five seconds.
    bool sees_listening_nodes(const ServerProcess& node, bool some) {
        for (int i = 0; i < 100; ++i) {
            const auto metrics = HttpClient(node.port()).get("/metrics").body;
            const double nodes = metric_value(metrics, "flashsale_push_listening_nodes");
            if (nodes >= 0 && (nodes >= 1) == some) return true;
            std::this_thread::sleep_for(milliseconds(50));
        }
        return false;
    }

    // How many PUBLISH commands Redis ran since its statistics were last reset.
    long publishes() {
        constexpr std::string_view kCalls = "cmdstat_publish:calls=";
        const std::string stats = redis_cli(backend(), {"INFO", "commandstats"});
        const auto at = stats.find(kCalls);
        if (at == std::string::npos) return 0;
        return std::stol(stats.substr(at + kCalls.size()));
    }
};

TEST_F(WebSocketTest, UpgradeWithoutAValidTokenIsRefused) {
    WebSocketClient anonymous(server().port(), "/api/v1/ws");
    EXPECT_FALSE(anonymous.open());
    EXPECT_EQ(anonymous.handshake_status(), 401);

    WebSocketClient forged(server().port(), "/api/v1/ws?access_token=eyJhbGciOiJIUzI1NiJ9.e30.x");
    EXPECT_FALSE(forged.open());
    EXPECT_EQ(forged.handshake_status(), 401);

    // The header works as well as the query parameter.
    WebSocketClient by_header(server().port(), "/api/v1/ws",
                              {{"Authorization", "Bearer " + api().token_for("alice")}});
    EXPECT_TRUE(by_header.open());

    // A plain GET of the WebSocket route is a client error, not a crash or a hang.
    EXPECT_TRUE(is_error(api().http().get("/api/v1/ws"), 400, "bad_request"));
}

TEST_F(WebSocketTest, BuyerHearsEachChangeOfItsOrders) {
    SaleSpec spec = open_sale("pushed", 10, 3);
    ASSERT_TRUE(has_status(api().create_sale(spec), 201));
    auto alice = connect_as("alice");
    auto bob = connect_as("bob");

    const std::string paid = reserve("alice", "pushed");
    EXPECT_TRUE(hears_order(*alice, paid, "reserved"));
    EXPECT_TRUE(hears_order(*alice, paid, "persisted", seconds(20)));
    ASSERT_TRUE(has_status(api().pay("alice", paid), 200));
    EXPECT_TRUE(hears_order(*alice, paid, "paid"));

    const std::string cancelled = reserve("alice", "pushed");
    ASSERT_TRUE(has_status(api().cancel("alice", cancelled), 200));
    EXPECT_TRUE(hears_order(*alice, cancelled, "cancelled"));

    // Another buyer hears nothing of alice's orders.
    EXPECT_FALSE(bob->read_until("order", milliseconds(500)).has_value());
}

TEST_F(WebSocketTest, BuyerHearsTheExpiryOfAnUnpaidReservation) {
    SaleSpec spec = open_sale("expiring", 10, 1);
    spec.reservation_ttl_s = 1;
    ASSERT_TRUE(has_status(api().create_sale(spec), 201));
    auto alice = connect_as("alice");
    const std::string order = reserve("alice", "expiring");
    EXPECT_TRUE(hears_order(*alice, order, "expired", seconds(20)));
}

TEST_F(WebSocketTest, WatcherHearsTheSaleSellOutWithoutAsking) {
    ASSERT_TRUE(has_status(api().create_sale(open_sale("last-one", 1, 1)), 201));
    auto watcher = connect_as("watcher");
    ASSERT_TRUE(watcher->write(R"({"type":"watch","sale":"last-one"})"));
    std::this_thread::sleep_for(milliseconds(700));  // the first refresh records the sale
    reserve("buyer", "last-one");
    auto sold_out = watcher->read_until("sale", seconds(10), [](const boost::json::value& m) {
        return event_of(m) == "sold_out";
    });
    ASSERT_TRUE(sold_out.has_value());
    EXPECT_EQ(member(*sold_out, "sale", "status"), "sold_out");
}

class WebSocketLimitsTest : public WebSocketTest {
protected:
    void customize(ServerOptions& options) override {
        options.env.emplace_back("FLASHSALE_WS_MESSAGE_MAX_BYTES", "1024");
        options.env.emplace_back("FLASHSALE_WS_SEND_QUEUE_MAX", "8");
        options.env.emplace_back("FLASHSALE_USER_RATE_PER_S", "0");
    }
};

TEST_F(WebSocketLimitsTest, OversizedMessageClosesWith1009) {
    auto client = connect_as("alice");
    ASSERT_TRUE(client->write(std::string(4096, 'x')));
    EXPECT_FALSE(client->read(seconds(5)).has_value());
    EXPECT_EQ(client->close_code(), 1009);
}

TEST_F(WebSocketLimitsTest, BinaryMessageClosesWith1003) {
    auto client = connect_as("alice");
    ASSERT_TRUE(client->write("\x01\x02", /*binary=*/true));
    EXPECT_FALSE(client->read(seconds(5)).has_value());
    EXPECT_EQ(client->close_code(), 1003);
}

TEST_F(WebSocketLimitsTest, NonsenseClosesWith1008) {
    auto client = connect_as("alice");
    ASSERT_TRUE(client->write(R"({"type":"subscribe-everything"})"));
    EXPECT_FALSE(client->read(seconds(5)).has_value());
    EXPECT_EQ(client->close_code(), 1008);
}

// A buyer that never reads, with a tiny receive window: once the kernel buffers are full, the
// server's queue for it reaches its bound and the connection is dropped; the server goes on.
TEST_F(WebSocketLimitsTest, SlowReaderIsDroppedNotBuffered) {
    ASSERT_TRUE(has_status(api().create_sale(open_sale("busy", 5000, 5000)), 201));
    auto slow = connect_as("slow", /*receive_buffer_bytes=*/2048);
    const auto deadline = std::chrono::steady_clock::now() + seconds(60);
    int purchases = 0;
    while (metric(api(), "flashsale_ws_dropped_total") < 1 &&
           std::chrono::steady_clock::now() < deadline && purchases < 4000) {
        for (int i = 0; i < 100; ++i, ++purchases) {
            ASSERT_TRUE(has_status(api().purchase("slow", "busy"), 202));
        }
    }
    EXPECT_GE(metric(api(), "flashsale_ws_dropped_total"), 1) << purchases << " purchases";
    // Everyone else is still served, pushes included.
    auto fresh = connect_as("fresh");
    EXPECT_TRUE(fresh->open());
    EXPECT_TRUE(has_status(api().get_sale("busy"), 200));
}

class IdleSocketsTest : public WebSocketTest {
protected:
    static constexpr int kSockets = 10'000;
    void customize(ServerOptions& options) override {
        options.env.emplace_back("FLASHSALE_MAX_CONNECTIONS", "12000");
        options.env.emplace_back("FLASHSALE_WS_IDLE_TIMEOUT_MS", "600000");
    }
};

using IdleStream = boost::beast::websocket::stream<boost::beast::tcp_stream>;

// Opens `count` WebSockets on `io`, at most `parallel` handshakes at a time, and returns how
// many reached the open state. `io` outlives `sockets`.
int open_many(boost::asio::io_context& io, std::uint16_t port, const std::string& target,
              int count, int parallel, std::vector<std::unique_ptr<IdleStream>>& sockets) {
    namespace asio = boost::asio;
    using Stream = IdleStream;
    const asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
    int started = 0;
    int opened = 0;
    std::function<void()> start_one = [&] {
        if (started >= count) return;
        ++started;
        auto stream = std::make_unique<Stream>(io);
        auto* raw = stream.get();
        sockets.push_back(std::move(stream));
        boost::beast::get_lowest_layer(*raw).async_connect(
            endpoint, [&, raw](boost::system::error_code ec) {
                if (ec) return start_one();
                raw->async_handshake("127.0.0.1", target, [&](boost::system::error_code ec) {
                    if (!ec) ++opened;
                    start_one();
                });
            });
    };
    for (int i = 0; i < parallel; ++i) start_one();
    io.run_for(std::chrono::seconds(120));
    return opened;
}

TEST_F(IdleSocketsTest, TenThousandIdleSocketsAreHeld) {
    // Idle sockets cost the same whatever holds the stock: measured once, on the embedded engine.
    if (backend().kind() != BackendKind::kEmbedded) GTEST_SKIP() << "measured on the embedded engine";
    rlimit limit{};
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    if (limit.rlim_cur < kSockets + 200) GTEST_SKIP() << "file limit " << limit.rlim_cur;

    const std::int64_t before = rss_bytes(server().pid());
    boost::asio::io_context io;
    std::vector<std::unique_ptr<IdleStream>> sockets;
    const int opened = open_many(io, server().port(),
                                 "/api/v1/ws?access_token=" + api().token_for("crowd"), kSockets,
                                 500, sockets);
    ASSERT_EQ(opened, kSockets);
    const auto deadline = std::chrono::steady_clock::now() + seconds(30);
    while (metric(api(), "flashsale_ws_connections") < kSockets &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(milliseconds(100));
    }
    EXPECT_EQ(metric(api(), "flashsale_ws_connections"), kSockets);
    const std::int64_t after = rss_bytes(server().pid());
    const double per_socket = static_cast<double>(after - before) / kSockets;
    RecordProperty("server_rss_bytes", std::to_string(after));
    RecordProperty("bytes_per_socket", std::to_string(static_cast<std::int64_t>(per_socket)));
    std::printf("10,000 idle WebSockets: server RSS %.1f MiB, %.0f bytes per socket\n",
                static_cast<double>(after) / (1024 * 1024), per_socket);
    // A generous bound that still catches a per-socket buffer gone wrong (64 KiB each would
    // be 640 MiB).
    EXPECT_LT(per_socket, 48 * 1024);
    EXPECT_TRUE(has_status(api().http().get("/healthz"), 200));
}

// Production: the buyer's socket is on one node, the purchase goes to another; the push
// travels through Redis pub/sub, and reaches a socket opened through the shipped nginx config.
TEST_F(WebSocketTest, PushReachesTheBuyerOnAnotherNode) {
    if (backend().kind() != BackendKind::kRedis) GTEST_SKIP() << "needs several nodes (Redis)";
    ServerOptions second = server().options();
    second.data_dir = temp_dir() / "data-2";
    second.log_path = temp_dir() / "node-2.log";
    std::filesystem::create_directories(second.data_dir);
    ServerProcess node2(std::move(second));
    ASSERT_TRUE(node2.start());

    ASSERT_TRUE(has_status(api().create_sale(open_sale("spread", 10, 2)), 201));
    auto alice = connect_to(node2, "alice");
    // The same buyer through the shipped nginx config, as a deployment runs it.
    NginxServer nginx(shipped_file("deploy/nginx.conf"), {server().port(), node2.port()});
    WebSocketClient through_nginx(nginx.port(), "/api/v1/ws?access_token=" + api().token_for("alice"));
    ASSERT_TRUE(through_nginx.open()) << "handshake status " << through_nginx.handshake_status();
    ASSERT_TRUE(through_nginx.read_until("hello").has_value());
    // Node 1 renders pushes once Redis tells it that a node has buyers connected.
    ASSERT_TRUE(sees_listening_nodes(server(), true));
    const std::string order = reserve("alice", "spread");  // through node 1
    EXPECT_TRUE(hears_order(*alice, order, "reserved"));
    EXPECT_TRUE(hears_order(*alice, order, "persisted", seconds(20)));
    EXPECT_TRUE(hears_order(through_nginx, order, "reserved"));
    EXPECT_TRUE(node2.stop_gracefully());
}

// Production: with no buyer connected to any node, no push is rendered or published; once one
// connects, every node learns of it through Redis and the buyer hears its orders, and when it
// leaves the nodes stop again.
TEST_F(WebSocketTest, NoPushIsPublishedWhileNoBuyerIsConnectedAnywhere) {
    if (backend().kind() != BackendKind::kRedis) GTEST_SKIP() << "the Redis bus";
    ASSERT_TRUE(has_status(api().create_sale(open_sale("quiet", 10, 2)), 201));
    ASSERT_TRUE(sees_listening_nodes(server(), false));
    redis_cli(backend(), {"CONFIG", "RESETSTAT"});
    reserve("bob", "quiet");
    std::this_thread::sleep_for(milliseconds(500));  // the pipeline persists it meanwhile
    EXPECT_EQ(publishes(), 0);

    auto alice = connect_as("alice");
    ASSERT_TRUE(sees_listening_nodes(server(), true));
    const std::string order = reserve("alice", "quiet");
    EXPECT_TRUE(hears_order(*alice, order, "reserved"));
    EXPECT_TRUE(hears_order(*alice, order, "persisted", seconds(20)));
    EXPECT_GT(publishes(), 0);

    alice.reset();  // the socket closes
    EXPECT_TRUE(sees_listening_nodes(server(), false));
}

}  // namespace
}  // namespace flashsale::testing
