// The shared secrets (admin bearer token, JWT signing key, the HMAC key of purchase tokens
// and proof-of-work challenges). An operator may set them; if
// not, each is generated once into the data directory and read back on every later start, so
// tokens stay valid across restarts without anyone having to invent a key.
#pragma once

#include <cstddef>

#include "app/config.h"

namespace flashsale::app {

inline constexpr std::size_t kSecretLengthMin = 16;

// Fills config.auth.admin_token, config.auth.jwt_secret and config.admission.token_key
// (token_key_previous is never generated). A configured value must have at
// least 16 characters and is used as is (never written). An empty one is read from
// <data_dir>/admin_token (resp. jwt_secret, token_key), trimmed, or else generated (32 random bytes, hex)
// and written there with mode 0600 by write-then-rename. Throws ConfigError.
void resolve_secrets(Config& config);

}  // namespace flashsale::app
