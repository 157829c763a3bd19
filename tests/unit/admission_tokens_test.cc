// Purchase tokens and the signer behind them: bound to user, sale and expiry; two keys during a
// rotation; and a flood of forgeries of every kind, none of which passes.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "admission/purchase_tokens.h"
#include "common/crypto.h"

namespace flashsale::admission {
namespace {

using namespace std::chrono_literals;

const TimePoint kNow = from_unix_ms(1'800'000'000'000);
const std::string kKey = "current-key-0123456789abcdef";
const std::string kOldKey = "previous-key-0123456789abcdef";

Reason refusal(const Verdict& verdict) {
    EXPECT_FALSE(verdict.admitted);
    return verdict.reason;
}

TEST(PurchaseTokens, ValidForItsUserSaleAndLifetimeOnly) {
    Signer signer(kKey, "");
    PurchaseTokens tokens(signer, 30s);
    const auto issued = tokens.issue("phone", "alice", kNow);
    EXPECT_EQ(issued.expires_at, kNow + 30s);
    EXPECT_TRUE(tokens.verify(issued.token, "phone", "alice", kNow + 29s).admitted);
    EXPECT_EQ(refusal(tokens.verify(issued.token, "phone", "bob", kNow)), Reason::kTokenWrongUser);
    EXPECT_EQ(refusal(tokens.verify(issued.token, "tv", "alice", kNow)), Reason::kTokenWrongSale);
    EXPECT_EQ(refusal(tokens.verify(issued.token, "phone", "alice", kNow + 30s)),
              Reason::kTokenExpired);
}

TEST(PurchaseTokens, KeysRotateWithTwoValidAtATime) {
    Signer old_signer(kOldKey, "");
    PurchaseTokens old_tokens(old_signer, 30s);
    const auto before = old_tokens.issue("phone", "alice", kNow).token;

    Signer rotated(kKey, kOldKey);
    PurchaseTokens tokens(rotated, 30s);
    EXPECT_TRUE(tokens.verify(before, "phone", "alice", kNow).admitted);
    EXPECT_TRUE(tokens.verify(tokens.issue("phone", "alice", kNow).token, "phone", "alice", kNow)
                    .admitted);

    Signer next("next-key-0123456789abcdef", kKey);  // the old key is now gone
    PurchaseTokens later(next, 30s);
    EXPECT_EQ(refusal(later.verify(before, "phone", "alice", kNow)), Reason::kTokenInvalid);
}

// 100,000 forged tokens: random text, tampered payloads, other keys, swapped signatures.
TEST(PurchaseTokens, HundredThousandForgeriesAreAllRefused) {
    Signer signer(kKey, "");
    PurchaseTokens tokens(signer, 30s);
    Signer attacker("attacker-key-0123456789abcdef", "");
    PurchaseTokens forged_tokens(attacker, 30s);
    const auto genuine = tokens.issue("phone", "alice", kNow).token;
    const auto mac_at = genuine.rfind('.');
    std::mt19937_64 random(42);
    int admitted = 0;
    for (int i = 0; i < 100'000; ++i) {
        std::string forged;
        switch (i % 5) {
            case 0: forged = random_hex(1 + random() % 64); break;
            case 1: {  // the genuine token with one character changed
                forged = genuine;
                auto& c = forged[random() % forged.size()];
                c = c == 'A' ? 'B' : 'A';
                break;
            }
            case 2:  // signed by another key, relabelled with ours
                forged = forged_tokens.issue("phone", "alice", kNow).token;
                forged = genuine.substr(0, genuine.find('.')) + forged.substr(forged.find('.'));
                break;
            case 3: {  // our payload for another user, with the genuine signature
                const std::string payload = "t1\nphone\nmallory\n" +
                                            std::to_string(to_unix_ms(kNow + 30s));
                forged = genuine.substr(0, genuine.find('.')) + "." + base64url_encode(payload) +
                         genuine.substr(mac_at);
                break;
            }
            default:  // genuine prefix, random signature
                forged = genuine.substr(0, mac_at + 1) + base64url_encode(random_hex(16));
        }
        admitted += tokens.verify(forged, "phone", "alice", kNow).admitted;
        admitted += tokens.verify(forged, "phone", "mallory", kNow).admitted;
    }
    EXPECT_EQ(admitted, 0);
}

}  // namespace
}  // namespace flashsale::admission
