// Prometheus metrics with no lock on the hot path: counters and histograms are relaxed atomics,
// created once at start-up through the registry, which keeps them alive and renders the text
// exposition format for GET /metrics.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace flashsale {

class Counter {
public:
    void inc(std::uint64_t by = 1) { value_.fetch_add(by, std::memory_order_relaxed); }
    std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> value_{0};
};

class Gauge {
public:
    void set(std::int64_t value) { value_.store(value, std::memory_order_relaxed); }
    void add(std::int64_t by) { value_.fetch_add(by, std::memory_order_relaxed); }
    std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::int64_t> value_{0};
};

// Cumulative buckets with fixed upper bounds, as Prometheus expects.
class Histogram {
public:
    explicit Histogram(std::vector<double> upper_bounds);
    void observe(double value);

    const std::vector<double>& upper_bounds() const { return upper_bounds_; }
    std::uint64_t bucket_count(std::size_t index) const;  // not cumulative; last is +Inf
    std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
    double sum() const;

private:
    std::vector<double> upper_bounds_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;
    std::atomic<std::uint64_t> count_{0};
    std::atomic<std::int64_t> sum_micros_{0};  // sum * 1e6, so that it can be an atomic integer
};

// Counts of one metric by HTTP status code, indexed directly: no map lookup per request.
class StatusCounters {
public:
    void inc(unsigned status) { counts_[status < kSize ? status : 0].inc(); }
    std::uint64_t value(unsigned status) const { return counts_[status < kSize ? status : 0].value(); }
    static constexpr unsigned kSize = 600;

private:
    std::array<Counter, kSize> counts_{};
};

class MetricsRegistry {
public:
    // Labels are given pre-rendered, e.g. R"(outcome="sold_out")". The references stay valid
    // for the registry's lifetime; call these at start-up, not per request.
    Counter& counter(const std::string& name, const std::string& help,
                     const std::string& labels = {});
    Gauge& gauge(const std::string& name, const std::string& help,
                 const std::string& labels = {});
    Histogram& histogram(const std::string& name, const std::string& help,
                         std::vector<double> upper_bounds, const std::string& labels = {});
    // One StatusCounters per label set, rendered as name{labels,status="NNN"}.
    StatusCounters& status_counters(const std::string& name, const std::string& help,
                                    const std::string& labels);

    std::string render() const;  // Prometheus text exposition format 0.0.4

private:
    enum class Kind { kCounter, kGauge, kHistogram, kStatusCounters };
    struct Entry {
        std::string name, help, labels;
        Kind kind;
        Counter* counter = nullptr;
        Gauge* gauge = nullptr;
        Histogram* histogram = nullptr;
        StatusCounters* statuses = nullptr;
    };
    mutable std::mutex mutex_;
    std::vector<Entry> entries_;
    std::deque<Counter> counters_;
    std::deque<Gauge> gauges_;
    std::deque<Histogram> histograms_;
    std::deque<StatusCounters> status_counters_;
};

// Latency buckets in seconds, 50 us to 10 s.
std::vector<double> latency_buckets_s();

}  // namespace flashsale
