// The storm test: K concurrent buyers (distinct users, one connection each, two attempts each)
// against S units. Exactly S units are sold, nobody above the per-user limit, no order id twice,
// every accepted order readable by its buyer, and the data dir passes `flashsale verify`.
#include "support/storm.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "support/server_test.h"

namespace flashsale::testing {
namespace {

constexpr std::int64_t kStock = 100;
constexpr std::size_t kBuyers = 2000;

class StormTest : public ServerTest {
protected:
    // Creates an upcoming sale and opens it with /start, so the storm also exercises /start.
    void open_sale_for_storm(const std::string& sale_id, std::int64_t per_user_limit) {
        const HttpResponse created =
            api().create_sale(upcoming_sale(sale_id, kStock, per_user_limit));
        ASSERT_TRUE(has_status(created, 201));
        const HttpResponse started = api().start_sale(sale_id);
        ASSERT_TRUE(has_status(started, 200));
        EXPECT_EQ(started.string_field("status"), "active") << started.describe();
    }

    void run_case(const std::string& sale_id, std::int64_t per_user_limit);
    void check_answers(const std::vector<Buyer>& buyers, const std::vector<Answer>& answers,
                       std::int64_t per_user_limit);
    void check_counts(const std::string& sale_id, const StormTally& counted);
};

void StormTest::check_answers(const std::vector<Buyer>& buyers, const std::vector<Answer>& answers,
                              std::int64_t per_user_limit) {
    std::map<std::string, std::int64_t> units_by_user;
    std::set<std::string> order_ids;
    for (const Answer& answer : answers) {
        if (answer.response.status != 202) continue;
        const Buyer& buyer = buyers[answer.buyer];
        const auto order_id = answer.response.string_field("order_id");
        ASSERT_TRUE(order_id.has_value()) << answer.response.describe();
        EXPECT_TRUE(order_ids.insert(*order_id).second) << "order id twice: " << *order_id;
        EXPECT_EQ(answer.response.string_field("status"), "reserved") << answer.response.describe();
        EXPECT_EQ(answer.response.int_field("quantity"), 1) << answer.response.describe();
        units_by_user[buyer.user_id] += answer.response.int_field("quantity").value_or(0);

        const HttpResponse order = api().get_order(buyer.user_id, *order_id);
        ASSERT_TRUE(has_status(order, 200)) << "order " << *order_id << " of " << buyer.user_id;
        EXPECT_EQ(order.string_field("user_id"), buyer.user_id) << order.describe();
        EXPECT_EQ(order.string_field("status"), "reserved") << order.describe();
        EXPECT_EQ(order.int_field("quantity"), 1) << order.describe();
    }
    for (const auto& [user, units] : units_by_user) {
        EXPECT_LE(units, per_user_limit) << user << " got more than the per-user limit";
    }
}

void StormTest::check_counts(const std::string& sale_id, const StormTally& counted) {
    const HttpResponse stats = api().stats(sale_id);
    ASSERT_TRUE(has_status(stats, 200));
    EXPECT_EQ(int_at(stats, {"sold"}), kStock) << stats.describe();
    EXPECT_EQ(int_at(stats, {"reserved"}), kStock) << stats.describe();
    EXPECT_EQ(int_at(stats, {"remaining"}), 0) << stats.describe();
    EXPECT_EQ(int_at(stats, {"stock"}), kStock) << stats.describe();
    // Every refusal is counted by reason (quantity is 1, so requests and units agree).
    EXPECT_EQ(int_at(stats, {"refusals", "sold_out"}), static_cast<std::int64_t>(counted.sold_out))
        << stats.describe();
    EXPECT_EQ(int_at(stats, {"refusals", "limit_reached"}),
              static_cast<std::int64_t>(counted.limit_reached))
        << stats.describe();

    const HttpResponse sale = api().get_sale(sale_id);
    ASSERT_TRUE(has_status(sale, 200));
    EXPECT_EQ(int_at(sale, {"remaining"}), 0) << sale.describe();
    EXPECT_EQ(sale.string_field("status"), "sold_out") << sale.describe();
}

void StormTest::run_case(const std::string& sale_id, std::int64_t per_user_limit) {
    ASSERT_NO_FATAL_FAILURE(open_sale_for_storm(sale_id, per_user_limit));
    const std::vector<Buyer> buyers =
        make_buyers("buyer", kBuyers, server().options().jwt_secret, /*attempts=*/2);
    StormOptions options;
    options.port = server().port();
    options.sale_id = sale_id;
    const std::vector<Answer> answers = run_storm(options, buyers);

    const StormTally counted = tally(answers);
    ASSERT_EQ(answers.size(), 2 * kBuyers);
    EXPECT_EQ(counted.no_answer, 0u) << "first: " << counted.first_transport_error;
    EXPECT_TRUE(counted.others.empty())
        << counted.others.size() << " answers other than 202 / 409 sold_out / 409 "
        << "limit_reached; first: " << counted.others.front();
    EXPECT_EQ(counted.accepted_units, kStock);
    EXPECT_EQ(counted.accepted, static_cast<std::size_t>(kStock));
    ASSERT_NO_FATAL_FAILURE(check_answers(buyers, answers, per_user_limit));
    ASSERT_NO_FATAL_FAILURE(check_counts(sale_id, counted));

    const HttpResponse metrics = api().http().get("/metrics");
    ASSERT_TRUE(has_status(metrics, 200));
    EXPECT_NE(metrics.body.find("flashsale_http_requests_total"), std::string::npos);
    EXPECT_NE(metrics.body.find("flashsale_purchases_total"), std::string::npos);

    ASSERT_TRUE(server().stop_gracefully());
    EXPECT_TRUE(verify_is_clean(data_dir()));
    EXPECT_TRUE(verify_is_clean(data_dir(), sale_id));
}

TEST_F(StormTest, LimitOneSellsExactlyTheStock) { run_case("storm-limit-1", 1); }

TEST_F(StormTest, LimitTwoSellsExactlyTheStock) { run_case("storm-limit-2", 2); }

}  // namespace
}  // namespace flashsale::testing
