#include "common/jwt.h"

#include <atomic>
#include <bit>
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <vector>

#include <boost/json.hpp>

#include "common/crypto.h"

namespace flashsale {
namespace {

namespace json = boost::json;

constexpr std::string_view kHeader = R"({"alg":"HS256","typ":"JWT"})";

Error unauthorized(std::string message) {
    return make_error(Errc::kUnauthorized, std::move(message));
}

std::int64_t unix_seconds(TimePoint t) {
    return std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count();
}

std::optional<json::object> parse_object(std::string_view text) {
    boost::system::error_code ec;
    json::value value = json::parse(text, ec);
    if (ec || !value.is_object()) {
        return std::nullopt;
    }
    return std::move(value.as_object());
}

// Integer claims (exp, nbf); a uint64 beyond int64 saturates, which only means "far future".
std::optional<std::int64_t> integer_claim(const json::value& value) {
    if (value.is_int64()) {
        return value.get_int64();
    }
    if (value.is_uint64()) {
        const std::uint64_t v = value.get_uint64();
        constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
        return v > static_cast<std::uint64_t>(kMax) ? kMax : static_cast<std::int64_t>(v);
    }
    return std::nullopt;
}

struct Parts {
    std::string_view header, payload, signature;
};

std::optional<Parts> split_token(std::string_view token) {
    const auto first = token.find('.');
    if (first == std::string_view::npos) {
        return std::nullopt;
    }
    const auto second = token.find('.', first + 1);
    if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
        return std::nullopt;
    }
    Parts parts{token.substr(0, first), token.substr(first + 1, second - first - 1),
                token.substr(second + 1)};
    if (parts.header.empty() || parts.payload.empty() || parts.signature.empty()) {
        return std::nullopt;
    }
    return parts;
}

Status check_header(const json::object& header) {
    const auto* alg = header.if_contains("alg");
    if (alg == nullptr || !alg->is_string() || alg->get_string() != "HS256") {
        return unauthorized("token alg is not HS256");
    }
    const auto* typ = header.if_contains("typ");
    if (typ != nullptr && (!typ->is_string() || typ->get_string() != "JWT")) {
        return unauthorized("token typ is not JWT");
    }
    return Ok{};
}

Result<std::string> subject_of(const json::object& payload) {
    const auto* sub = payload.if_contains("sub");
    if (sub == nullptr || !sub->is_string()) {
        return unauthorized("token sub is missing or not a string");
    }
    const json::string& text = sub->get_string();
    if (text.empty() || text.size() > kJwtSubjectLengthMax) {
        return unauthorized("token sub is empty or longer than 64 characters");
    }
    return std::string(text);
}

}  // namespace

std::string mint_jwt(std::string_view secret, std::string_view subject, TimePoint issued_at,
                     TimePoint expires_at) {
    const json::object payload{{"sub", subject},
                               {"iat", unix_seconds(issued_at)},
                               {"exp", unix_seconds(expires_at)}};
    std::string signing_input = base64url_encode(kHeader);
    signing_input += '.';
    signing_input += base64url_encode(json::serialize(payload));
    const std::string signature = hmac_sha256(secret, signing_input);
    return signing_input + '.' + base64url_encode(signature);
}

namespace {

struct Claims {
    std::string subject;
    std::int64_t expires_at = 0;                                       // unix seconds
    std::int64_t not_before = std::numeric_limits<std::int64_t>::min();  // unix seconds
};

Status check_times(const Claims& claims, TimePoint now) {
    if (unix_seconds(now) >= claims.expires_at) {
        return unauthorized("token expired");
    }
    if (unix_seconds(now) < claims.not_before) {
        return unauthorized("token not valid yet (nbf)");
    }
    return Ok{};
}

Result<Claims> claims_of(const json::object& payload) {
    Claims claims;
    const auto* exp_value = payload.if_contains("exp");
    const auto exp = exp_value ? integer_claim(*exp_value) : std::nullopt;
    if (!exp) {
        return unauthorized("token exp is missing or not an integer");
    }
    claims.expires_at = *exp;
    if (const auto* nbf_value = payload.if_contains("nbf")) {
        const auto nbf = integer_claim(*nbf_value);
        if (!nbf) {
            return unauthorized("token nbf is not an integer");
        }
        claims.not_before = *nbf;
    }
    auto subject = subject_of(payload);
    if (!subject) return subject.error();
    claims.subject = std::move(*subject);
    return claims;
}

// Everything verify_jwt checks but the times, which the caller checks against its `now`.
Result<Claims> verify_signed_claims(std::string_view token, std::string_view secret) {
    if (token.size() > kJwtLengthMax) {
        return unauthorized("token longer than 4096 characters");
    }
    const auto parts = split_token(token);
    if (!parts) {
        return unauthorized("token is not three dot-separated parts");
    }
    const auto header_text = base64url_decode(parts->header);
    const auto payload_text = base64url_decode(parts->payload);
    const auto signature = base64url_decode(parts->signature);
    if (!header_text || !payload_text || !signature) {
        return unauthorized("token part is not valid base64url");
    }
    const auto header = parse_object(*header_text);
    if (!header) {
        return unauthorized("token header is not a JSON object");
    }
    if (auto status = check_header(*header); !status) {
        return status.error();
    }
    const std::string_view signing_input =
        token.substr(0, parts->header.size() + 1 + parts->payload.size());
    if (!constant_time_equal(*signature, hmac_sha256(secret, signing_input))) {
        return unauthorized("token signature does not match");
    }
    const auto payload = parse_object(*payload_text);
    if (!payload) {
        return unauthorized("token payload is not a JSON object");
    }
    return claims_of(*payload);
}

Result<std::string> subject_if_current(Result<Claims> claims, TimePoint now) {
    if (!claims) return claims.error();
    if (auto status = check_times(*claims, now); !status) return status.error();
    return std::move(claims->subject);
}

// One thread's remembered tokens, for every verifier on the thread.
class VerifiedTokens {
public:
    struct Entry {
        std::string token;
        Claims claims;
        std::uint64_t verifier = 0;  // 0: empty
        std::uint64_t used = 0;      // when last hit or stored, to evict the older way
    };

    // The set of two ways that `token` belongs to, sized on first use.
    std::span<Entry, 2> set_of(std::string_view token, std::size_t sets) {
        if (entries_.size() < sets * 2) entries_.resize(sets * 2);
        const auto set = std::hash<std::string_view>{}(token) & (sets - 1);
        return std::span<Entry, 2>(entries_.data() + set * 2, 2);
    }
    std::uint64_t tick() { return ++clock_; }

private:
    std::vector<Entry> entries_;
    std::uint64_t clock_ = 0;
};

thread_local VerifiedTokens verified_tokens;

std::atomic<std::uint64_t> next_verifier_id{1};

std::size_t sets_for(std::size_t entries) {
    if (entries < 2) return 0;
    return std::bit_floor(entries / 2);
}

}  // namespace

Result<std::string> verify_jwt(std::string_view token, std::string_view secret, TimePoint now) {
    return subject_if_current(verify_signed_claims(token, secret), now);
}

JwtVerifier::JwtVerifier(std::string secret, std::size_t cache_entries)
    : secret_(std::move(secret)), sets_(sets_for(cache_entries)), id_(next_verifier_id++) {}

Result<std::string> JwtVerifier::verify(std::string_view token, TimePoint now) const {
    if (sets_ == 0 || token.size() > kJwtLengthMax) {
        return verify_jwt(token, secret_, now);
    }
    auto set = verified_tokens.set_of(token, sets_);
    for (auto& entry : set) {
        // Constant time: a slot holds another buyer's valid token, and how long a compare
        // took must not tell a prober how much of it they guessed.
        if (entry.verifier == id_ && constant_time_equal(entry.token, token)) {
            entry.used = verified_tokens.tick();
            if (auto status = check_times(entry.claims, now); !status) return status.error();
            return entry.claims.subject;
        }
    }
    auto claims = verify_signed_claims(token, secret_);
    if (claims) {
        auto& victim = set[0].used <= set[1].used ? set[0] : set[1];
        victim = {std::string(token), *claims, id_, verified_tokens.tick()};
    }
    return subject_if_current(std::move(claims), now);
}

}  // namespace flashsale
