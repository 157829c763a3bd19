// The proof-of-work puzzle: challenges bound to user and sale, solved by brute force here,
// single use within their lifetime, bounded memory, and difficulty that rises with load.
#include <gtest/gtest.h>

#include <string>

#include "admission/proof_of_work.h"

namespace flashsale::admission {
namespace {

using namespace std::chrono_literals;

const TimePoint kNow = from_unix_ms(1'800'000'000'000);

std::string solve(const std::string& challenge, int bits) {
    for (std::uint64_t n = 0;; ++n) {
        auto nonce = std::to_string(n);
        if (ProofOfWork::solves(challenge, nonce, bits)) return nonce;
    }
}

class ProofOfWorkTest : public ::testing::Test {
protected:
    Signer signer_{"pow-key-0123456789abcdef", ""};
};

TEST_F(ProofOfWorkTest, LeadingZeroBits) {
    EXPECT_EQ(ProofOfWork::leading_zero_bits(std::string("\x00\x00\x80", 3)), 16);
    EXPECT_EQ(ProofOfWork::leading_zero_bits(std::string("\x00\x01", 2)), 15);
    EXPECT_EQ(ProofOfWork::leading_zero_bits(std::string("\xff", 1)), 0);
}

TEST_F(ProofOfWorkTest, AnswerIsAcceptedOnceForItsUserAndSale) {
    ProofOfWork pow(signer_, {.challenge_ttl = 60s});
    const auto challenge = pow.issue("phone", "alice", 8, kNow);
    const auto nonce = solve(challenge.text, 8);
    EXPECT_FALSE(pow.check_answer(challenge.text, nonce, "phone", "bob", 8, kNow).admitted);
    EXPECT_FALSE(pow.check_answer(challenge.text, nonce, "tv", "alice", 8, kNow).admitted);
    // A challenge easier than the sale asks is refused even when solved.
    EXPECT_FALSE(pow.check_answer(challenge.text, nonce, "phone", "alice", 9, kNow).admitted);
    EXPECT_TRUE(pow.check_answer(challenge.text, nonce, "phone", "alice", 8, kNow).admitted);
    const auto again = pow.check_answer(challenge.text, nonce, "phone", "alice", 8, kNow);
    EXPECT_FALSE(again.admitted);
    EXPECT_EQ(again.reason, Reason::kPowReused);
}

TEST_F(ProofOfWorkTest, WrongNonceForgedOrExpiredChallengeIsRefused) {
    ProofOfWork pow(signer_, {.challenge_ttl = 60s});
    const auto challenge = pow.issue("phone", "alice", 12, kNow);
    std::string wrong = "0";
    while (ProofOfWork::solves(challenge.text, wrong, 12)) wrong += "0";
    EXPECT_EQ(pow.check_answer(challenge.text, wrong, "phone", "alice", 12, kNow).reason,
              Reason::kPowInvalid);
    auto tampered = challenge.text;
    tampered[tampered.size() / 2] ^= 1;
    EXPECT_EQ(pow.check_answer(tampered, "1", "phone", "alice", 12, kNow).reason,
              Reason::kPowInvalid);
    const auto nonce = solve(challenge.text, 12);
    EXPECT_EQ(pow.check_answer(challenge.text, nonce, "phone", "alice", 12, kNow + 60s).reason,
              Reason::kPowRequired);
}

TEST_F(ProofOfWorkTest, SeenSetIsBoundedAndForgetsExpiredChallenges) {
    ProofOfWork pow(signer_, {.challenge_ttl = 10s, .seen_max = 2});
    for (int i = 0; i < 2; ++i) {
        const auto challenge = pow.issue("phone", "u" + std::to_string(i), 1, kNow);
        EXPECT_TRUE(pow.check_answer(challenge.text, solve(challenge.text, 1), "phone",
                                     "u" + std::to_string(i), 1, kNow)
                        .admitted);
    }
    auto third = pow.issue("phone", "u2", 1, kNow);
    const auto nonce = solve(third.text, 1);
    EXPECT_EQ(pow.check_answer(third.text, nonce, "phone", "u2", 1, kNow).reason,
              Reason::kPowBusy);
    // Once the first two expire, they are forgotten and there is room again.
    third = pow.issue("phone", "u2", 1, kNow + 10s);
    EXPECT_TRUE(
        pow.check_answer(third.text, solve(third.text, 1), "phone", "u2", 1, kNow + 10s).admitted);
}

TEST_F(ProofOfWorkTest, DifficultyRisesWithLoad) {
    ProofOfWork pow(signer_, {.raise_per_s = 10, .raise_bits_max = 3});
    std::int64_t now_us = 5'000'000;
    EXPECT_EQ(pow.difficulty(0, now_us), 0);  // a sale without puzzle never gets one
    EXPECT_EQ(pow.difficulty(4, now_us), 4);
    for (int i = 0; i < 100; ++i) pow.difficulty(4, now_us);
    EXPECT_EQ(pow.difficulty(4, now_us), 7);  // 100+/s over 10/s: capped at +3
    now_us += 3'000'000;                       // quiet seconds: back to the sale's own bits
    EXPECT_EQ(pow.difficulty(4, now_us), 4);
}

}  // namespace
}  // namespace flashsale::admission
