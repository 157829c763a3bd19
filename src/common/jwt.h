// The bearer tokens users authenticate with: compact JWTs signed with HS256 under one shared
// secret, so a shop's login service can mint them without calling us. Verification is strict
// and names each refusal; all of them are kUnauthorized, the caller does not need to tell them
// apart but the logs do.
#pragma once

#include <cstddef>
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

}  // namespace flashsale
