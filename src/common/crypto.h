// Small wrappers over OpenSSL's libcrypto for what the server signs and checks: JWTs, purchase
// tokens, queue tickets and generated secrets. Strings carry raw bytes; nothing here allocates
// an OpenSSL object that outlives the call.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace flashsale {

// HMAC-SHA256 of data under key: 32 raw bytes.
std::string hmac_sha256(std::string_view key, std::string_view data);

// SHA-256 of data: 32 raw bytes.
std::string sha256(std::string_view data);

// Compares in time that depends only on the length, so a signature check leaks nothing about
// how many leading bytes matched. Different lengths compare unequal (lengths are public).
bool constant_time_equal(std::string_view a, std::string_view b);

// `bytes` random bytes from the OS-seeded CSPRNG as 2 * bytes lowercase hex digits. Throws
// std::runtime_error when the generator fails: there is no safe fallback for a secret.
std::string random_hex(std::size_t bytes);

// RFC 4648 section 5 alphabet without '=' padding, as JWTs use it.
std::string base64url_encode(std::string_view data);

// Accepts unpadded input only; nullopt on '=', a character outside the alphabet, a length
// that no encoding produces (4k + 1), or non-zero trailing bits (a non-canonical encoding).
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace flashsale
