#include "admission/rate_gate.h"

#include <chrono>
#include <random>

#include "admission/sale_directory.h"

namespace flashsale::admission {

namespace {

constexpr std::int64_t kStrikeWindowUs = 10'000'000;

std::int32_t retry_after_s(std::int64_t wait_us) {
    const std::int64_t seconds = (wait_us + 999'999) / 1'000'000;
    return static_cast<std::int32_t>(std::clamp<std::int64_t>(seconds, 1, 3600));
}

}  // namespace

RateLimitGate::RateLimitGate(RateOptions options, Blacklist& blacklist)
    : options_(options),
      blacklist_(blacklist),
      by_ip_(options.keyed_slots),
      by_user_(options.keyed_slots),
      strikes_(options.auto_block_strikes > 0 ? options.keyed_slots : 1) {}

Verdict RateLimitGate::check(const RequestView& request) {
    const auto now = request.monotonic_us;
    if (auto wait = by_ip_.take(request.client_ip, now, options_.ip)) {
        return refuse(request, Reason::kRateIp, wait);
    }
    if (auto wait = by_user_.take(request.user_id, now, options_.user)) {
        return refuse(request, Reason::kRateUser, wait);
    }
    // The sale's bucket counts purchase attempts only; token requests have their own puzzle.
    const bool queued = request.sale != nullptr && request.sale->rate_limit().on() &&
                        options_.sale_rate_queues;
    if (request.sale != nullptr && request.action == Action::kPurchase && !queued) {
        auto limit = request.sale->rate_limit();
        if (!limit.on()) limit = options_.sale;
        if (auto wait = request.sale->limiter().take(now, limit)) {
            return refuse(request, Reason::kRateSale, wait);
        }
    }
    if (auto wait = global_.take(now, options_.global)) {
        return refuse(request, Reason::kRateGlobal, wait);
    }
    return Verdict::admit();
}

// A client refused by its own limit collects a strike; too many strikes in the window put it
// on the blacklist for a while.
Verdict RateLimitGate::refuse(const RequestView& request, Reason reason, std::int64_t wait_us) {
    const bool own = reason == Reason::kRateIp || reason == Reason::kRateUser;
    if (own && options_.auto_block_strikes > 0) {
        const auto strikes = RateLimit{kStrikeWindowUs / options_.auto_block_strikes,
                                       options_.auto_block_strikes};
        const bool by_ip = reason == Reason::kRateIp;
        const std::string key = std::string(by_ip ? "ip\n" : "user\n") +
                                std::string(by_ip ? request.client_ip : request.user_id);
        if (strikes_.take(key, request.monotonic_us, strikes) > 0) {
            blacklist_.add({.kind = by_ip ? ListKind::kIp : ListKind::kUser,
                            .value = std::string(by_ip ? request.client_ip : request.user_id),
                            .expires_at = request.local_now +
                                          std::chrono::seconds(options_.auto_block_s),
                            .automatic = true},
                           request.local_now);
        }
    }
    return Verdict::refuse(reason, retry_after_s(wait_us));
}

Verdict SheddingGate::check(const RequestView& request) {
    if (request.action != Action::kPurchase || inflight_max_ <= 0) return Verdict::admit();
    if (in_flight_.load(std::memory_order_relaxed) < inflight_max_) return Verdict::admit();
    thread_local std::minstd_rand random{std::random_device{}()};
    if (static_cast<std::int32_t>(random() % 100) < percent_) {
        return Verdict::refuse(Reason::kOverloaded);
    }
    return Verdict::admit();
}

}  // namespace flashsale::admission
