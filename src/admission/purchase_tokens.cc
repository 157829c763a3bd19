#include "admission/purchase_tokens.h"

#include <charconv>
#include <vector>

#include "admission/sale_directory.h"

namespace flashsale::admission {

namespace {

constexpr std::string_view kTokenTag = "t1";

// Splits on '\n' into exactly `count` fields, or returns an empty vector.
std::vector<std::string_view> fields(std::string_view text, std::size_t count) {
    std::vector<std::string_view> out;
    while (out.size() + 1 < count) {
        auto end = text.find('\n');
        if (end == std::string_view::npos) return {};
        out.push_back(text.substr(0, end));
        text.remove_prefix(end + 1);
    }
    if (text.find('\n') != std::string_view::npos) return {};
    out.push_back(text);
    return out;
}

}  // namespace

PurchaseTokens::Issued PurchaseTokens::issue(std::string_view sale_id, std::string_view user_id,
                                             TimePoint now) const {
    const TimePoint expires_at = now + ttl_;
    std::string payload = std::string(kTokenTag) + "\n" + std::string(sale_id) + "\n" +
                          std::string(user_id) + "\n" + std::to_string(to_unix_ms(expires_at));
    return {signer_.sign(payload), expires_at};
}

Verdict PurchaseTokens::verify(std::string_view token, std::string_view sale_id,
                               std::string_view user_id, TimePoint now) const {
    auto payload = signer_.open(token);
    if (!payload) return Verdict::refuse(Reason::kTokenInvalid);
    auto parts = fields(*payload, 4);
    std::int64_t expires_ms = 0;
    if (parts.empty() || parts[0] != kTokenTag ||
        std::from_chars(parts[3].data(), parts[3].data() + parts[3].size(), expires_ms).ec !=
            std::errc{}) {
        return Verdict::refuse(Reason::kTokenInvalid);
    }
    if (parts[1] != sale_id) return Verdict::refuse(Reason::kTokenWrongSale);
    if (parts[2] != user_id) return Verdict::refuse(Reason::kTokenWrongUser);
    if (to_unix_ms(now) >= expires_ms) return Verdict::refuse(Reason::kTokenExpired);
    return Verdict::admit();
}

Verdict PurchaseTokens::check(const RequestView& request) const {
    if (request.action != Action::kPurchase || request.sale == nullptr ||
        !request.sale->require_token()) {
        return Verdict::admit();
    }
    if (request.purchase_token.empty()) return Verdict::refuse(Reason::kTokenMissing);
    return verify(request.purchase_token, request.sale_id, request.user_id, request.engine_now);
}

}  // namespace flashsale::admission
