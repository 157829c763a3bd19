// A log-linear latency histogram in the manner of HdrHistogram: values below 128 have a bucket
// each, above that every power of two is split into 64 linear sub-buckets, so a percentile is
// reported within 1/64 (1.6%) of the true value, from 1 ns to hours, in a fixed 30 KiB.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>

namespace flashsale::bench {

class Histogram {
public:
    void record(std::uint64_t value) {
        ++counts_[index_of(value)];
        ++total_;
        max_ = std::max(max_, value);
    }

    void merge(const Histogram& other) {
        for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
        total_ += other.total_;
        max_ = std::max(max_, other.max_);
    }

    std::uint64_t count() const { return total_; }
    std::uint64_t max() const { return max_; }

    // The smallest recorded bucket's upper edge at or above the `quantile` (0..1) of values.
    std::uint64_t percentile(double quantile) const {
        if (total_ == 0) return 0;
        auto rank = static_cast<std::uint64_t>(quantile * static_cast<double>(total_) + 0.5);
        rank = std::clamp<std::uint64_t>(rank, 1, total_);
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < counts_.size(); ++i) {
            seen += counts_[i];
            if (seen >= rank) return std::min(upper_of(i), max_);
        }
        return max_;
    }

private:
    static constexpr std::size_t kLinear = 128;
    static constexpr std::size_t kSub = 64;

    static std::size_t index_of(std::uint64_t value) {
        if (value < kLinear) return static_cast<std::size_t>(value);
        auto magnitude = static_cast<std::size_t>(std::bit_width(value));  // 8..64
        auto shift = magnitude - 7;
        return kLinear + (magnitude - 8) * kSub + static_cast<std::size_t>((value >> shift) - kSub);
    }

    static std::uint64_t upper_of(std::size_t index) {
        if (index < kLinear) return index;
        auto magnitude = (index - kLinear) / kSub + 8;
        auto sub = (index - kLinear) % kSub + kSub;
        auto shift = magnitude - 7;
        return ((static_cast<std::uint64_t>(sub) + 1) << shift) - 1;
    }

    std::array<std::uint64_t, kLinear + 57 * kSub> counts_{};
    std::uint64_t total_ = 0;
    std::uint64_t max_ = 0;
};

}  // namespace flashsale::bench
