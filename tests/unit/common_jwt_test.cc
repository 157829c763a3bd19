// HS256 JWTs: minted tokens verify, and every malformed, forged, expired or premature token is
// refused with a message saying why.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "common/crypto.h"
#include "common/jwt.h"

namespace flashsale {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef";
const TimePoint kNow = from_unix_ms(1'700'000'000'000);  // 2023-11-14T22:13:20Z
constexpr std::int64_t kNowS = 1'700'000'000;

// A token with arbitrary header and payload JSON, correctly signed, so that each test reaches
// exactly the check it is about.
std::string sign(std::string_view header, std::string_view payload,
                 std::string_view secret = kSecret) {
    std::string input = base64url_encode(header) + "." + base64url_encode(payload);
    return input + "." + base64url_encode(hmac_sha256(secret, input));
}

std::string payload_with_exp(std::int64_t exp, std::string_view extra = "") {
    return "{\"sub\":\"alice\",\"exp\":" + std::to_string(exp) + std::string(extra) + "}";
}

constexpr std::string_view kHeader = R"({"alg":"HS256","typ":"JWT"})";

void expect_refusal(const Result<std::string>& result, const std::string& token,
                    std::string_view reason) {
    ASSERT_FALSE(result.ok()) << "accepted: " << token;
    EXPECT_EQ(result.error().code, Errc::kUnauthorized);
    EXPECT_NE(result.error().message.find(reason), std::string::npos)
        << "message '" << result.error().message << "' lacks '" << reason << "'";
}

std::string subject_or_empty(const Result<std::string>& result) {
    return result.ok() ? *result : std::string();
}

// Refused by verify_jwt, and twice by a caching verifier: a refusal is never remembered.
void expect_refused(const std::string& token, std::string_view reason,
                    std::string_view secret = kSecret, TimePoint now = kNow) {
    expect_refusal(verify_jwt(token, secret, now), token, reason);
    const JwtVerifier verifier{std::string(secret), 64};
    expect_refusal(verifier.verify(token, now), token, reason);
    expect_refusal(verifier.verify(token, now), token, reason);
}

TEST(Jwt, RoundTrip) {
    const std::string token = mint_jwt(kSecret, "user-42", kNow, kNow + 1h);
    auto subject = verify_jwt(token, kSecret, kNow);
    ASSERT_TRUE(subject.ok()) << subject.error().message;
    EXPECT_EQ(*subject, "user-42");
    EXPECT_TRUE(verify_jwt(token, kSecret, kNow + 1h - 1s).ok());
}

TEST(Jwt, MintedTokenHasTheDocumentedShape) {
    const std::string token = mint_jwt(kSecret, "bob", kNow + 500ms, kNow + 60s + 999ms);
    const auto first = token.find('.');
    const auto second = token.find('.', first + 1);
    ASSERT_NE(second, std::string::npos);
    EXPECT_EQ(base64url_decode(token.substr(0, first)), R"({"alg":"HS256","typ":"JWT"})");
    EXPECT_EQ(base64url_decode(token.substr(first + 1, second - first - 1)),
              R"({"sub":"bob","iat":1700000000,"exp":1700000060})");
}

TEST(Jwt, AcceptsTokensFromOtherIssuers) {
    // No typ, extra claims, whitespace in JSON: all legal.
    const std::string token =
        sign(R"({ "alg" : "HS256" })",
             R"({"iss":"shop","sub":"carol","exp":1700003600,"nbf":1700000000,"role":["x"]})");
    auto subject = verify_jwt(token, kSecret, kNow);
    ASSERT_TRUE(subject.ok()) << subject.error().message;
    EXPECT_EQ(*subject, "carol");
}

TEST(Jwt, RefusesAlgNone) {
    const std::string payload = base64url_encode(payload_with_exp(kNowS + 60));
    expect_refused(base64url_encode(R"({"alg":"none","typ":"JWT"})") + "." + payload + ".",
                   "three dot-separated parts");
    expect_refused(sign(R"({"alg":"none","typ":"JWT"})", payload_with_exp(kNowS + 60)), "alg");
}

TEST(Jwt, RefusesOtherAlgorithms) {
    for (const char* header : {R"({"alg":"HS512","typ":"JWT"})", R"({"alg":"RS256","typ":"JWT"})",
                               R"({"alg":"hs256","typ":"JWT"})", R"({"alg":"HS256 "})",
                               R"({"typ":"JWT"})", R"({"alg":256})"}) {
        expect_refused(sign(header, payload_with_exp(kNowS + 60)), "alg");
    }
}

TEST(Jwt, RefusesOtherTyp) {
    expect_refused(sign(R"({"alg":"HS256","typ":"JWE"})", payload_with_exp(kNowS + 60)), "typ");
    expect_refused(sign(R"({"alg":"HS256","typ":1})", payload_with_exp(kNowS + 60)), "typ");
}

TEST(Jwt, RefusesHeaderThatIsNotAnObject) {
    expect_refused(sign(R"(["HS256"])", payload_with_exp(kNowS + 60)), "header");
    expect_refused(sign(R"({"alg":"HS256")", payload_with_exp(kNowS + 60)), "header");
}

TEST(Jwt, RefusesBadSignature) {
    std::string token = mint_jwt(kSecret, "alice", kNow, kNow + 1h);
    // Flip a bit in the first signature character; the encoding stays canonical.
    const auto position = token.rfind('.') + 1;
    token[position] = token[position] == 'A' ? 'B' : 'A';
    expect_refused(token, "signature");
    const std::string other = mint_jwt(kSecret, "alice", kNow, kNow + 1h);
    const std::string signed_part = other.substr(0, other.rfind('.') + 1);
    expect_refused(signed_part + base64url_encode(std::string(31, 'x')), "signature");
    expect_refused(signed_part + base64url_encode(std::string(32, '\0')), "signature");
}

TEST(Jwt, RefusesWrongSecret) {
    const std::string token = mint_jwt("another-secret-of-enough-length", "alice", kNow, kNow + 1h);
    expect_refused(token, "signature");
}

TEST(Jwt, RefusesTamperedPayload) {
    const std::string token = mint_jwt(kSecret, "alice", kNow, kNow + 1h);
    const auto first = token.find('.');
    const auto second = token.find('.', first + 1);
    const std::string forged = token.substr(0, first + 1) +
                               base64url_encode(R"({"sub":"admin","exp":1700003600})") +
                               token.substr(second);
    expect_refused(forged, "signature");
}

TEST(Jwt, RefusesExpired) {
    const std::string token = mint_jwt(kSecret, "alice", kNow - 1h, kNow);
    expect_refused(token, "expired");
    expect_refused(token, "expired", kSecret, kNow + 1s);
    EXPECT_TRUE(verify_jwt(token, kSecret, kNow - 1ms).ok());
}

TEST(Jwt, RefusesMissingOrNonIntegerExp) {
    expect_refused(sign(kHeader, R"({"sub":"alice"})"), "exp");
    expect_refused(sign(kHeader, R"({"sub":"alice","exp":"1700003600"})"), "exp");
    expect_refused(sign(kHeader, R"({"sub":"alice","exp":1700003600.5})"), "exp");
    expect_refused(sign(kHeader, R"({"sub":"alice","exp":null})"), "exp");
}

TEST(Jwt, RefusesMissingOrInvalidSub) {
    const std::string exp = std::to_string(kNowS + 60);
    expect_refused(sign(kHeader, R"({"exp":)" + exp + "}"), "sub");
    expect_refused(sign(kHeader, R"({"sub":42,"exp":)" + exp + "}"), "sub");
    expect_refused(sign(kHeader, R"({"sub":"","exp":)" + exp + "}"), "sub");
    expect_refused(sign(kHeader, R"({"sub":")" + std::string(65, 'u') + R"(","exp":)" + exp + "}"),
                   "sub");
    auto longest =
        verify_jwt(mint_jwt(kSecret, std::string(64, 'u'), kNow, kNow + 1h), kSecret, kNow);
    EXPECT_TRUE(longest.ok());
}

TEST(Jwt, RefusesPayloadThatIsNotAnObject) {
    expect_refused(sign(kHeader, "\"alice\""), "payload");
    expect_refused(sign(kHeader, "{\"sub\":"), "payload");
}

TEST(Jwt, RefusesMalformedBase64) {
    const std::string token = mint_jwt(kSecret, "alice", kNow, kNow + 1h);
    expect_refused(std::string(1, '*') + token.substr(1), "base64url");
    expect_refused(token + "=", "base64url");
    const auto first = token.find('.');
    expect_refused(token.substr(0, first + 1) + "+" + token.substr(first + 1), "base64url");
    expect_refused(token.substr(0, first) + "=." + token.substr(first + 1), "base64url");
}

TEST(Jwt, RefusesWrongNumberOfParts) {
    const std::string token = mint_jwt(kSecret, "alice", kNow, kNow + 1h);
    expect_refused(token.substr(0, token.rfind('.')), "three dot-separated parts");
    expect_refused(token + ".e30", "three dot-separated parts");
    expect_refused("", "three dot-separated parts");
    expect_refused("..", "three dot-separated parts");
    expect_refused("Bearer", "three dot-separated parts");
}

TEST(Jwt, RefusesOversizedToken) {
    const std::string padding(5000, 'x');
    const std::string token =
        sign(kHeader, R"({"sub":"alice","exp":)" + std::to_string(kNowS + 60) + R"(,"pad":")" +
                          padding + "\"}");
    ASSERT_GT(token.size(), kJwtLengthMax);
    expect_refused(token, "4096");
}

TEST(Jwt, RefusesNotYetValid) {
    expect_refused(sign(kHeader, payload_with_exp(kNowS + 60, ",\"nbf\":1700000001")), "nbf");
    expect_refused(sign(kHeader, payload_with_exp(kNowS + 60, ",\"nbf\":\"soon\"")), "nbf");
    EXPECT_TRUE(verify_jwt(sign(kHeader, payload_with_exp(kNowS + 60, ",\"nbf\":1700000000")),
                           kSecret, kNow)
                    .ok());
}

TEST(JwtVerifier, ARememberedTokenStillExpires) {
    const JwtVerifier verifier{std::string(kSecret), 64};
    const std::string token = mint_jwt(kSecret, "alice", kNow - 1h, kNow + 1s);
    ASSERT_TRUE(verifier.verify(token, kNow).ok());
    EXPECT_EQ(subject_or_empty(verifier.verify(token, kNow + 999ms)), "alice");
    expect_refusal(verifier.verify(token, kNow + 1s), token, "expired");
}

TEST(JwtVerifier, ARememberedTokenIsNotValidBeforeItsNbf) {
    const JwtVerifier verifier{std::string(kSecret), 64};
    const std::string token = sign(kHeader, payload_with_exp(kNowS + 60, ",\"nbf\":1700000000"));
    ASSERT_TRUE(verifier.verify(token, kNow).ok());
    expect_refusal(verifier.verify(token, kNow - 1s), token, "nbf");
}

TEST(JwtVerifier, AnotherSecretsVerifierDoesNotTrustWhatThisOneRemembers) {
    const JwtVerifier ours{std::string(kSecret), 64};
    const JwtVerifier theirs{"another-secret-0123456789abcdef", 64};
    const std::string token = mint_jwt(kSecret, "alice", kNow, kNow + 1h);
    ASSERT_TRUE(ours.verify(token, kNow).ok());
    expect_refusal(theirs.verify(token, kNow), token, "signature");
}

TEST(JwtVerifier, ATamperedCopyOfARememberedTokenIsRefused) {
    const JwtVerifier verifier{std::string(kSecret), 64};
    const std::string token = mint_jwt(kSecret, "alice", kNow, kNow + 1h);
    ASSERT_TRUE(verifier.verify(token, kNow).ok());
    std::string forged = token;
    forged[forged.size() - 2] = forged[forged.size() - 2] == 'A' ? 'B' : 'A';
    expect_refusal(verifier.verify(forged, kNow), forged, "signature");
    const std::string prefix = token.substr(0, token.size() - 1);
    EXPECT_FALSE(verifier.verify(prefix, kNow).ok());
}

std::string user_name(int i) {
    std::string name = "user-";
    name += std::to_string(i);  // not "user-" + ...: GCC 12 warns wrongly (-Wrestrict) at -O3
    return name;
}

TEST(JwtVerifier, EvictionKeepsEveryAnswerRight) {
    const JwtVerifier verifier{std::string(kSecret), 8};  // far fewer slots than tokens
    const JwtVerifier uncached{std::string(kSecret), 0};
    std::vector<std::string> tokens;
    for (int i = 0; i < 100; ++i) {
        tokens.push_back(mint_jwt(kSecret, user_name(i), kNow, kNow + 1h));
    }
    for (int round = 0; round < 3; ++round) {
        for (int i = 0; i < 100; ++i) {
            const auto cached = verifier.verify(tokens[i], kNow);
            ASSERT_TRUE(cached.ok()) << cached.error().message;
            EXPECT_EQ(*cached, user_name(i));
            EXPECT_EQ(subject_or_empty(uncached.verify(tokens[i], kNow)), *cached);
        }
    }
}

}  // namespace
}  // namespace flashsale
