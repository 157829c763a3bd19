#include "admission/rate_limiter.h"

#include <algorithm>
#include <functional>

namespace flashsale::admission {

namespace {

constexpr int kTimeBits = 48;
constexpr std::uint64_t kTimeMask = (std::uint64_t{1} << kTimeBits) - 1;

std::uint64_t pack(std::uint64_t fingerprint, std::int64_t tat_us) {
    return (fingerprint << kTimeBits) | (static_cast<std::uint64_t>(tat_us) & kTimeMask);
}
std::uint64_t fingerprint_of(std::uint64_t word) { return word >> kTimeBits; }
std::int64_t tat_of(std::uint64_t word) { return static_cast<std::int64_t>(word & kTimeMask); }

}  // namespace

// The bucket allows a request when, after it, the arrival time is at most `burst` intervals
// ahead of now.
std::int64_t gcra_wait_us(std::int64_t tat_us, std::int64_t now_us, const RateLimit& limit) {
    const std::int64_t interval = limit.interval_us;
    const std::int64_t next = std::max(tat_us, now_us) + interval;
    const std::int64_t over = next - now_us - interval * limit.burst;
    return over > 0 ? over : 0;
}

std::int64_t RateCell::take(std::int64_t now_us, const RateLimit& limit) {
    if (!limit.on()) return 0;
    std::int64_t tat = tat_us_.load(std::memory_order_relaxed);
    for (;;) {
        if (auto wait = gcra_wait_us(tat, now_us, limit); wait > 0) return wait;
        const std::int64_t next = std::max(tat, now_us) + limit.interval_us;
        if (tat_us_.compare_exchange_weak(tat, next, std::memory_order_relaxed)) return 0;
    }
}

KeyedRateLimiter::KeyedRateLimiter(std::size_t slots)
    : sets_(std::max<std::size_t>(1, (slots + kWays - 1) / kWays)),
      table_(std::make_unique<std::atomic<std::uint64_t>[]>(sets_ * kWays)) {
    for (std::size_t i = 0; i < sets_ * kWays; ++i) table_[i].store(0, std::memory_order_relaxed);
}

std::int64_t KeyedRateLimiter::take(std::string_view key, std::int64_t now_us,
                                    const RateLimit& limit) {
    if (!limit.on()) return 0;
    const std::uint64_t hash = std::hash<std::string_view>{}(key) * 0x9E3779B97F4A7C15ull;
    const std::uint64_t fingerprint = (hash >> 48) | 1;  // never 0: 0 marks a slot never used
    std::atomic<std::uint64_t>* set = &table_[(hash % sets_) * kWays];
    // A few rounds of: find the key's slot (or a victim) and move it by CAS. Contention on one
    // set past that is pathological; the request is then let through rather than spun on.
    for (int round = 0; round < 8; ++round) {
        std::size_t victim = 0;
        std::int64_t victim_tat = INT64_MAX;
        std::uint64_t words[kWays];
        int found = -1;
        for (std::size_t way = 0; way < kWays; ++way) {
            words[way] = set[way].load(std::memory_order_relaxed);
            if (fingerprint_of(words[way]) == fingerprint) found = static_cast<int>(way);
            if (tat_of(words[way]) < victim_tat) victim_tat = tat_of(words[way]), victim = way;
        }
        const std::size_t way = found >= 0 ? static_cast<std::size_t>(found) : victim;
        // A taken-over slot starts as a fresh bucket.
        const std::int64_t tat = found >= 0 ? tat_of(words[way]) : 0;
        if (auto wait = gcra_wait_us(tat, now_us, limit); wait > 0) return wait;
        const std::int64_t next = std::max(tat, now_us) + limit.interval_us;
        if (set[way].compare_exchange_strong(words[way], pack(fingerprint, next),
                                             std::memory_order_relaxed)) {
            return 0;
        }
    }
    return 0;
}

}  // namespace flashsale::admission
