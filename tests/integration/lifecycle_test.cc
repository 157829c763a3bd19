// The order lifecycle end to end: reserved -> paid | cancelled | expired, the transitions the
// status machine forbids (409 invalid_transition), stock coming back exactly once (I5), orders
// private to their user, and statuses that survive a graceful restart.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>

#include "support/server_test.h"
#include "support/storm.h"

namespace flashsale::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

class LifecycleTest : public ServerTest {
protected:
    // Creates an open sale; fatal failure when the server refuses it.
    void create(const SaleSpec& spec) { ASSERT_TRUE(has_status(api().create_sale(spec), 201)); }

    // Buys one unit and returns the order id ("" after a failed expectation).
    std::string reserve(const std::string& user_id, const std::string& sale_id) {
        const HttpResponse bought = api().purchase(user_id, sale_id);
        EXPECT_TRUE(has_status(bought, 202));
        return bought.string_field("order_id").value_or("");
    }

    std::optional<std::int64_t> remaining(const std::string& sale_id) {
        return int_at(api().get_sale(sale_id), {"remaining"});
    }

    std::string status_of(const std::string& user_id, const std::string& order_id) {
        return api().get_order(user_id, order_id).string_field("status").value_or("(none)");
    }

    // Polls the order until it has `status` or `timeout` passes; returns the last status seen.
    std::string wait_for_status(const std::string& user_id, const std::string& order_id,
                                const std::string& status, milliseconds timeout) {
        const auto deadline = steady_clock::now() + timeout;
        std::string seen = status_of(user_id, order_id);
        while (seen != status && steady_clock::now() < deadline) {
            std::this_thread::sleep_for(milliseconds(100));
            seen = status_of(user_id, order_id);
        }
        return seen;
    }
};

// Every member the contract lists, with the right JSON type, in each kind of answer.
::testing::AssertionResult has_members(const HttpResponse& response,
                                       std::initializer_list<const char*> strings,
                                       std::initializer_list<const char*> integers) {
    for (const char* name : strings) {
        if (!response.string_field(name)) {
            return ::testing::AssertionFailure()
                   << "no string \"" << name << "\" in " << response.describe();
        }
    }
    for (const char* name : integers) {
        if (!response.int_field(name)) {
            return ::testing::AssertionFailure()
                   << "no integer \"" << name << "\" in " << response.describe();
        }
    }
    return ::testing::AssertionSuccess();
}

TEST_F(LifecycleTest, AnswersCarryTheDocumentedMembers) {
    SaleSpec spec = open_sale("shapes", 5, 1);
    spec.price_cents = 4250;
    spec.reservation_ttl_s = 90;
    create(spec);
    const HttpResponse sale = api().get_sale("shapes");
    EXPECT_TRUE(
        has_members(sale, {"id", "name", "status", "starts_at", "ends_at", "server_time"},
                    {"stock", "remaining", "per_user_limit", "price_cents", "reservation_ttl_s"}));
    EXPECT_EQ(sale.int_field("price_cents"), 4250) << sale.describe();
    EXPECT_EQ(sale.int_field("reservation_ttl_s"), 90) << sale.describe();
    EXPECT_EQ(sale.string_field("status"), "active") << sale.describe();

    // No body at all: the quantity defaults to 1.
    const HttpResponse bought = api().purchase("dora", "shapes", std::nullopt);
    ASSERT_TRUE(has_status(bought, 202));
    EXPECT_TRUE(has_members(bought, {"order_id", "sale_id", "status", "created_at", "expires_at"},
                            {"quantity"}));
    EXPECT_EQ(bought.int_field("quantity"), 1) << bought.describe();
    EXPECT_EQ(bought.string_field("sale_id"), "shapes") << bought.describe();

    const HttpResponse order =
        api().get_order("dora", bought.string_field("order_id").value_or(""));
    EXPECT_TRUE(has_members(
        order, {"id", "sale_id", "user_id", "status", "created_at", "expires_at", "updated_at"},
        {"quantity"}));
    EXPECT_EQ(order.string_field("expires_at"), bought.string_field("expires_at"));

    const HttpResponse stats = api().stats("shapes");
    EXPECT_TRUE(
        has_members(stats, {"sale_id"},
                    {"stock", "sold", "reserved", "paid", "cancelled", "expired", "remaining"}));
    for (const char* reason : {"sold_out", "limit_reached", "not_started", "ended"}) {
        EXPECT_TRUE(int_at(stats, {"refusals", reason}).has_value())
            << reason << " in " << stats.describe();
    }
    EXPECT_TRUE(stop_and_verify());
}

TEST_F(LifecycleTest, PayMakesTheOrderPaidAndKeepsTheStock) {
    create(open_sale("pay", 5, 1));
    const std::string order_id = reserve("alice", "pay");
    ASSERT_FALSE(order_id.empty());
    const HttpResponse paid = api().pay("alice", order_id);
    ASSERT_TRUE(has_status(paid, 200));
    EXPECT_EQ(paid.string_field("status"), "paid") << paid.describe();
    EXPECT_EQ(paid.string_field("id"), order_id) << paid.describe();
    EXPECT_EQ(status_of("alice", order_id), "paid");
    EXPECT_EQ(remaining("pay"), 4);
    EXPECT_TRUE(is_error(api().pay("alice", order_id), 409, "invalid_transition"));
    EXPECT_TRUE(is_error(api().cancel("alice", order_id), 409, "invalid_transition"));

    const HttpResponse stats = api().stats("pay");
    EXPECT_EQ(int_at(stats, {"paid"}), 1) << stats.describe();
    EXPECT_EQ(int_at(stats, {"reserved"}), 0) << stats.describe();
    EXPECT_EQ(int_at(stats, {"sold"}), 1) << stats.describe();
    EXPECT_TRUE(stop_and_verify());
}

TEST_F(LifecycleTest, CancelReturnsTheStockOnceAndForbidsPaying) {
    create(open_sale("cancel", 5, 1));
    const std::string order_id = reserve("bob", "cancel");
    ASSERT_FALSE(order_id.empty());
    EXPECT_EQ(remaining("cancel"), 4);
    const HttpResponse cancelled = api().cancel("bob", order_id);
    ASSERT_TRUE(has_status(cancelled, 200));
    EXPECT_EQ(cancelled.string_field("status"), "cancelled") << cancelled.describe();
    EXPECT_EQ(remaining("cancel"), 5);

    EXPECT_TRUE(is_error(api().pay("bob", order_id), 409, "invalid_transition"));
    EXPECT_TRUE(is_error(api().cancel("bob", order_id), 409, "invalid_transition"));
    EXPECT_EQ(remaining("cancel"), 5) << "a second cancel must not release twice";
    EXPECT_EQ(status_of("bob", order_id), "cancelled");

    // The cancelled unit no longer counts against bob's limit of 1.
    EXPECT_FALSE(reserve("bob", "cancel").empty());
    const HttpResponse stats = api().stats("cancel");
    EXPECT_EQ(int_at(stats, {"cancelled"}), 1) << stats.describe();
    EXPECT_EQ(int_at(stats, {"sold"}), 1) << stats.describe();
    EXPECT_EQ(int_at(stats, {"remaining"}), 4) << stats.describe();
    EXPECT_TRUE(stop_and_verify());
}

TEST_F(LifecycleTest, UnpaidReservationExpiresAndReturnsItsStockOnce) {
    SaleSpec spec = open_sale("expiry", 3, 1);
    spec.reservation_ttl_s = 1;
    create(spec);
    const auto reserved_at = steady_clock::now();
    const std::string order_id = reserve("carol", "expiry");
    ASSERT_FALSE(order_id.empty());
    EXPECT_EQ(remaining("expiry"), 2);

    // TTL 1 s, plus up to ~1 s for the expiry sweep, plus slack for a loaded machine.
    const auto budget = milliseconds(3000) -
                        std::chrono::duration_cast<milliseconds>(steady_clock::now() - reserved_at);
    EXPECT_EQ(wait_for_status("carol", order_id, "expired", budget), "expired");
    EXPECT_EQ(remaining("expiry"), 3);
    EXPECT_TRUE(is_error(api().pay("carol", order_id), 409, "invalid_transition"));

    // Later sweeps must not release the same reservation again.
    std::this_thread::sleep_for(milliseconds(1500));
    EXPECT_EQ(remaining("expiry"), 3);
    const HttpResponse stats = api().stats("expiry");
    EXPECT_EQ(int_at(stats, {"expired"}), 1) << stats.describe();
    EXPECT_EQ(int_at(stats, {"sold"}), 0) << stats.describe();
    EXPECT_TRUE(stop_and_verify());
}

TEST_F(LifecycleTest, ReleasedUnitSellsAgainExactlyOnce) {
    create(open_sale("last-unit", 1, 1));
    const std::string order_id = reserve("anna", "last-unit");
    ASSERT_FALSE(order_id.empty());
    EXPECT_TRUE(is_error(api().purchase("ben", "last-unit"), 409, "sold_out"));
    ASSERT_TRUE(has_status(api().cancel("anna", order_id), 200));

    // B and C race for the one released unit, several times each over their own connections.
    std::vector<Buyer> racers = make_buyers("racer", 2, server().options().jwt_secret, 3);
    StormOptions options;
    options.port = server().port();
    options.sale_id = "last-unit";
    const StormTally counted = tally(run_storm(options, racers));
    EXPECT_EQ(counted.accepted, 1u);
    EXPECT_EQ(counted.accepted + counted.sold_out + counted.limit_reached, 6u)
        << "unexpected answers; first: " << (counted.others.empty() ? "" : counted.others.front());
    EXPECT_EQ(remaining("last-unit"), 0);
    const HttpResponse stats = api().stats("last-unit");
    EXPECT_EQ(int_at(stats, {"sold"}), 1) << stats.describe();
    EXPECT_EQ(int_at(stats, {"cancelled"}), 1) << stats.describe();
    EXPECT_TRUE(stop_and_verify());
}

TEST_F(LifecycleTest, AnotherUsersOrderIsNotFound) {
    create(open_sale("private", 5, 1));
    const std::string order_id = reserve("owner", "private");
    ASSERT_FALSE(order_id.empty());
    EXPECT_TRUE(is_error(api().get_order("intruder", order_id), 404, "not_found"));
    EXPECT_TRUE(is_error(api().pay("intruder", order_id), 404, "not_found"));
    EXPECT_TRUE(is_error(api().cancel("intruder", order_id), 404, "not_found"));
    EXPECT_TRUE(is_error(api().get_order("owner", "no-such-order"), 404, "not_found"));
    // The intruder's attempts changed nothing.
    EXPECT_EQ(status_of("owner", order_id), "reserved");
    EXPECT_EQ(remaining("private"), 4);
    EXPECT_TRUE(stop_and_verify());
}

TEST_F(LifecycleTest, StatusesSurviveAGracefulRestart) {
    SaleSpec spec = open_sale("restart", 10, 1);
    spec.reservation_ttl_s = 1;
    create(spec);
    const std::string expired = reserve("u-expired", "restart");
    ASSERT_FALSE(expired.empty());
    ASSERT_EQ(wait_for_status("u-expired", expired, "expired", milliseconds(3000)), "expired");
    // A long TTL from here on: the remaining orders must not expire during the test.
    ASSERT_TRUE(has_status(api().patch_sale("restart", {{"reservation_ttl_s", 3600}}), 200));
    std::map<std::string, std::pair<std::string, std::string>> orders;  // user -> order, status
    orders["u-expired"] = {expired, "expired"};
    for (const char* user : {"u-paid", "u-cancelled", "u-reserved"}) {
        orders[user] = {reserve(user, "restart"), "reserved"};
        ASSERT_FALSE(orders[user].first.empty());
    }
    ASSERT_TRUE(has_status(api().pay("u-paid", orders["u-paid"].first), 200));
    orders["u-paid"].second = "paid";
    ASSERT_TRUE(has_status(api().cancel("u-cancelled", orders["u-cancelled"].first), 200));
    orders["u-cancelled"].second = "cancelled";
    const HttpResponse stats_before = api().stats("restart");

    ASSERT_TRUE(stop_and_verify());
    ASSERT_TRUE(server().restart());
    for (const auto& [user, order] : orders) {
        const HttpResponse found = api().get_order(user, order.first);
        ASSERT_TRUE(has_status(found, 200)) << user << "'s order after restart";
        EXPECT_EQ(found.string_field("status"), order.second) << user << ": " << found.describe();
    }
    const HttpResponse stats_after = api().stats("restart");
    for (const char* field : {"sold", "reserved", "paid", "cancelled", "expired", "remaining"}) {
        EXPECT_EQ(int_at(stats_after, {field}), int_at(stats_before, {field}))
            << field << "\nbefore: " << stats_before.describe()
            << "\nafter: " << stats_after.describe();
    }
    EXPECT_EQ(int_at(stats_after, {"remaining"}), 8) << stats_after.describe();
    EXPECT_TRUE(stop_and_verify());
}

}  // namespace
}  // namespace flashsale::testing
