// Token buckets as GCRA (the generic cell rate algorithm): a bucket is one number, its
// theoretical arrival time, moved by compare-and-swap, so a limit costs one atomic operation
// and no lock. RateCell is one bucket (per node, per sale); KeyedRateLimiter holds buckets for
// many keys (IPs, users) in a fixed table, so its memory never grows with the number of keys.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>

namespace flashsale::admission {

// One request per interval on average, up to `burst` at once. Off when interval_us is 0.
struct RateLimit {
    std::int64_t interval_us = 0;
    std::int64_t burst = 1;

    bool on() const { return interval_us > 0; }
    // per_s 0 = off; burst 0 = as many as the rate (at least 1).
    static RateLimit per_second(std::int64_t per_s, std::int64_t burst) {
        if (per_s <= 0) return {};
        return {std::max<std::int64_t>(1, 1'000'000 / per_s), burst > 0 ? burst : per_s};
    }
};

// 0 when the request may pass, else microseconds until it would.
std::int64_t gcra_wait_us(std::int64_t tat_us, std::int64_t now_us, const RateLimit& limit);

class RateCell {
public:
    // Takes one request from the bucket: 0 = taken, else the wait in microseconds.
    std::int64_t take(std::int64_t now_us, const RateLimit& limit);

private:
    std::atomic<std::int64_t> tat_us_{0};
};

// A set-associative table of buckets: a key hashes to one set of kWays slots; each slot packs
// a 16-bit fingerprint of its key with a 48-bit arrival time (microseconds since the limiter
// was made: 8.9 years) into one atomic word. An unknown key takes a slot whose bucket is full
// again (equivalent to a fresh one) or else the one nearest to full: under more active keys
// than slots, limits grow lenient; they never refuse a key for another key's traffic unless
// two active keys of one set share a fingerprint (1 in 65536).
class KeyedRateLimiter {
public:
    static constexpr std::size_t kWays = 4;
    // slots: rounded up to a multiple of kWays; memory is 8 bytes per slot.
    explicit KeyedRateLimiter(std::size_t slots);

    std::int64_t take(std::string_view key, std::int64_t now_us, const RateLimit& limit);
    std::size_t slots() const { return sets_ * kWays; }

private:
    std::size_t sets_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> table_;
};

}  // namespace flashsale::admission
