// The waiting room over HTTP, against the real binary (waiting_room.mode = fifo): a sale with an
// admission rate hands out tickets in order; the purchase endpoint refuses a buyer without an
// admitted ticket (403 queue_required) and serves one whose turn came; the line closes at
// sell-out (409 sold_out to newcomers, "closed" to those in line). Plus the polling fallback:
// GET order answers 304 to an unchanged order.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "support/server_test.h"

namespace flashsale::testing {
namespace {

using std::chrono::milliseconds;

class WaitingRoomHttpTest : public ServerTest {
protected:
    void customize(ServerOptions& options) override {
        options.env.emplace_back("FLASHSALE_WAITING_ROOM", "fifo");
    }

    void create_queued_sale(const std::string& id, std::int64_t stock) {
        auto sale = open_sale(id, stock, 1).to_json();
        sale["rate_limit_per_s"] = 2;
        sale["rate_limit_burst"] = 1;
        ASSERT_TRUE(has_status(api().create_sale(sale), 201));
    }

    HttpResponse queue(const std::string& user, const std::string& sale,
                       const std::string& ticket = {}) {
        boost::json::object body;
        if (!ticket.empty()) body["ticket"] = ticket;
        return api().http().post("/api/v1/sales/" + sale + "/queue", boost::json::serialize(body),
                                 api().user_headers(user));
    }

    HttpResponse purchase_with(const std::string& user, const std::string& sale,
                               const std::string& ticket) {
        const auto body = boost::json::serialize(boost::json::object{{"queue_ticket", ticket}});
        return api().http().post("/api/v1/sales/" + sale + "/purchase", body,
                                 api().user_headers(user));
    }
};

TEST_F(WaitingRoomHttpTest, BuyersAreAdmittedInOrderAndWhoSkippedTheLineIsRefused) {
    create_queued_sale("queued", 10);
    EXPECT_EQ(api().get_sale("queued").json.as_object().at("waiting_room"), true);

    const auto first = queue("first", "queued");
    ASSERT_TRUE(has_status(first, 200));
    EXPECT_EQ(first.string_field("state"), "admitted");
    const auto second = queue("second", "queued");
    const auto third = queue("third", "queued");
    EXPECT_EQ(second.string_field("state"), "queued");
    EXPECT_EQ(third.string_field("state"), "queued");
    EXPECT_LT(second.int_field("position").value_or(0), third.int_field("position").value_or(0));

    EXPECT_TRUE(is_error(api().purchase("first", "queued"), 403, "queue_required"));
    EXPECT_TRUE(is_error(purchase_with("third", "queued", *third.string_field("ticket")), 403,
                         "queue_required"));
    EXPECT_TRUE(is_error(purchase_with("second", "queued", *third.string_field("ticket")), 403,
                         "queue_required"));  // someone else's ticket
    EXPECT_TRUE(has_status(purchase_with("first", "queued", *first.string_field("ticket")), 202));

    // Third's place falls until its turn comes (two a second), then it buys.
    const std::string ticket = *third.string_field("ticket");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::string state = "queued";
    while (state == "queued" && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(milliseconds(100));
        state = queue("third", "queued", ticket).string_field("state").value_or("");
    }
    EXPECT_EQ(state, "admitted");
    EXPECT_TRUE(has_status(purchase_with("third", "queued", ticket), 202));
    EXPECT_TRUE(stop_and_verify());
}

TEST_F(WaitingRoomHttpTest, LineClosesAtSellOut) {
    create_queued_sale("last", 1);
    const auto buyer = queue("buyer", "last");
    const auto waiting = queue("waiting", "last");
    ASSERT_TRUE(has_status(purchase_with("buyer", "last", *buyer.string_field("ticket")), 202));
    // The node learns of the sell-out from the engine's next answer about the sale.
    api().get_sale("last");
    EXPECT_TRUE(is_error(queue("newcomer", "last"), 409, "sold_out"));
    EXPECT_EQ(queue("waiting", "last", *waiting.string_field("ticket")).string_field("state"),
              "closed");
}

TEST_F(WaitingRoomHttpTest, ForgedTicketIsRefusedAndBadBodyIsAnError) {
    create_queued_sale("guarded", 5);
    EXPECT_TRUE(is_error(queue("alice", "guarded", "forged.ticket.value"), 403, "forbidden"));
    EXPECT_TRUE(is_error(api().http().post("/api/v1/sales/guarded/queue", "{\"ticket\": 5}",
                                           api().user_headers("alice")),
                         400, "bad_request"));
    EXPECT_TRUE(is_error(api().http().post("/api/v1/sales/guarded/queue", "{}"), 401,
                         "unauthorized"));
    EXPECT_TRUE(is_error(queue("alice", "no-such-sale"), 404, "not_found"));
}

class OrderPollingTest : public ServerTest {};

TEST_F(OrderPollingTest, UnchangedOrderCostsA304) {
    ASSERT_TRUE(has_status(api().create_sale(open_sale("polled", 5, 1)), 201));
    const auto bought = api().purchase("alice", "polled");
    ASSERT_TRUE(has_status(bought, 202));
    const std::string order = *bought.string_field("order_id");
    const auto first = api().get_order("alice", order);
    ASSERT_TRUE(has_status(first, 200));
    const std::string etag(first.headers["ETag"]);
    ASSERT_FALSE(etag.empty());

    Headers headers = api().user_headers("alice");
    headers.emplace_back("If-None-Match", etag);
    const auto unchanged = api().http().get("/api/v1/orders/" + order, headers);
    EXPECT_TRUE(has_status(unchanged, 304));
    EXPECT_TRUE(unchanged.body.empty());

    ASSERT_TRUE(has_status(api().pay("alice", order), 200));
    const auto changed = api().http().get("/api/v1/orders/" + order, headers);
    EXPECT_TRUE(has_status(changed, 200));
    EXPECT_EQ(changed.string_field("status"), "paid");
    EXPECT_NE(std::string(changed.headers["ETag"]), etag);
    // Another user's If-None-Match learns nothing: 404 as before.
    Headers other = api().user_headers("mallory");
    other.emplace_back("If-None-Match", etag);
    EXPECT_TRUE(is_error(api().http().get("/api/v1/orders/" + order, other), 404, "not_found"));
}

}  // namespace
}  // namespace flashsale::testing
