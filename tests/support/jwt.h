// JSON Web Tokens for tests, minted here with OpenSSL (HS256, base64url) and independent of the
// server's own code, so a bug shared by both sides cannot hide. Also the forgeries a server must
// refuse: alg "none", another algorithm, a wrong or tampered signature, an expired token.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace flashsale::testing::jwt {

std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

// A valid token for `user_id`: HS256, sub = user_id, iat = now, exp = now + ttl.
std::string mint(std::string_view secret, std::string_view user_id,
                 std::chrono::seconds ttl = std::chrono::hours(1));

// header.payload.signature with the given parts; `algorithm` picks the HMAC used for the
// signature ("HS256", "HS512"), anything else leaves the signature empty.
std::string sign(const boost::json::object& header, const boost::json::object& claims,
                 std::string_view secret, std::string_view algorithm);

// The standard claims of a token for `user_id` valid for `ttl` from now (negative: expired).
boost::json::object claims_for(std::string_view user_id, std::chrono::seconds ttl);

std::string forge_alg_none(std::string_view user_id);
std::string forge_hs512(std::string_view secret, std::string_view user_id);
std::string forge_wrong_secret(std::string_view user_id);
// A correctly signed token whose payload is then replaced (sub changed to `other_user_id`).
std::string forge_tampered(std::string_view secret, std::string_view user_id,
                           std::string_view other_user_id);
// Signed correctly, expired an hour ago (far outside any clock-skew leeway).
std::string forge_expired(std::string_view secret, std::string_view user_id);

// The decoded payload of a token, or nullopt when it is not three base64url JSON parts.
std::optional<boost::json::object> decode_claims(std::string_view token);

}  // namespace flashsale::testing::jwt
