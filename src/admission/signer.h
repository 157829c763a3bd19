// Signs and opens the short texts the server hands to clients and takes back later (purchase
// tokens, proof-of-work challenges): "<key id>.<base64url payload>.<base64url HMAC-SHA256>".
// Two keys are valid at a time, so keys rotate without refusing what the previous one signed:
// sign with the current key, accept either. The key id is public (a digest prefix of the key),
// so opening tries exactly one key, and the MAC is compared in constant time.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace flashsale::admission {

class Signer {
public:
    // `previous` may be empty (no rotation in progress).
    Signer(std::string current, std::string previous);

    std::string sign(std::string_view payload) const;
    // The payload when the text is well formed and its MAC verifies under one of the keys.
    std::optional<std::string> open(std::string_view text) const;

private:
    struct Key {
        std::string secret;
        std::string id;  // 8 hex digits
    };
    static Key make_key(std::string secret);
    const Key* key_by_id(std::string_view id) const;

    Key current_;
    std::optional<Key> previous_;
};

}  // namespace flashsale::admission
