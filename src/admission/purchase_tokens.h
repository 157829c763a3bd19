// Gate 6 and the hidden purchase path: POST /sales/{id}/token issues a short-lived token bound
// to (user, sale, expiry), signed with HMAC-SHA256; a sale with require_token accepts a
// purchase only with such a token of the same user and sale, not yet expired.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "admission/signer.h"
#include "admission/verdict.h"
#include "common/clock.h"

namespace flashsale::admission {

class PurchaseTokens {
public:
    // `signer` outlives this object.
    PurchaseTokens(const Signer& signer, std::chrono::seconds ttl) : signer_(signer), ttl_(ttl) {}

    struct Issued {
        std::string token;
        TimePoint expires_at;
    };
    Issued issue(std::string_view sale_id, std::string_view user_id, TimePoint now) const;
    // Admitted, or the reason the token is not good for this user, sale and time.
    Verdict verify(std::string_view token, std::string_view sale_id, std::string_view user_id,
                   TimePoint now) const;

    // For purchases of sales that require a token; engine time decides the expiry.
    Verdict check(const RequestView& request) const;

private:
    const Signer& signer_;
    std::chrono::seconds ttl_;
};

}  // namespace flashsale::admission
