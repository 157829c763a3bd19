// JWT minting and forging for tests: see jwt.h.
#include "support/jwt.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <vector>

namespace flashsale::testing::jwt {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::int64_t unix_now_s() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string hmac(const EVP_MD* digest, std::string_view key, std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    unsigned int length = 0;
    HMAC(digest, key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &length);
    return std::string(reinterpret_cast<const char*>(out.data()), length);
}

boost::json::object header_for(std::string_view algorithm) {
    return {{"alg", algorithm}, {"typ", "JWT"}};
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
    std::string out;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (unsigned char c : bytes) {
        buffer = (buffer << 8) | c;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out.push_back(kAlphabet[(buffer >> bits) & 0x3f]);
        }
    }
    if (bits > 0) out.push_back(kAlphabet[(buffer << (6 - bits)) & 0x3f]);
    return out;  // unpadded, as RFC 7515 requires
}

std::optional<std::string> base64url_decode(std::string_view text) {
    std::string out;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (char c : text) {
        const auto index = kAlphabet.find(c);
        if (index == std::string_view::npos) return std::nullopt;
        buffer = (buffer << 6) | static_cast<std::uint32_t>(index);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((buffer >> bits) & 0xff));
        }
    }
    return out;
}

std::string sign(const boost::json::object& header, const boost::json::object& claims,
                 std::string_view secret, std::string_view algorithm) {
    const std::string signing_input = base64url_encode(boost::json::serialize(header)) + "." +
                                      base64url_encode(boost::json::serialize(claims));
    std::string signature;
    if (algorithm == "HS256") signature = hmac(EVP_sha256(), secret, signing_input);
    if (algorithm == "HS512") signature = hmac(EVP_sha512(), secret, signing_input);
    return signing_input + "." + base64url_encode(signature);
}

boost::json::object claims_for(std::string_view user_id, std::chrono::seconds ttl) {
    const std::int64_t now = unix_now_s();
    return {{"sub", user_id}, {"iat", now}, {"exp", now + ttl.count()}};
}

std::string mint(std::string_view secret, std::string_view user_id, std::chrono::seconds ttl) {
    return sign(header_for("HS256"), claims_for(user_id, ttl), secret, "HS256");
}

std::string forge_alg_none(std::string_view user_id) {
    // The classic bypass: alg "none" and an empty signature ("header.payload.").
    return sign(header_for("none"), claims_for(user_id, std::chrono::hours(1)), "", "none");
}

std::string forge_hs512(std::string_view secret, std::string_view user_id) {
    // Signed with the right secret, but only HS256 is configured: must still be refused.
    return sign(header_for("HS512"), claims_for(user_id, std::chrono::hours(1)), secret, "HS512");
}

std::string forge_wrong_secret(std::string_view user_id) {
    return mint("not-the-server-secret-at-all-0000", user_id);
}

std::string forge_tampered(std::string_view secret, std::string_view user_id,
                           std::string_view other_user_id) {
    const std::string genuine = mint(secret, user_id);
    const auto first_dot = genuine.find('.');
    const auto second_dot = genuine.find('.', first_dot + 1);
    const std::string payload =
        base64url_encode(boost::json::serialize(claims_for(other_user_id, std::chrono::hours(1))));
    return genuine.substr(0, first_dot + 1) + payload + genuine.substr(second_dot);
}

std::string forge_expired(std::string_view secret, std::string_view user_id) {
    return sign(header_for("HS256"), claims_for(user_id, -std::chrono::hours(1)), secret, "HS256");
}

std::optional<boost::json::object> decode_claims(std::string_view token) {
    const auto first_dot = token.find('.');
    const auto second_dot = token.find('.', first_dot + 1);
    if (first_dot == std::string_view::npos || second_dot == std::string_view::npos) {
        return std::nullopt;
    }
    const auto payload = base64url_decode(token.substr(first_dot + 1, second_dot - first_dot - 1));
    if (!payload) return std::nullopt;
    boost::system::error_code ec;
    boost::json::value value = boost::json::parse(*payload, ec);
    if (ec || !value.is_object()) return std::nullopt;
    return value.as_object();
}

}  // namespace flashsale::testing::jwt
