// Gates 4 and 5: token-bucket rate limits (per client address, per user, per sale, per node)
// with 429 and Retry-After; and lossy shedding, which refuses a share of purchase attempts at
// once (503) while the work in flight is above a bound, so that the accepted work keeps its
// latency.
#pragma once

#include <atomic>
#include <cstdint>

#include "admission/blacklist.h"
#include "admission/rate_limiter.h"
#include "admission/verdict.h"

namespace flashsale::admission {

struct RateOptions {
    RateLimit ip;
    RateLimit user;
    RateLimit sale;    // for sales whose own rate_limit_per_s is 0
    RateLimit global;  // all purchase and token requests of this node
    std::size_t keyed_slots = 262'144;  // per keyed limiter (IP, user, strikes): 8 bytes each
    // Automatic listing: a user or address refused more than `strikes` times by its own limit
    // within 10 s is blacklisted for `block_s` seconds. 0 strikes = off.
    std::int64_t auto_block_strikes = 0;
    std::int64_t auto_block_s = 60;
    // The waiting room is on: a sale with its own rate admits from its line at that rate, so
    // its purchase attempts are not refused here.
    bool sale_rate_queues = false;
};

class RateLimitGate {
public:
    // `blacklist` (for automatic listing) outlives the gate.
    RateLimitGate(RateOptions options, Blacklist& blacklist);

    // The client's own limits first, so that a client past its rate is refused before it
    // takes anything from the buckets that everyone shares.
    Verdict check(const RequestView& request);

private:
    Verdict refuse(const RequestView& request, Reason reason, std::int64_t wait_us);

    RateOptions options_;
    Blacklist& blacklist_;
    KeyedRateLimiter by_ip_, by_user_, strikes_;
    RateCell global_;
};

class SheddingGate {
public:
    // inflight_max 0 = off; above it, each purchase attempt is refused with `percent`% chance.
    SheddingGate(std::int64_t inflight_max, std::int32_t percent)
        : inflight_max_(inflight_max), percent_(percent) {}

    Verdict check(const RequestView& request);

    // Counts one purchase in flight for its lifetime (from admission to the engine's answer).
    class InFlight {
    public:
        explicit InFlight(std::atomic<std::int64_t>& count) : count_(&count) { count_->fetch_add(1); }
        InFlight(InFlight&& other) noexcept : count_(other.count_) { other.count_ = nullptr; }
        InFlight(const InFlight&) = delete;
        InFlight& operator=(const InFlight&) = delete;
        InFlight& operator=(InFlight&&) = delete;
        ~InFlight() {
            if (count_ != nullptr) count_->fetch_sub(1);
        }

    private:
        std::atomic<std::int64_t>* count_;
    };
    InFlight enter() { return InFlight(in_flight_); }
    std::int64_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }

private:
    std::int64_t inflight_max_;
    std::int32_t percent_;
    std::atomic<std::int64_t> in_flight_{0};
};

}  // namespace flashsale::admission
