// Time is injected: every decision that depends on "now" (sale windows, reservation deadlines)
// asks a Clock, so tests can run a sale window or a TTL without sleeping through it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace flashsale {

// Wall-clock time with millisecond resolution: what the API shows and the stores persist.
using TimePoint = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

inline std::int64_t to_unix_ms(TimePoint t) { return t.time_since_epoch().count(); }
inline TimePoint from_unix_ms(std::int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

class Clock {
public:
    virtual ~Clock() = default;
    virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
public:
    TimePoint now() const override {
        return std::chrono::time_point_cast<std::chrono::milliseconds>(
            std::chrono::system_clock::now());
    }
};

// Another clock shifted by a fixed offset: a node whose clock is skewed, for tests and
// diagnostics (admission.clock_skew_ms).
class OffsetClock final : public Clock {
public:
    OffsetClock(const Clock& base, std::chrono::milliseconds offset) : base_(base), offset_(offset) {}
    TimePoint now() const override { return base_.now() + offset_; }

private:
    const Clock& base_;
    std::chrono::milliseconds offset_;
};

// A cheap upper bound of std::chrono::steady_clock::now(), for timeouts of seconds: the kernel's
// coarse monotonic clock (its time at the last tick, read without the TSC) plus one tick, so
// never early and at most one tick (a few ms) late. The HTTP session arms a deadline for every
// keep-alive wait; with the precise clock, its two clock reads per request (the idle wait and
// the write) were ~1% of a refusal's CPU.
std::chrono::steady_clock::time_point steady_now_upper_bound();

// A clock that moves only when told to; safe to read from several threads.
class ManualClock final : public Clock {
public:
    explicit ManualClock(TimePoint start) : now_ms_(to_unix_ms(start)) {}
    TimePoint now() const override { return from_unix_ms(now_ms_.load()); }
    void advance(std::chrono::milliseconds by) { now_ms_ += by.count(); }
    void set(TimePoint t) { now_ms_ = to_unix_ms(t); }

private:
    std::atomic<std::int64_t> now_ms_;
};

}  // namespace flashsale
