// The production deployment under faults: several nodes behind nginx on one Redis and one
// PostgreSQL, with a node, Redis, PostgreSQL or the order pipeline failing mid-storm. Each time,
// every 202 a buyer received must end as exactly one order row (I3), sold <= stock (I1), and
// `flashsale verify` (PostgreSQL's invariants plus Redis == PostgreSQL) must be clean.
// These run on the Redis + PostgreSQL backend only (FLASHSALE_TEST_BACKEND=redis).
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "services/nginx_server.h"
#include "support/net_test_client.h"
#include "support/server_test.h"
#include "support/storm.h"

namespace flashsale::testing {
namespace {

struct Recorded {
    std::string user_id;
    std::string order_id;
};

// One psql query's single value, as text.
std::string query(const TestBackend& backend, const std::string& sql) {
    auto result = run_command({"/usr/bin/psql", backend.conninfo(), "-qAt", "-c", sql});
    EXPECT_TRUE(result.status.clean()) << result.describe();
    auto text = result.output;
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    return text;
}

class ProductionTest : public ServerTest {
protected:
    void SetUp() override {
        if (test_backend() != BackendKind::kRedis) GTEST_SKIP() << "Redis + PostgreSQL only";
        ServerTest::SetUp();
    }
    void customize(ServerOptions& options) override {
        options.env.emplace_back("FLASHSALE_ORDERS_RECONCILE_INTERVAL_MS", "300");
    }

    // Another node on the same Redis and PostgreSQL, with a data dir of its own.
    ServerProcess& start_second_node() {
        ServerOptions second = server().options();
        second.data_dir = temp_dir() / "data-2";
        second.log_path = temp_dir() / "node-2.log";
        std::filesystem::create_directories(second.data_dir);
        node2_ = std::make_unique<ServerProcess>(std::move(second));
        EXPECT_TRUE(node2_->start());
        return *node2_;
    }

    void create_sale(const std::string& id, std::int64_t stock, std::int64_t limit) {
        SaleSpec spec = open_sale(id, stock, limit);
        spec.reservation_ttl_s = 3600;  // nothing expires while the test runs
        ASSERT_TRUE(has_status(api().create_sale(spec), 201));
    }

    // A storm on `port` (on a thread of its own) whose answers may only be 202, 409 or 503 (a
    // backend away). `fault` runs on this thread once the first `after` 202s arrived, while the
    // storm goes on: the servers it restarts are this thread's children (they die with the
    // thread that started them).
    std::vector<Recorded> storm_with_fault(std::uint16_t port, const std::string& sale_id,
                                           std::size_t buyers_count, std::size_t after,
                                           const std::function<void()>& fault) {
        const auto buyers = make_buyers(sale_id, buyers_count, server().options().jwt_secret);
        std::vector<Recorded> recorded;
        std::atomic<std::size_t> accepted{0};
        StormOptions options;
        options.port = port;
        options.sale_id = sale_id;
        options.spread = std::chrono::seconds(4);
        options.on_answer = [&](const Answer& answer) {
            if (answer.response.status != 202) return;
            recorded.push_back({buyers[answer.buyer].user_id,
                                answer.response.string_field("order_id").value_or("")});
            ++accepted;
        };
        std::vector<Answer> answers;
        std::thread storm([&] { answers = run_storm(options, buyers); });
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (accepted < after && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        fault();
        storm.join();
        const StormTally counted = tally(answers);
        std::size_t unavailable = 0;
        for (const auto& other : counted.others) {
            if (other.find("503") != std::string::npos) ++unavailable;
            else ADD_FAILURE() << "unexpected answer: " << other;
        }
        std::cout << "[ storm    ] 202: " << counted.accepted << ", 409: " << counted.sold_out
                  << ", 503: " << unavailable << ", no answer: " << counted.no_answer << "\n";
        EXPECT_GE(recorded.size(), after) << "the storm ended before the fault";
        return recorded;
    }

    // Every recorded 202 is an order of its buyer, and the sale never sold above its stock.
    void check_recorded(const std::vector<Recorded>& recorded, const std::string& sale_id,
                        std::int64_t stock) {
        for (const auto& r : recorded) {
            const HttpResponse order = api().get_order(r.user_id, r.order_id);
            ASSERT_TRUE(has_status(order, 200)) << "order " << r.order_id << " was lost";
            EXPECT_EQ(order.string_field("user_id"), r.user_id);
        }
        const HttpResponse stats = api().stats(sale_id);
        EXPECT_LE(int_at(stats, {"sold"}).value_or(stock + 1), stock) << stats.describe();
        EXPECT_GE(int_at(stats, {"sold"}).value_or(-1), static_cast<std::int64_t>(recorded.size()));
    }

    // After the stop: the database holds exactly the orders the 202s named, once each.
    void check_database(const std::vector<Recorded>& recorded, const std::string& sale_id) {
        std::map<std::string, int> rows;  // "order id|user id" -> rows
        std::istringstream lines(query(
            backend(), "SELECT id || '|' || user_id FROM orders WHERE sale_id = '" + sale_id + "'"));
        for (std::string line; std::getline(lines, line);) ++rows[line];
        for (const auto& r : recorded) {
            EXPECT_EQ(rows[r.order_id + "|" + r.user_id], 1)
                << "order " << r.order_id << " is not exactly once in the database";
        }
        const auto sold = query(backend(), "SELECT sold FROM sales WHERE id = '" + sale_id + "'");
        const auto stock = query(backend(), "SELECT stock FROM sales WHERE id = '" + sale_id + "'");
        EXPECT_LE(std::stoll(sold), std::stoll(stock));
    }

    // Waits (up to 20 s) until the database holds `count` orders of the sale.
    ::testing::AssertionResult wait_for_orders_in_database(const std::string& sale_id, int count) {
        const auto sql = "SELECT count(*) FROM orders WHERE sale_id = '" + sale_id + "'";
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        std::string found;
        while ((found = query(backend(), sql)) != std::to_string(count)) {
            if (std::chrono::steady_clock::now() > deadline) {
                return ::testing::AssertionFailure()
                       << "the database holds " << found << " orders of " << sale_id << ", not "
                       << count;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return ::testing::AssertionSuccess();
    }

    std::unique_ptr<ServerProcess> node2_;
};

TEST_F(ProductionTest, StormThroughNginxAcrossTwoNodesSellsExactlyTheStock) {
    ServerProcess& node2 = start_second_node();
    NginxServer nginx(shipped_file("deploy/nginx.conf"), {server().port(), node2.port()});

    constexpr std::int64_t kStock = 300;
    create_sale("two-nodes", kStock, 2);
    const auto buyers = make_buyers("buyer", 1500, server().options().jwt_secret, 3);
    StormOptions options;
    options.port = nginx.port();
    options.sale_id = "two-nodes";
    const auto answers = run_storm(options, buyers);
    const StormTally counted = tally(answers);
    EXPECT_EQ(counted.accepted_units, kStock);
    EXPECT_EQ(counted.no_answer, 0u) << counted.first_transport_error;
    EXPECT_TRUE(counted.others.empty())
        << counted.others.size() << " unexpected answers, the first: " << counted.others.front();
    std::map<std::size_t, int> units_by_buyer;
    for (const auto& answer : answers) {
        if (answer.response.status == 202) ++units_by_buyer[answer.buyer];
    }
    for (const auto& [buyer, units] : units_by_buyer) EXPECT_LE(units, 2) << buyers[buyer].user_id;

    // Both nodes took purchases: nginx spread the storm, the stock was shared.
    for (const ServerProcess* node : {&server(), &node2}) {
        const auto metrics = HttpClient(node->port()).get("/metrics").body;
        EXPECT_GT(metric_value(metrics, "flashsale_purchases_total{outcome=\"accepted\"}"), 0)
            << "node on port " << node->port() << " sold nothing";
    }
    EXPECT_TRUE(node2.stop_gracefully());
    EXPECT_TRUE(stop_and_verify());
    EXPECT_EQ(query(backend(), "SELECT sold FROM sales WHERE id = 'two-nodes'"),
              std::to_string(kStock));
}

TEST_F(ProductionTest, RedisKilledMidStormAndRestartedLosesNoAcceptedOrder) {
    constexpr std::int64_t kStock = 1000;
    create_sale("redis-crash", kStock, 1);
    auto recorded = storm_with_fault(server().port(), "redis-crash", 3000, 50, [&] {
        backend().redis().kill();
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        backend().redis().start();  // same port and data: the AOF is replayed
    });
    ASSERT_NO_FATAL_FAILURE(check_recorded(recorded, "redis-crash", kStock));
    EXPECT_TRUE(stop_and_verify());
    check_database(recorded, "redis-crash");
}

TEST_F(ProductionTest, PostgresStoppedForFiveSecondsMidStormLosesNoAcceptedOrder) {
    constexpr std::int64_t kStock = 1000;
    create_sale("pg-outage", kStock, 1);
    auto recorded = storm_with_fault(server().port(), "pg-outage", 3000, 50, [&] {
        backend().postgres().stop();
        std::this_thread::sleep_for(std::chrono::seconds(5));
        backend().postgres().start();
    });
    // Redis kept selling while the database was away; the pipeline felt it and caught up.
    const auto metrics = api().http().get("/metrics").body;
    EXPECT_GT(metric_value(metrics, "flashsale_pipeline_store_failures_total"), 0);
    ASSERT_NO_FATAL_FAILURE(check_recorded(recorded, "pg-outage", kStock));
    EXPECT_TRUE(stop_and_verify());
    check_database(recorded, "pg-outage");
}

TEST_F(ProductionTest, NodeKilledMidStormBehindNginxLosesNoAcceptedOrder) {
    ServerProcess& node2 = start_second_node();
    NginxServer nginx(shipped_file("deploy/nginx.conf"), {server().port(), node2.port()});

    constexpr std::int64_t kStock = 1000;
    create_sale("node-crash", kStock, 1);
    // Answers cut by the kill have no status (nginx answers 502 for them): not 202s, so not
    // promised to anyone. The storm helper reports them as transport errors or others.
    const auto buyers = make_buyers("node-crash", 3000, server().options().jwt_secret);
    std::vector<Recorded> recorded;
    StormOptions options;
    options.port = nginx.port();
    options.sale_id = "node-crash";
    options.spread = std::chrono::seconds(3);
    options.on_answer = [&](const Answer& answer) {
        if (answer.response.status != 202) return;
        recorded.push_back({buyers[answer.buyer].user_id,
                            answer.response.string_field("order_id").value_or("")});
        if (recorded.size() == 50) node2.kill9();
    };
    run_storm(options, buyers);
    ASSERT_GE(recorded.size(), 50u);
    ASSERT_NO_FATAL_FAILURE(check_recorded(recorded, "node-crash", kStock));
    EXPECT_TRUE(stop_and_verify());
    check_database(recorded, "node-crash");
}

// Redis came back without the sale (an empty restart, a failover to a replica that lagged):
// the sale answers "not ready", never "sold out" or "available", until reconciliation rebuilds
// it from PostgreSQL; after that it sells exactly what is left.
class ManualReconcileTest : public ProductionTest {
protected:
    void customize(ServerOptions& options) override {  // no reconcile watch in the way
        options.env.emplace_back("FLASHSALE_ORDERS_RECONCILE_INTERVAL_MS", "3600000");
    }
};

TEST_F(ManualReconcileTest, SaleLostFromRedisIsRebuiltFromTheDatabase) {
    constexpr std::int64_t kStock = 10;
    create_sale("rebuilt", kStock, 1);
    for (int i = 0; i < 6; ++i) {
        ASSERT_TRUE(has_status(api().purchase("early-" + std::to_string(i), "rebuilt"), 202));
    }
    ASSERT_TRUE(server().stop_gracefully());
    ASSERT_TRUE(verify_is_clean(data_dir()));  // drains the stream into PostgreSQL
    ASSERT_TRUE(server().restart());
    ASSERT_EQ(redis_cli(backend(), {"FLUSHALL"}), "OK");

    EXPECT_TRUE(is_error(api().purchase("late-0", "rebuilt"), 503, "unavailable"));
    const CommandResult reconciled = run_flashsale({"reconcile"});
    ASSERT_TRUE(reconciled.status.clean()) << reconciled.describe();
    EXPECT_NE(reconciled.output.find("sale rebuilt: rebuilt (missing from Redis)"),
              std::string::npos)
        << reconciled.output;

    EXPECT_EQ(int_at(api().stats("rebuilt"), {"sold"}), 6);
    EXPECT_TRUE(is_error(api().purchase("early-0", "rebuilt"), 409, "limit_reached"))
        << "the rebuilt sale remembers who bought";
    int accepted = 0;
    for (int i = 0; i < 8; ++i) {
        if (api().purchase("late-" + std::to_string(i), "rebuilt").status == 202) ++accepted;
    }
    EXPECT_EQ(accepted, kStock - 6);
    EXPECT_TRUE(stop_and_verify());
    EXPECT_EQ(query(backend(), "SELECT sold FROM sales WHERE id = 'rebuilt'"), "10");
}

// The same loss while the node runs: its reconcile watch notices that the sale's keys are gone
// and rebuilds it, without a restart or an operator.
TEST_F(ProductionTest, SaleLostWhileTheNodeRunsIsRebuiltByItself) {
    create_sale("watched", 5, 1);
    ASSERT_TRUE(has_status(api().purchase("first", "watched"), 202));
    // Only what the pipeline moved into PostgreSQL survives a Redis that loses everything.
    ASSERT_TRUE(wait_for_orders_in_database("watched", 1));
    ASSERT_EQ(redis_cli(backend(), {"FLUSHALL"}), "OK");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    HttpResponse answer;
    int refused_while_lost = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        answer = api().purchase("second", "watched");
        if (answer.status != 503) break;
        ++refused_while_lost;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_TRUE(has_status(answer, 202)) << "never rebuilt";
    std::cout << "[ watch    ] purchases refused while the sale was lost: " << refused_while_lost
              << "\n";
    EXPECT_TRUE(is_error(api().purchase("first", "watched"), 409, "limit_reached"));
    EXPECT_EQ(int_at(api().stats("watched"), {"sold"}), 2);
    // The node's own pipeline found the stream again: the new order reaches the database.
    EXPECT_TRUE(wait_for_orders_in_database("watched", 2));
    EXPECT_TRUE(stop_and_verify());
}

// The pipeline alone, killed with SIGKILL ten times while it moves 3,000 reservations into
// PostgreSQL in small batches: afterwards the database holds each reservation exactly once.
class PipelineCrashTest : public ProductionTest {
protected:
    void customize(ServerOptions& options) override {
        ProductionTest::customize(options);
        options.env.emplace_back("FLASHSALE_ORDERS_PIPELINE", "off");  // `consume` does it
    }
};

TEST_F(PipelineCrashTest, ConsumerKilledMidBatchTenTimesAppliesEveryEntryOnce) {
    constexpr std::int64_t kStock = 3000;
    create_sale("pipeline", kStock, 1);
    const StormTally counted = tally(
        run_storm({.port = server().port(), .sale_id = "pipeline"},
                  make_buyers("pipeline", kStock, server().options().jwt_secret)));
    ASSERT_EQ(counted.accepted_units, kStock)
        << "others: " << counted.others.size() << " first: "
        << (counted.others.empty() ? counted.first_transport_error : counted.others.front());
    const auto events = "fs:{sale:pipeline}:events";
    ASSERT_EQ(redis_cli(backend(), {"XLEN", events}), std::to_string(kStock + 1));  // + the sale

    EnvOverrides env = backend().env();
    // Small batches: many commits to be killed between, even in an optimised build.
    env.emplace_back("FLASHSALE_ORDERS_PIPELINE_BATCH_MAX", "10");
    std::vector<std::string> consume{flashsale_binary(), "consume"};
    std::mt19937 random(20261123);
    int killed_with_work_left = 0;
    for (int kill = 0; kill < 10; ++kill) {
        int pid = spawn_process(consume, make_environment(env), temp_dir() / "consume.log");
        std::this_thread::sleep_for(
            std::chrono::milliseconds(std::uniform_int_distribution(80, 250)(random)));
        const auto left = std::stoll(redis_cli(backend(), {"XLEN", events}));
        ::kill(pid, SIGKILL);
        wait_for_exit(pid, std::chrono::seconds(10));
        if (left > 0) ++killed_with_work_left;
    }
    std::cout << "[ pipeline ] kills with entries left: " << killed_with_work_left << " of 10\n";
    EXPECT_GE(killed_with_work_left, 5) << "the kills came after the work was done";

    // A last consumer finishes the work (verify drains the streams too).
    EXPECT_TRUE(stop_and_verify());
    EXPECT_EQ(query(backend(), "SELECT count(*) FROM orders WHERE sale_id = 'pipeline'"),
              std::to_string(kStock));
    EXPECT_EQ(query(backend(), "SELECT sold FROM sales WHERE id = 'pipeline'"),
              std::to_string(kStock));
    EXPECT_EQ(redis_cli(backend(), {"XLEN", events}), "0") << "acknowledged entries are trimmed";
}

// A consumer that read more entries than one batch and died before applying any: the one that
// takes the sale over applies them all, a batch at a time, and then reads the new ones.
TEST_F(PipelineCrashTest, TakeoverAppliesMoreAbandonedEntriesThanOneBatch) {
    constexpr int kBought = 200;
    create_sale("abandoned", kBought + 1, 1);
    const StormTally counted = tally(
        run_storm({.port = server().port(), .sale_id = "abandoned"},
                  make_buyers("abandoned", kBought, server().options().jwt_secret)));
    ASSERT_EQ(counted.accepted_units, kBought);
    const auto events = "fs:{sale:abandoned}:events";
    redis_cli(backend(), {"XGROUP", "CREATE", events, "orders", "0"});
    redis_cli(backend(), {"XREADGROUP", "GROUP", "orders", "dead@elsewhere", "COUNT", "1000",
                          "STREAMS", events, ">"});
    const auto pending = redis_cli(backend(), {"XPENDING", events, "orders"});
    ASSERT_EQ(pending.substr(0, pending.find('\n')), std::to_string(kBought + 1));  // + the sale

    EnvOverrides env = backend().env();
    env.emplace_back("FLASHSALE_ORDERS_PIPELINE_BATCH_MAX", "10");  // twenty batches and more
    const int pid = spawn_process({flashsale_binary(), "consume"}, make_environment(env),
                                  temp_dir() / "consume.log");
    EXPECT_TRUE(wait_for_orders_in_database("abandoned", kBought));
    // Then a new entry, which only a read of new entries finds.
    EXPECT_TRUE(has_status(api().purchase("late", "abandoned"), 202));
    EXPECT_TRUE(wait_for_orders_in_database("abandoned", kBought + 1));
    ::kill(pid, SIGTERM);
    wait_for_exit(pid, std::chrono::seconds(10));
    EXPECT_EQ(redis_cli(backend(), {"XLEN", events}), "0") << "acknowledged entries are trimmed";
}

// Entries delivered in the running consumer's own name without its knowing, as when the reply
// to its read was lost: it still finds them (it reads its own entries again every second).
TEST_F(PipelineCrashTest, EntriesDeliveredBehindTheConsumersBackAreStillApplied) {
    constexpr int kBought = 50;
    create_sale("unseen", kBought, 1);
    const int pid = spawn_process({flashsale_binary(), "consume"},
                                  make_environment(backend().env()), temp_dir() / "consume.log");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (query(backend(), "SELECT count(*) FROM sales WHERE id = 'unseen'") != "1" &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(pid, SIGSTOP);  // consuming, and past its first read of its own entries
    const StormTally counted = tally(
        run_storm({.port = server().port(), .sale_id = "unseen"},
                  make_buyers("unseen", kBought, server().options().jwt_secret)));
    EXPECT_EQ(counted.accepted_units, kBought);
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    redis_cli(backend(), {"XREADGROUP", "GROUP", "orders", std::string("consume@") + host,
                          "COUNT", "1000", "STREAMS", "fs:{sale:unseen}:events", ">"});
    ::kill(pid, SIGCONT);
    EXPECT_TRUE(wait_for_orders_in_database("unseen", kBought));
    ::kill(pid, SIGTERM);
    wait_for_exit(pid, std::chrono::seconds(10));
}

// A purchase whose reply never reached the buyer (the connection dropped) and its retry with
// the same Idempotency-Key: one order, the same one, whichever node answers.
TEST_F(ProductionTest, IdempotencyKeyRetryAfterALostReplyGivesTheSameOrder) {
    create_sale("lost-reply", 10, 3);
    {
        test::NetTestClient client(server().port());
        auto request = test::NetTestClient::make_request(boost::beast::http::verb::post,
                                                   "/api/v1/sales/lost-reply/purchase", "{}");
        request.set(boost::beast::http::field::authorization,
                    "Bearer " + api().token_for("alice"));
        request.set("Idempotency-Key", "lost-1");
        ASSERT_FALSE(client.send(std::move(request)));
        client.close();  // gone before the answer: the reply is lost
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const HttpResponse first = api().purchase("alice", "lost-reply", 1, "lost-1");
    const HttpResponse again = api().purchase("alice", "lost-reply", 1, "lost-1");
    ASSERT_TRUE(has_status(first, 202));
    ASSERT_TRUE(has_status(again, 202));
    EXPECT_EQ(first.string_field("order_id"), again.string_field("order_id"));
    EXPECT_EQ(int_at(api().stats("lost-reply"), {"sold"}), 1);
    EXPECT_TRUE(stop_and_verify());
    EXPECT_EQ(query(backend(), "SELECT count(*) FROM orders WHERE sale_id = 'lost-reply'"), "1");
}

}  // namespace
}  // namespace flashsale::testing
