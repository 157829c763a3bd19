// The crash test: kill -9 (or SIGTERM) the server in the middle of a storm. Every 202 that
// reached a buyer must survive as an order (I3), the data dir must verify clean right after the
// stop and after restart, and the restarted server keeps selling up to the stock, not one more.
#include <gtest/gtest.h>

#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "support/server_test.h"
#include "support/storm.h"

namespace flashsale::testing {
namespace {

constexpr std::int64_t kStock = 1000;
constexpr std::size_t kBuyers = 3000;
constexpr std::size_t kAcceptedBeforeCrash = 50;
const std::string kSaleId = "crash-sale";

enum class Interrupt { kKill9, kSigterm };

struct Recorded {
    std::string user_id;
    std::string order_id;
};

class CrashTest : public ServerTest {
protected:
    // Storms the sale and stops the server `how` once kAcceptedBeforeCrash 202s have arrived.
    std::vector<Recorded> storm_and_interrupt(Interrupt how);
    void check_recorded_orders(const std::vector<Recorded>& recorded);
    // Sells what is left to new buyers; returns the units they got.
    std::int64_t sell_the_rest(std::int64_t remaining);
    // The whole scenario: create, storm, interrupt, check, restart, check, sell out.
    void run_scenario(Interrupt how);

    ExitStatus stop_status_;  // of the SIGTERM variant
};

std::vector<Recorded> CrashTest::storm_and_interrupt(Interrupt how) {
    const std::vector<Buyer> buyers = make_buyers("before", kBuyers, server().options().jwt_secret);
    std::vector<Recorded> recorded;
    StormOptions options;
    options.port = server().port();
    options.sale_id = kSaleId;
    // All at once, a fast server could sell out before the client has read 50 answers; spread
    // over 2 s, the kill lands while most buyers have not been served yet.
    options.spread = std::chrono::seconds(2);
    options.on_answer = [&](const Answer& answer) {
        if (answer.response.status != 202) return;
        recorded.push_back(
            {buyers[answer.buyer].user_id, answer.response.string_field("order_id").value_or("")});
        if (recorded.size() != kAcceptedBeforeCrash) return;
        // Blocks the storm's thread: no new request leaves while the server goes down.
        if (how == Interrupt::kKill9) server().kill9();
        if (how == Interrupt::kSigterm) stop_status_ = server().stop();
    };
    const std::vector<Answer> answers = run_storm(options, buyers);
    const StormTally counted = tally(answers);
    std::cout << "[ crash    ] 202 before the stop: " << counted.accepted
              << ", no answer: " << counted.no_answer << "\n";
    EXPECT_GE(recorded.size(), kAcceptedBeforeCrash) << "the storm ended before the stop";
    EXPECT_TRUE(counted.others.empty()) << "unexpected answer: " << counted.others.front();
    return recorded;
}

void CrashTest::check_recorded_orders(const std::vector<Recorded>& recorded) {
    for (const Recorded& r : recorded) {
        ASSERT_FALSE(r.order_id.empty()) << "a 202 without an order_id for " << r.user_id;
        const HttpResponse order = api().get_order(r.user_id, r.order_id);
        ASSERT_TRUE(has_status(order, 200)) << "order " << r.order_id << " lost in the crash";
        EXPECT_EQ(order.string_field("status"), "reserved") << order.describe();
        EXPECT_EQ(order.string_field("sale_id"), kSaleId) << order.describe();
        EXPECT_EQ(order.string_field("user_id"), r.user_id) << order.describe();
    }
}

std::int64_t CrashTest::sell_the_rest(std::int64_t remaining) {
    // More buyers than units, so the end of the stock is contended too.
    const auto count = static_cast<std::size_t>(remaining) + 300;
    const std::vector<Buyer> buyers = make_buyers("after", count, server().options().jwt_secret);
    StormOptions options;
    options.port = server().port();
    options.sale_id = kSaleId;
    const StormTally counted = tally(run_storm(options, buyers));
    EXPECT_EQ(counted.no_answer, 0u) << "first: " << counted.first_transport_error;
    EXPECT_TRUE(counted.others.empty()) << "unexpected answer: " << counted.others.front();
    EXPECT_EQ(counted.sold_out, 300u);
    return counted.accepted_units;
}

void CrashTest::run_scenario(Interrupt how) {
    SaleSpec spec = open_sale(kSaleId, kStock, 1);
    spec.reservation_ttl_s = 3600;  // nothing may expire while the test runs
    ASSERT_TRUE(has_status(api().create_sale(spec), 201));

    const std::vector<Recorded> recorded = storm_and_interrupt(how);
    ASSERT_FALSE(server().running()) << "the server was never stopped";
    if (how == Interrupt::kSigterm) {
        EXPECT_TRUE(stop_status_.clean())
            << "SIGTERM mid-storm: " << stop_status_.describe() << "\n"
            << server().log_tail();
    }
    // The data as the stop left it, before a restart could repair anything.
    EXPECT_TRUE(verify_is_clean(data_dir()));

    ASSERT_TRUE(server().restart());
    ASSERT_NO_FATAL_FAILURE(check_recorded_orders(recorded));
    const HttpResponse stats = api().stats(kSaleId);
    ASSERT_TRUE(has_status(stats, 200));
    const std::int64_t sold = int_at(stats, {"sold"}).value_or(-1);
    ASSERT_GE(sold, 0) << stats.describe();
    EXPECT_LE(sold, kStock) << stats.describe();
    EXPECT_GE(sold, static_cast<std::int64_t>(recorded.size())) << stats.describe();
    EXPECT_EQ(int_at(stats, {"remaining"}), kStock - sold) << stats.describe();
    std::cout << "[ crash    ] sold after restart: " << sold << " of " << kStock << "\n";

    EXPECT_EQ(sell_the_rest(kStock - sold), kStock - sold);
    const HttpResponse final_stats = api().stats(kSaleId);
    EXPECT_EQ(int_at(final_stats, {"sold"}), kStock) << final_stats.describe();
    EXPECT_EQ(int_at(final_stats, {"remaining"}), 0) << final_stats.describe();
    EXPECT_TRUE(stop_and_verify());
}

TEST_F(CrashTest, AcceptedOrdersSurviveKill9AndStockIsNeverExceeded) {
    run_scenario(Interrupt::kKill9);
}

// SIGTERM drains and commits: the same guarantees, and exit code 0 although buyers are mid-way.
TEST_F(CrashTest, AcceptedOrdersSurviveSigtermMidStorm) { run_scenario(Interrupt::kSigterm); }

}  // namespace
}  // namespace flashsale::testing
