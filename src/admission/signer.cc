#include "admission/signer.h"

#include "common/crypto.h"

namespace flashsale::admission {

namespace {

std::string hex(std::string_view bytes) {
    constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out += kDigits[c >> 4];
        out += kDigits[c & 15];
    }
    return out;
}

}  // namespace

Signer::Key Signer::make_key(std::string secret) {
    auto id = hex(sha256(secret).substr(0, 4));
    return {std::move(secret), std::move(id)};
}

Signer::Signer(std::string current, std::string previous) : current_(make_key(std::move(current))) {
    if (!previous.empty()) previous_ = make_key(std::move(previous));
}

const Signer::Key* Signer::key_by_id(std::string_view id) const {
    if (id == current_.id) return &current_;
    if (previous_ && id == previous_->id) return &*previous_;
    return nullptr;
}

std::string Signer::sign(std::string_view payload) const {
    auto encoded = base64url_encode(payload);
    auto mac = hmac_sha256(current_.secret, current_.id + "." + encoded);
    return current_.id + "." + encoded + "." + base64url_encode(mac);
}

std::optional<std::string> Signer::open(std::string_view text) const {
    constexpr std::size_t kTextMax = 2048;
    if (text.size() > kTextMax) return std::nullopt;
    const auto first = text.find('.');
    const auto second = first == std::string_view::npos ? first : text.find('.', first + 1);
    if (second == std::string_view::npos) return std::nullopt;
    const Key* key = key_by_id(text.substr(0, first));
    if (key == nullptr) return std::nullopt;
    auto mac = base64url_decode(text.substr(second + 1));
    if (!mac) return std::nullopt;
    const auto expected = hmac_sha256(key->secret, text.substr(0, second));
    if (!constant_time_equal(*mac, expected)) return std::nullopt;
    return base64url_decode(text.substr(first + 1, second - first - 1));
}

}  // namespace flashsale::admission
