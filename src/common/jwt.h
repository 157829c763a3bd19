// The bearer tokens users authenticate with: compact JWTs signed with HS256 under one shared
// secret, so a shop's login service can mint them without calling us. Verification is strict
// and names each refusal; all of them are kUnauthorized, the caller does not need to tell them
// apart but the logs do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/result.h"

namespace flashsale {

inline constexpr std::size_t kJwtLengthMax = 4096;
inline constexpr std::size_t kJwtSubjectLengthMax = 64;

// Header {"alg":"HS256","typ":"JWT"}, payload {"sub","iat","exp"} with times in whole seconds
// (truncated). Used by tests, the load generator and `flashsale token`.
std::string mint_jwt(std::string_view secret, std::string_view subject, TimePoint issued_at,
                     TimePoint expires_at);

// The token's subject when it is a well-formed HS256 JWT signed with `secret`, with an integer
// exp after `now` and, if it has one, an nbf at or before `now`. Anything else is kUnauthorized
// with a message saying why. Accepts only alg "HS256", whatever the token claims.
Result<std::string> verify_jwt(std::string_view token, std::string_view secret, TimePoint now);

// verify_jwt under one secret, remembering on each thread the tokens it verified lately: a
// buyer sends the same token with every request of a sale (token, purchase, order, WebSocket),
// and base64, two JSON parses and the HMAC were the largest part of an accepted purchase's CPU
// after the database. A remembered token is the whole token, signature included, so a hit
// proves what a verification would; exp and nbf are checked again on every hit. Each thread
// holds at most `cache_entries` tokens (2-way set-associative); 0 turns the cache off.
class JwtVerifier {
public:
    JwtVerifier(std::string secret, std::size_t cache_entries);

    Result<std::string> verify(std::string_view token, TimePoint now) const;

private:
    std::string secret_;
    std::size_t sets_;     // a power of two; 0 = no cache
    std::uint64_t id_;     // tells this verifier's entries from another's on the same thread
};

}  // namespace flashsale
