// The Prometheus text rendering of counters, status counters and histograms.
#include <gtest/gtest.h>

#include "common/metrics.h"

namespace flashsale {
namespace {

TEST(Metrics, RendersCountersWithHelpAndTypeOncePerName) {
    MetricsRegistry registry;
    registry.counter("fs_purchases_total", "Purchases", "outcome=\"accepted\"").inc(3);
    registry.counter("fs_purchases_total", "Purchases", "outcome=\"sold_out\"").inc();
    auto text = registry.render();
    EXPECT_NE(text.find("# TYPE fs_purchases_total counter\n"), std::string::npos);
    EXPECT_EQ(text.find("# HELP fs_purchases_total"), text.rfind("# HELP fs_purchases_total"));
    EXPECT_NE(text.find("fs_purchases_total{outcome=\"accepted\"} 3\n"), std::string::npos);
    EXPECT_NE(text.find("fs_purchases_total{outcome=\"sold_out\"} 1\n"), std::string::npos);
}

TEST(Metrics, StatusCountersShowOnlySeenStatuses) {
    MetricsRegistry registry;
    auto& statuses = registry.status_counters("fs_requests_total", "Requests", "route=\"/x\"");
    statuses.inc(202);
    statuses.inc(202);
    statuses.inc(409);
    auto text = registry.render();
    EXPECT_NE(text.find("fs_requests_total{route=\"/x\",status=\"202\"} 2\n"), std::string::npos);
    EXPECT_NE(text.find("fs_requests_total{route=\"/x\",status=\"409\"} 1\n"), std::string::npos);
    EXPECT_EQ(text.find("status=\"200\""), std::string::npos);
}

TEST(Metrics, HistogramBucketsAreCumulative) {
    MetricsRegistry registry;
    auto& histogram = registry.histogram("fs_latency_seconds", "Latency", {0.1, 1.0});
    histogram.observe(0.05);
    histogram.observe(0.5);
    histogram.observe(5);
    auto text = registry.render();
    EXPECT_NE(text.find("fs_latency_seconds_bucket{le=\"0.1\"} 1\n"), std::string::npos);
    EXPECT_NE(text.find("fs_latency_seconds_bucket{le=\"1\"} 2\n"), std::string::npos);
    EXPECT_NE(text.find("fs_latency_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
    EXPECT_NE(text.find("fs_latency_seconds_count 3\n"), std::string::npos);
    EXPECT_NE(text.find("fs_latency_seconds_sum 5.55\n"), std::string::npos);
}

}  // namespace
}  // namespace flashsale
