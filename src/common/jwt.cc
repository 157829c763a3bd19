#include "common/jwt.h"

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>

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

Status check_times(const json::object& payload, TimePoint now) {
    const auto* exp_value = payload.if_contains("exp");
    const auto exp = exp_value ? integer_claim(*exp_value) : std::nullopt;
    if (!exp) {
        return unauthorized("token exp is missing or not an integer");
    }
    if (unix_seconds(now) >= *exp) {
        return unauthorized("token expired");
    }
    if (const auto* nbf_value = payload.if_contains("nbf")) {
        const auto nbf = integer_claim(*nbf_value);
        if (!nbf) {
            return unauthorized("token nbf is not an integer");
        }
        if (unix_seconds(now) < *nbf) {
            return unauthorized("token not valid yet (nbf)");
        }
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

Result<std::string> verify_jwt(std::string_view token, std::string_view secret, TimePoint now) {
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
    if (auto status = check_times(*payload, now); !status) {
        return status.error();
    }
    return subject_of(*payload);
}

}  // namespace flashsale
