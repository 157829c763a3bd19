// Token buckets (GCRA): rate and burst, Retry-After waits, and the keyed table whose memory is
// fixed however many keys arrive.
#include <gtest/gtest.h>

#include <string>

#include "admission/rate_limiter.h"

namespace flashsale::admission {
namespace {

constexpr std::int64_t kSecondUs = 1'000'000;

TEST(RateCell, AllowsTheBurstThenOnePerInterval) {
    RateCell cell;
    const auto limit = RateLimit::per_second(10, 5);
    std::int64_t now = kSecondUs;
    for (int i = 0; i < 5; ++i) EXPECT_EQ(cell.take(now, limit), 0) << i;
    const auto wait = cell.take(now, limit);
    EXPECT_GT(wait, 0);
    EXPECT_LE(wait, kSecondUs / 10);
    EXPECT_EQ(cell.take(now + wait, limit), 0);
    EXPECT_GT(cell.take(now + wait, limit), 0);
    // After a quiet second the whole burst is back.
    now += 2 * kSecondUs;
    for (int i = 0; i < 5; ++i) EXPECT_EQ(cell.take(now, limit), 0) << i;
}

TEST(RateCell, OffLimitNeverRefuses) {
    RateCell cell;
    for (int i = 0; i < 1000; ++i) EXPECT_EQ(cell.take(1, RateLimit{}), 0);
}

TEST(RateCell, BurstZeroMeansTheRate) {
    const auto limit = RateLimit::per_second(3, 0);
    EXPECT_EQ(limit.burst, 3);
    RateCell cell;
    for (int i = 0; i < 3; ++i) EXPECT_EQ(cell.take(10, limit), 0);
    EXPECT_GT(cell.take(10, limit), 0);
}

TEST(KeyedRateLimiter, OneKeyPastItsRateLeavesOthersAlone) {
    KeyedRateLimiter limiter(1024);
    const auto limit = RateLimit::per_second(1, 2);
    EXPECT_EQ(limiter.take("greedy", 10, limit), 0);
    EXPECT_EQ(limiter.take("greedy", 10, limit), 0);
    EXPECT_GT(limiter.take("greedy", 10, limit), 0);
    for (int i = 0; i < 200; ++i) {
        EXPECT_EQ(limiter.take("polite-" + std::to_string(i), 10, limit), 0) << i;
    }
    EXPECT_GT(limiter.take("greedy", 10, limit), 0);
}

// Ten million distinct users: the table keeps its size and never refuses a user's first request
// (a key it does not know starts from a full bucket).
TEST(KeyedRateLimiter, MemoryIsFixedUnderTenMillionUsers) {
    KeyedRateLimiter limiter(4096);
    const auto slots = limiter.slots();
    const auto limit = RateLimit::per_second(1, 1);
    std::int64_t refused = 0;
    for (int i = 0; i < 10'000'000; ++i) {
        refused += limiter.take("user-" + std::to_string(i), 1 + i, limit) > 0;
    }
    EXPECT_EQ(limiter.slots(), slots);
    // Fingerprint collisions within a set are the only way to be refused: 1 in 65536 per pair.
    EXPECT_LT(refused, 10'000'000 / 1000);
}

}  // namespace
}  // namespace flashsale::admission
