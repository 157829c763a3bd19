// The shop's admin API against the real server: listing, generated ids, stock and window
// changes, and the changes it must refuse because they contradict what is already sold.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>

#include "support/server_test.h"

namespace flashsale::testing {
namespace {

class AdminTest : public ServerTest {};

TEST_F(AdminTest, CreateWithoutIdGetsOneAndListShowsEverySale) {
    SaleSpec spec = open_sale("", 5, 1);
    const HttpResponse created = api().create_sale(spec);
    ASSERT_TRUE(has_status(created, 201));
    const auto id = created.string_field("id");
    ASSERT_TRUE(id.has_value() && !id->empty()) << created.describe();
    ASSERT_TRUE(has_status(api().create_sale(open_sale("named", 5, 1)), 201));

    const HttpResponse listed = api().http().get("/api/v1/admin/sales", api().admin_headers());
    ASSERT_TRUE(has_status(listed, 200));
    const auto sales = boost::json::parse(listed.body).at("sales").as_array();
    ASSERT_EQ(sales.size(), 2u) << listed.describe();
    std::set<std::string> ids;
    for (const auto& sale : sales) ids.insert(std::string(sale.at("id").as_string()));
    EXPECT_EQ(ids, (std::set<std::string>{*id, "named"}));
    EXPECT_TRUE(is_error(api().http().get("/api/v1/admin/sales"), 401, "unauthorized"));
}

TEST_F(AdminTest, MoreStockAfterSellOutSellsExactlyTheNewUnits) {
    ASSERT_TRUE(has_status(api().create_sale(open_sale("restock", 1, 1)), 201));
    ASSERT_TRUE(has_status(api().purchase("a", "restock"), 202));
    EXPECT_TRUE(is_error(api().purchase("b", "restock"), 409, "sold_out"));

    const HttpResponse patched = api().patch_sale("restock", {{"stock", 2}});
    ASSERT_TRUE(has_status(patched, 200));
    EXPECT_EQ(int_at(patched, {"remaining"}), 1) << patched.describe();
    EXPECT_TRUE(has_status(api().purchase("b", "restock"), 202));
    EXPECT_TRUE(is_error(api().purchase("c", "restock"), 409, "sold_out"));
    EXPECT_TRUE(stop_and_verify());
}

TEST_F(AdminTest, RefusesChangesThatContradictWhatIsSold) {
    ASSERT_TRUE(has_status(api().create_sale(open_sale("held", 10, 3)), 201));
    ASSERT_TRUE(has_status(api().purchase("a", "held", 3), 202));
    EXPECT_TRUE(is_error(api().patch_sale("held", {{"stock", 2}}), 409, "conflict"));
    EXPECT_TRUE(is_error(api().patch_sale("held", {{"per_user_limit", 2}}), 409, "conflict"));
    EXPECT_TRUE(is_error(api().patch_sale("held", {{"starts_at", rfc3339(seconds_from_now(60))}}),
                         409, "conflict"));
    EXPECT_TRUE(is_error(api().patch_sale("held", {{"id", "other"}}), 400, "bad_request"));
    EXPECT_TRUE(is_error(api().patch_sale("nope", {{"stock", 2}}), 404, "not_found"));

    const HttpResponse stats = api().stats("held");
    EXPECT_EQ(int_at(stats, {"stock"}), 10) << stats.describe();
    EXPECT_EQ(int_at(stats, {"sold"}), 3) << stats.describe();
    EXPECT_TRUE(stop_and_verify());
}

TEST_F(AdminTest, StartOpensAnUpcomingSaleAndStopEndsIt) {
    ASSERT_TRUE(has_status(api().create_sale(upcoming_sale("window", 5, 1)), 201));
    EXPECT_TRUE(is_error(api().purchase("a", "window"), 425, "not_started"));

    const HttpResponse started = api().start_sale("window");
    ASSERT_TRUE(has_status(started, 200));
    EXPECT_EQ(started.string_field("status"), "active") << started.describe();
    EXPECT_TRUE(has_status(api().purchase("a", "window"), 202));

    const HttpResponse stopped = api().stop_sale("window");
    ASSERT_TRUE(has_status(stopped, 200));
    EXPECT_EQ(stopped.string_field("status"), "ended") << stopped.describe();
    EXPECT_TRUE(is_error(api().purchase("b", "window"), 410, "ended"));
    EXPECT_TRUE(is_error(api().start_sale("window"), 409, "conflict"));

    // Stopping a sale that never opened leaves it ended, not upcoming.
    ASSERT_TRUE(has_status(api().create_sale(upcoming_sale("never", 5, 1)), 201));
    const HttpResponse never = api().stop_sale("never");
    ASSERT_TRUE(has_status(never, 200));
    EXPECT_EQ(never.string_field("status"), "ended") << never.describe();
    EXPECT_TRUE(stop_and_verify());
}

// "Any value from 1 s up": a ten-year reservation is stored, answered and survives a restart.
TEST_F(AdminTest, ReservationTtlTakesLongValues) {
    SaleSpec spec = open_sale("long-ttl", 5, 1);
    spec.reservation_ttl_s = 10LL * 365 * 24 * 3600;
    ASSERT_TRUE(has_status(api().create_sale(spec), 201));
    const HttpResponse order = api().purchase("a", "long-ttl");
    ASSERT_TRUE(has_status(order, 202));
    const auto expires_at = order.string_field("expires_at");
    ASSERT_TRUE(expires_at.has_value()) << order.describe();
    EXPECT_EQ(expires_at->substr(0, 4), rfc3339(seconds_from_now(spec.reservation_ttl_s)).substr(0, 4))
        << order.describe();
    ASSERT_TRUE(server().stop_gracefully());
    ASSERT_TRUE(server().restart());
    EXPECT_EQ(int_at(api().stats("long-ttl"), {"reserved"}), 1);
    EXPECT_TRUE(stop_and_verify());
}

TEST_F(AdminTest, ReadinessAndJournalMetrics) {
    EXPECT_TRUE(has_status(api().http().get("/readyz"), 200));
    ASSERT_TRUE(has_status(api().create_sale(open_sale("m", 5, 1)), 201));
    ASSERT_TRUE(has_status(api().purchase("a", "m"), 202));
    const HttpResponse metrics = api().http().get("/metrics");
    ASSERT_TRUE(has_status(metrics, 200));
    std::vector<std::string> names{"flashsale_http_request_duration_seconds_count",
                                   "flashsale_purchases_total{outcome=\"accepted\"} 1"};
    if (backend().kind() == BackendKind::kRedis) {  // the order pipeline's
        names.insert(names.end(), {"flashsale_pipeline_lag_entries",
                                   "flashsale_pipeline_applied_total",
                                   "flashsale_pipeline_dead_letters_total 0",
                                   "flashsale_reconcile_drift_orders 0"});
    } else if (backend().kind() == BackendKind::kEmbedded) {  // the group-commit journal's
        names.insert(names.end(), {"flashsale_journal_batch_size_count",
                                   "flashsale_journal_commits_total",
                                   "flashsale_journal_commit_seconds_bucket"});
    }
    for (const auto& name : names) EXPECT_NE(metrics.body.find(name), std::string::npos) << name;
}

}  // namespace
}  // namespace flashsale::testing
