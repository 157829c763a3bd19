#include "common/metrics.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

namespace flashsale {

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(upper_bounds_.size() + 1)) {
    std::sort(upper_bounds_.begin(), upper_bounds_.end());
}

void Histogram::observe(double value) {
    auto bound = std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value);
    buckets_[static_cast<std::size_t>(bound - upper_bounds_.begin())].fetch_add(
        1, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
    sum_micros_.fetch_add(std::llround(value * 1e6), std::memory_order_relaxed);
}

std::uint64_t Histogram::bucket_count(std::size_t index) const {
    return buckets_[index].load(std::memory_order_relaxed);
}

double Histogram::sum() const {
    return static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6;
}

Counter& MetricsRegistry::counter(const std::string& name, const std::string& help,
                                  const std::string& labels) {
    std::lock_guard lock(mutex_);
    auto& counter = counters_.emplace_back();
    entries_.push_back({name, help, labels, Kind::kCounter, &counter});
    return counter;
}

Gauge& MetricsRegistry::gauge(const std::string& name, const std::string& help,
                              const std::string& labels) {
    std::lock_guard lock(mutex_);
    auto& gauge = gauges_.emplace_back();
    entries_.push_back({name, help, labels, Kind::kGauge, nullptr, &gauge});
    return gauge;
}

Histogram& MetricsRegistry::histogram(const std::string& name, const std::string& help,
                                      std::vector<double> upper_bounds,
                                      const std::string& labels) {
    std::lock_guard lock(mutex_);
    auto& histogram = histograms_.emplace_back(std::move(upper_bounds));
    entries_.push_back({name, help, labels, Kind::kHistogram, nullptr, nullptr, &histogram});
    return histogram;
}

StatusCounters& MetricsRegistry::status_counters(const std::string& name, const std::string& help,
                                                 const std::string& labels) {
    std::lock_guard lock(mutex_);
    auto& statuses = status_counters_.emplace_back();
    entries_.push_back(
        {name, help, labels, Kind::kStatusCounters, nullptr, nullptr, nullptr, &statuses});
    return statuses;
}

namespace {

std::string join_labels(const std::string& labels, const std::string& extra) {
    if (labels.empty() && extra.empty()) return {};
    if (labels.empty()) return "{" + extra + "}";
    if (extra.empty()) return "{" + labels + "}";
    return "{" + labels + "," + extra + "}";
}

void render_histogram(std::string& out, const std::string& name, const std::string& labels,
                      const Histogram& histogram) {
    std::uint64_t cumulative = 0;
    const auto& bounds = histogram.upper_bounds();
    for (std::size_t i = 0; i <= bounds.size(); ++i) {
        cumulative += histogram.bucket_count(i);
        auto le = i < bounds.size() ? fmt::format("{}", bounds[i]) : std::string("+Inf");
        out += fmt::format("{}_bucket{} {}\n", name, join_labels(labels, "le=\"" + le + "\""),
                           cumulative);
    }
    out += fmt::format("{}_sum{} {}\n", name, join_labels(labels, {}), histogram.sum());
    out += fmt::format("{}_count{} {}\n", name, join_labels(labels, {}), histogram.count());
}

std::string_view type_name(int kind) {
    static constexpr std::string_view kNames[] = {"counter", "gauge", "histogram", "counter"};
    return kNames[kind];
}

}  // namespace

std::string MetricsRegistry::render() const {
    std::lock_guard lock(mutex_);
    // Group entries by metric name so that HELP and TYPE appear once per name.
    std::map<std::string, std::vector<const Entry*>> by_name;
    for (const auto& entry : entries_) by_name[entry.name].push_back(&entry);
    std::string out;
    for (const auto& [name, entries] : by_name) {
        out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, entries.front()->help, name,
                           type_name(static_cast<int>(entries.front()->kind)));
        for (const Entry* entry : entries) {
            const auto labels = join_labels(entry->labels, {});
            switch (entry->kind) {
                case Kind::kCounter:
                    out += fmt::format("{}{} {}\n", name, labels, entry->counter->value());
                    break;
                case Kind::kGauge:
                    out += fmt::format("{}{} {}\n", name, labels, entry->gauge->value());
                    break;
                case Kind::kHistogram:
                    render_histogram(out, name, entry->labels, *entry->histogram);
                    break;
                case Kind::kStatusCounters:
                    for (unsigned status = 100; status < StatusCounters::kSize; ++status) {
                        if (auto value = entry->statuses->value(status); value != 0) {
                            auto extra = fmt::format("status=\"{}\"", status);
                            out += fmt::format("{}{} {}\n", name,
                                               join_labels(entry->labels, extra), value);
                        }
                    }
                    break;
            }
        }
    }
    return out;
}

std::vector<double> latency_buckets_s() {
    return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
            0.025,   0.05,   0.1,     0.25,   0.5,   1.0,   2.5,    5.0, 10.0};
}

}  // namespace flashsale
