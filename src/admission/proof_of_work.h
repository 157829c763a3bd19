// The puzzle at the entry: before the token endpoint issues a purchase token for a sale with
// pow_difficulty_bits > 0, the client must find a nonce such that SHA-256(challenge || nonce)
// starts with that many zero bits. Challenges are stateless (signed, bound to user, sale,
// difficulty and expiry); each is accepted once within its lifetime, remembered in a bounded
// set that forgets it when it expires. Difficulty rises by one bit per doubling of the token
// requests per second above a configured rate, up to a configured number of extra bits.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "admission/signer.h"
#include "admission/verdict.h"
#include "common/clock.h"

namespace flashsale::admission {

struct PowOptions {
    std::chrono::seconds challenge_ttl{60};
    std::size_t seen_max = 1'000'000;  // answered challenges remembered at most (~100 B each)
    std::int64_t raise_per_s = 0;       // token requests per second before difficulty rises; 0 = never
    std::int32_t raise_bits_max = 4;
};

struct Challenge {
    std::string text;
    std::int32_t difficulty_bits = 0;
    TimePoint expires_at;
};

class ProofOfWork {
public:
    // `signer` outlives this object.
    ProofOfWork(const Signer& signer, PowOptions options) : signer_(signer), options_(options) {}

    // Counts one arrival at the token endpoint and returns the difficulty to ask now: the
    // sale's bits plus the load bits (0 when the sale asks none).
    std::int32_t difficulty(std::int32_t sale_bits, std::int64_t monotonic_us);
    Challenge issue(std::string_view sale_id, std::string_view user_id, std::int32_t bits,
                    TimePoint now) const;
    // Admitted when `challenge` is ours, for this user and sale, unexpired, at least
    // `sale_bits` hard, solved by `nonce`, and not answered before. kPowRequired when it
    // expired (ask for a new one), kPowInvalid, kPowReused, or kPowBusy (seen-set full).
    Verdict check_answer(std::string_view challenge, std::string_view nonce,
                         std::string_view sale_id, std::string_view user_id,
                         std::int32_t sale_bits, TimePoint now);

    static int leading_zero_bits(std::string_view digest);
    static bool solves(std::string_view challenge, std::string_view nonce, std::int32_t bits);

private:
    // Records the challenge as used; false when it was already.
    enum class Seen { kFirst, kAgain, kFull };
    Seen remember(const std::string& id, std::int64_t expires_ms, std::int64_t now_ms);

    const Signer& signer_;
    PowOptions options_;
    std::atomic<std::int64_t> second_{0}, count_{0}, previous_count_{0};
    std::mutex seen_mutex_;  // the token endpoint only, never the purchase path
    std::unordered_set<std::string> seen_;
    std::priority_queue<std::pair<std::int64_t, std::string>,
                        std::vector<std::pair<std::int64_t, std::string>>, std::greater<>>
        seen_expiries_;
};

}  // namespace flashsale::admission
