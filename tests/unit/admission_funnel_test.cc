// The funnel's gates in their order: window on the engine's clock (a node ahead does not open
// early), sold-out flag, blacklist, rate limits, shedding, purchase token; and the counting of
// refusals by reason.
#include <gtest/gtest.h>

#include "admission/funnel.h"

namespace flashsale::admission {
namespace {

using namespace std::chrono_literals;

const TimePoint kEngineNow = from_unix_ms(1'800'000'000'000);

class FunnelTest : public ::testing::Test {
protected:
    FunnelOptions options() {
        FunnelOptions options;
        options.token_key = "funnel-key-0123456789abcdef";
        return options;
    }

    SaleFacts open_facts() {
        return {.starts_at = kEngineNow - 60s,
                .ends_at = kEngineNow + 3600s,
                .remaining = 10,
                .engine_now = kEngineNow};
    }

    RequestView request(Funnel& funnel, std::string_view user = "alice",
                        std::string_view ip = "10.0.0.1") {
        return {.action = Action::kPurchase,
                .sale_id = sale_id_,
                .user_id = user,
                .client_ip = ip,
                .local_now = kEngineNow,
                .monotonic_us = funnel.monotonic_us()};
    }

    MetricsRegistry metrics_;
    std::string sale_id_ = "phone";
};

TEST_F(FunnelTest, UnknownSaleIsLeftToTheEngine) {
    Funnel funnel(options(), metrics_);
    auto view = request(funnel);
    EXPECT_TRUE(funnel.check(view).admitted);
}

// The node's clock runs 5 s ahead of the engine's: the sale opens in 3 s of engine time, so
// the node must refuse although its own clock says the window opened 2 s ago.
TEST_F(FunnelTest, NodeClockAheadDoesNotOpenEarly) {
    Funnel funnel(options(), metrics_);
    auto facts = open_facts();
    facts.starts_at = kEngineNow + 3s;
    const TimePoint node_now = kEngineNow + 5s;
    funnel.directory().learn(sale_id_, facts, node_now);
    auto view = request(funnel);
    view.local_now = node_now;
    auto verdict = funnel.check(view);
    ASSERT_FALSE(verdict.admitted);
    EXPECT_EQ(verdict.reason, Reason::kNotStarted);
    EXPECT_EQ(view.engine_now, kEngineNow);
    view.local_now = node_now + 3s;  // engine time reaches starts_at
    EXPECT_TRUE(funnel.check(view).admitted);
}

TEST_F(FunnelTest, WindowEndedAndPaused) {
    Funnel funnel(options(), metrics_);
    auto facts = open_facts();
    facts.paused = true;
    funnel.directory().learn(sale_id_, facts, kEngineNow);
    auto view = request(funnel);
    EXPECT_EQ(funnel.check(view).reason, Reason::kPaused);
    facts.ends_at = kEngineNow;
    funnel.directory().learn(sale_id_, facts, kEngineNow);
    EXPECT_EQ(funnel.check(view).reason, Reason::kEnded);
}

TEST_F(FunnelTest, SoldOutFlagIsLearnedAndForgotten) {
    Funnel funnel(options(), metrics_);
    funnel.directory().learn(sale_id_, open_facts(), kEngineNow);
    auto view = request(funnel);
    EXPECT_TRUE(funnel.check(view).admitted);
    funnel.directory().learn_sold_out(sale_id_);
    EXPECT_EQ(funnel.check(view).reason, Reason::kSoldOut);
    funnel.directory().learn_stock_returned(sale_id_);
    EXPECT_TRUE(funnel.check(view).admitted);
    auto facts = open_facts();
    facts.remaining = 0;
    funnel.directory().learn(sale_id_, facts, kEngineNow);
    EXPECT_EQ(funnel.check(view).reason, Reason::kSoldOut);
    EXPECT_EQ(funnel.refusals(Reason::kSoldOut), 2u);
    EXPECT_EQ(funnel.directory().find(sale_id_)->refusals().value(Reason::kSoldOut), 2u);
}

TEST_F(FunnelTest, BlacklistByUserAndAddressWithExpiry) {
    Funnel funnel(options(), metrics_);
    funnel.blacklist().add({.kind = ListKind::kUser, .value = "mallory"}, kEngineNow);
    funnel.blacklist().add({.kind = ListKind::kIp, .value = "10.6.6.6",
                            .expires_at = kEngineNow + 10s}, kEngineNow);
    auto bad_user = request(funnel, "mallory");
    EXPECT_EQ(funnel.check(bad_user).reason, Reason::kBlockedUser);
    auto bad_ip = request(funnel, "alice", "10.6.6.6");
    EXPECT_EQ(funnel.check(bad_ip).reason, Reason::kBlockedIp);
    bad_ip.local_now = kEngineNow + 10s;
    EXPECT_TRUE(funnel.check(bad_ip).admitted);
    EXPECT_EQ(funnel.blacklist().list(kEngineNow).size(), 2u);
    EXPECT_TRUE(funnel.blacklist().remove(ListKind::kUser, "mallory"));
    EXPECT_TRUE(funnel.check(bad_user).admitted);
    EXPECT_FALSE(funnel.blacklist().remove(ListKind::kUser, "mallory"));
}

TEST_F(FunnelTest, ClientPastItsRateIsRefusedOthersAreNot) {
    auto opts = options();
    opts.rates.user = RateLimit::per_second(1, 3);
    Funnel funnel(opts, metrics_);
    for (int i = 0; i < 3; ++i) {
        auto view = request(funnel, "greedy");
        EXPECT_TRUE(funnel.check(view).admitted);
    }
    auto view = request(funnel, "greedy");
    auto verdict = funnel.check(view);
    ASSERT_FALSE(verdict.admitted);
    EXPECT_EQ(verdict.reason, Reason::kRateUser);
    EXPECT_GE(verdict.retry_after_s, 1);
    EXPECT_EQ(errc_of(verdict.reason), Errc::kRateLimited);
    auto other = request(funnel, "polite");
    EXPECT_TRUE(funnel.check(other).admitted);
}

TEST_F(FunnelTest, SaleAndGlobalLimits) {
    auto opts = options();
    opts.rates.global = RateLimit::per_second(1, 4);
    Funnel funnel(opts, metrics_);
    auto facts = open_facts();
    facts.rate_limit_per_s = 1;
    facts.rate_limit_burst = 2;
    funnel.directory().learn(sale_id_, facts, kEngineNow);
    auto a = request(funnel, "a"), b = request(funnel, "b"), c = request(funnel, "c");
    EXPECT_TRUE(funnel.check(a).admitted);
    EXPECT_TRUE(funnel.check(b).admitted);
    EXPECT_EQ(funnel.check(c).reason, Reason::kRateSale);
    sale_id_ = "other";
    auto d = request(funnel, "d"), e = request(funnel, "e"), f = request(funnel, "f");
    EXPECT_TRUE(funnel.check(d).admitted);
    EXPECT_TRUE(funnel.check(e).admitted);
    EXPECT_EQ(funnel.check(f).reason, Reason::kRateGlobal);
}

TEST_F(FunnelTest, AutomaticBlacklistAfterRepeatedStrikes) {
    auto opts = options();
    opts.rates.ip = RateLimit::per_second(1, 1);
    opts.rates.auto_block_strikes = 3;
    Funnel funnel(opts, metrics_);
    for (int i = 0; i < 10; ++i) {
        auto view = request(funnel, "u", "10.9.9.9");
        funnel.check(view);
    }
    auto view = request(funnel, "u", "10.9.9.9");
    EXPECT_EQ(funnel.check(view).reason, Reason::kBlockedIp);
    const auto listed = funnel.blacklist().list(kEngineNow);
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_TRUE(listed[0].automatic);
}

TEST_F(FunnelTest, SheddingRefusesAShareAboveTheBound) {
    auto opts = options();
    opts.shed_inflight_max = 2;
    opts.shed_percent = 50;
    Funnel funnel(opts, metrics_);
    auto one = funnel.shedding().enter();
    auto view = request(funnel);
    EXPECT_TRUE(funnel.check(view).admitted);  // below the bound
    auto two = funnel.shedding().enter();
    int refused = 0;
    for (int i = 0; i < 1000; ++i) {
        const std::string user = "u" + std::to_string(i);
        auto attempt = request(funnel, user);
        refused += !funnel.check(attempt).admitted;
    }
    EXPECT_GT(refused, 300);
    EXPECT_LT(refused, 700);
    EXPECT_EQ(funnel.shedding().in_flight(), 2);
}

TEST_F(FunnelTest, RequireTokenNeedsAValidTokenOfThisUserAndSale) {
    Funnel funnel(options(), metrics_);
    auto facts = open_facts();
    facts.require_token = true;
    funnel.directory().learn(sale_id_, facts, kEngineNow);
    auto view = request(funnel);
    EXPECT_EQ(funnel.check(view).reason, Reason::kTokenMissing);
    const auto token = funnel.tokens().issue(sale_id_, "alice", kEngineNow).token;
    view.purchase_token = token;
    EXPECT_TRUE(funnel.check(view).admitted);
    auto bob = request(funnel, "bob");
    bob.purchase_token = token;
    EXPECT_EQ(funnel.check(bob).reason, Reason::kTokenWrongUser);
    auto forged = request(funnel);
    forged.purchase_token = "abc.def.ghi";
    EXPECT_EQ(funnel.check(forged).reason, Reason::kTokenInvalid);
    EXPECT_NE(metrics_.render().find(
                  R"(flashsale_admission_refusals_total{gate="token",reason="token_wrong_user"} 1)"),
              std::string::npos);
}

}  // namespace
}  // namespace flashsale::admission
