#include "common/clock.h"

#include <time.h>

namespace flashsale {

namespace {

std::chrono::nanoseconds to_duration(const timespec& t) {
    return std::chrono::seconds(t.tv_sec) + std::chrono::nanoseconds(t.tv_nsec);
}

// The coarse clock's tick, read once: it does not change while the system runs.
std::chrono::nanoseconds coarse_tick() {
    static const std::chrono::nanoseconds tick = [] {
        timespec resolution{};
        clock_getres(CLOCK_MONOTONIC_COARSE, &resolution);
        return to_duration(resolution);
    }();
    return tick;
}

}  // namespace

// steady_clock is CLOCK_MONOTONIC in libstdc++, and the coarse clock is the same clock as of
// its last tick, so the two share one epoch.
std::chrono::steady_clock::time_point steady_now_upper_bound() {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    return std::chrono::steady_clock::time_point(
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(to_duration(now) +
                                                                        coarse_tick()));
}

}  // namespace flashsale
