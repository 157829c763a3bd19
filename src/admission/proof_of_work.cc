#include "admission/proof_of_work.h"

#include <algorithm>
#include <bit>
#include <charconv>

#include "common/crypto.h"

namespace flashsale::admission {

namespace {

constexpr std::string_view kChallengeTag = "p1";
constexpr std::size_t kNonceLengthMax = 128;

std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> out;
    for (;;) {
        auto end = text.find('\n');
        out.push_back(text.substr(0, end));
        if (end == std::string_view::npos) return out;
        text.remove_prefix(end + 1);
    }
}

bool to_int(std::string_view text, std::int64_t& value) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc{} && end == text.data() + text.size();
}

}  // namespace

int ProofOfWork::leading_zero_bits(std::string_view digest) {
    int bits = 0;
    for (unsigned char byte : digest) {
        if (byte != 0) return bits + std::countl_zero(byte);
        bits += 8;
    }
    return bits;
}

bool ProofOfWork::solves(std::string_view challenge, std::string_view nonce, std::int32_t bits) {
    std::string data(challenge);
    data += nonce;
    return leading_zero_bits(sha256(data)) >= bits;
}

// Load is the token requests of the last whole second (or of this one, when higher).
std::int32_t ProofOfWork::difficulty(std::int32_t sale_bits, std::int64_t monotonic_us) {
    const std::int64_t second = monotonic_us / 1'000'000;
    std::int64_t seen_second = second_.load(std::memory_order_relaxed);
    if (seen_second != second && second_.compare_exchange_strong(seen_second, second)) {
        const std::int64_t last = count_.exchange(0);
        previous_count_.store(second == seen_second + 1 ? last : 0);
    }
    const std::int64_t rate = std::max(previous_count_.load(), count_.fetch_add(1) + 1);
    if (sale_bits <= 0) return 0;
    std::int32_t extra = 0;
    if (options_.raise_per_s > 0 && rate > options_.raise_per_s) {
        extra = 1;
        for (std::int64_t r = rate / (2 * options_.raise_per_s); r >= 1; r /= 2) ++extra;
        extra = std::min(extra, options_.raise_bits_max);
    }
    return std::min(sale_bits + extra, 32);
}

Challenge ProofOfWork::issue(std::string_view sale_id, std::string_view user_id,
                             std::int32_t bits, TimePoint now) const {
    const TimePoint expires_at = now + options_.challenge_ttl;
    std::string payload = std::string(kChallengeTag) + "\n" + std::string(sale_id) + "\n" +
                          std::string(user_id) + "\n" + std::to_string(bits) + "\n" +
                          std::to_string(to_unix_ms(expires_at)) + "\n" + random_hex(8);
    return {signer_.sign(payload), bits, expires_at};
}

Verdict ProofOfWork::check_answer(std::string_view challenge, std::string_view nonce,
                                  std::string_view sale_id, std::string_view user_id,
                                  std::int32_t sale_bits, TimePoint now) {
    if (nonce.empty() || nonce.size() > kNonceLengthMax) return Verdict::refuse(Reason::kPowInvalid);
    auto payload = signer_.open(challenge);
    if (!payload) return Verdict::refuse(Reason::kPowInvalid);
    auto parts = split_lines(*payload);
    std::int64_t bits = 0, expires_ms = 0;
    if (parts.size() != 6 || parts[0] != kChallengeTag || !to_int(parts[3], bits) ||
        !to_int(parts[4], expires_ms) || parts[1] != sale_id || parts[2] != user_id ||
        bits < sale_bits) {
        return Verdict::refuse(Reason::kPowInvalid);
    }
    if (to_unix_ms(now) >= expires_ms) return Verdict::refuse(Reason::kPowRequired);
    if (!solves(challenge, nonce, static_cast<std::int32_t>(bits))) {
        return Verdict::refuse(Reason::kPowInvalid);
    }
    switch (remember(std::string(parts[5]) + std::string(parts[4]), expires_ms, to_unix_ms(now))) {
        case Seen::kFirst: return Verdict::admit();
        case Seen::kAgain: return Verdict::refuse(Reason::kPowReused);
        case Seen::kFull: return Verdict::refuse(Reason::kPowBusy);
    }
    return Verdict::refuse(Reason::kPowInvalid);
}

ProofOfWork::Seen ProofOfWork::remember(const std::string& id, std::int64_t expires_ms,
                                        std::int64_t now_ms) {
    std::lock_guard lock(seen_mutex_);
    while (!seen_expiries_.empty() && seen_expiries_.top().first <= now_ms) {
        seen_.erase(seen_expiries_.top().second);
        seen_expiries_.pop();
    }
    if (seen_.contains(id)) return Seen::kAgain;
    if (seen_.size() >= options_.seen_max) return Seen::kFull;
    seen_.insert(id);
    seen_expiries_.emplace(expires_ms, id);
    return Seen::kFirst;
}

}  // namespace flashsale::admission
