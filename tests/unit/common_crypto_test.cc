// HMAC-SHA256 and SHA-256 against published vectors, constant-time comparison, random hex and
// the unpadded base64url that JWTs use.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "common/crypto.h"

namespace flashsale {
namespace {

std::string to_hex(std::string_view bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char byte : bytes) {
        out += kHex[byte >> 4];
        out += kHex[byte & 0x0f];
    }
    return out;
}

std::string repeat(char c, std::size_t count) { return std::string(count, c); }

// RFC 4231 section 4: HMAC-SHA-256 test cases 1, 2, 3, 4, 6 and 7 (5 is a truncated output).
TEST(HmacSha256, Rfc4231Vectors) {
    EXPECT_EQ(to_hex(hmac_sha256(repeat('\x0b', 20), "Hi There")),
              "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    // Each thread keeps a keyed context per key: interleaved keys must not leak into each other.
    for (int round = 0; round < 20; ++round) {
        const std::string key = "key-" + std::to_string(round % 11);
        EXPECT_EQ(hmac_sha256(key, "message"), hmac_sha256(key, "message"));
        EXPECT_NE(hmac_sha256(key, "message"), hmac_sha256(key + "x", "message"));
    }
    EXPECT_EQ(to_hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    EXPECT_EQ(to_hex(hmac_sha256(repeat('\xaa', 20), repeat('\xdd', 50))),
              "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
    std::string key4;
    for (char c = 1; c <= 25; ++c) {
        key4 += c;
    }
    EXPECT_EQ(to_hex(hmac_sha256(key4, repeat('\xcd', 50))),
              "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
    EXPECT_EQ(to_hex(hmac_sha256(repeat('\xaa', 131),
                                 "Test Using Larger Than Block-Size Key - Hash Key First")),
              "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    EXPECT_EQ(to_hex(hmac_sha256(
                  repeat('\xaa', 131),
                  "This is a test using a larger than block-size key and a larger than block-size "
                  "data. The key needs to be hashed before being used by the HMAC algorithm.")),
              "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST(HmacSha256, EmptyKeyAndDataGiveThirtyTwoBytes) {
    EXPECT_EQ(to_hex(hmac_sha256("", "")),
              "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(Sha256, KnownDigests) {
    EXPECT_EQ(to_hex(sha256("")),
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(to_hex(sha256("abc")),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ConstantTimeEqual, ComparesContentAndLength) {
    EXPECT_TRUE(constant_time_equal("", ""));
    EXPECT_TRUE(constant_time_equal("secret", "secret"));
    EXPECT_FALSE(constant_time_equal("secret", "secreT"));
    EXPECT_FALSE(constant_time_equal("secret", "secret!"));
    EXPECT_FALSE(constant_time_equal("", "a"));
    EXPECT_FALSE(constant_time_equal("a", ""));
    EXPECT_FALSE(constant_time_equal("secret!", "secret"));
    EXPECT_TRUE(constant_time_equal(std::string("a\0b", 3), std::string("a\0b", 3)));
    EXPECT_FALSE(constant_time_equal(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST(RandomHex, LengthAlphabetAndUniqueness) {
    EXPECT_EQ(random_hex(0), "");
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) {
        const std::string value = random_hex(16);
        ASSERT_EQ(value.size(), 32u);
        EXPECT_EQ(value.find_first_not_of("0123456789abcdef"), std::string::npos) << value;
        seen.insert(value);
    }
    EXPECT_EQ(seen.size(), 100u);
}

// RFC 4648 section 10 vectors, without padding.
TEST(Base64Url, Rfc4648Vectors) {
    const std::pair<std::string, std::string> vectors[] = {
        {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
        {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
    };
    for (const auto& [plain, encoded] : vectors) {
        EXPECT_EQ(base64url_encode(plain), encoded);
        EXPECT_EQ(base64url_decode(encoded), plain) << encoded;
    }
}

TEST(Base64Url, UsesUrlSafeAlphabet) {
    EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
    EXPECT_EQ(base64url_encode("\xff\xff\xfe"), "___-");
    EXPECT_EQ(base64url_decode("-_8"), std::string("\xfb\xff"));
}

TEST(Base64Url, RoundTripsEveryByteAtEveryLength) {
    std::string all;
    for (int i = 0; i < 256; ++i) {
        all += static_cast<char>(i);
    }
    for (std::size_t length = 0; length <= all.size(); ++length) {
        const std::string data = all.substr(all.size() - length);
        const std::string encoded = base64url_encode(data);
        EXPECT_EQ(encoded.find_first_of("+/="), std::string::npos);
        ASSERT_EQ(base64url_decode(encoded), data) << "length " << length;
    }
}

TEST(Base64Url, RejectsPaddingBadCharactersAndImpossibleLengths) {
    EXPECT_FALSE(base64url_decode("Zg=="));
    EXPECT_FALSE(base64url_decode("Zm8="));
    EXPECT_FALSE(base64url_decode("Z"));
    EXPECT_FALSE(base64url_decode("A"));
    EXPECT_FALSE(base64url_decode("Zm9vA"));
    EXPECT_FALSE(base64url_decode("Zm9vY"));
    EXPECT_FALSE(base64url_decode("Zm+v"));
    EXPECT_FALSE(base64url_decode("Zm/v"));
    EXPECT_FALSE(base64url_decode("Zm9v!"));
    EXPECT_FALSE(base64url_decode("Zm 9v"));
    EXPECT_FALSE(base64url_decode("Zm9v\n"));
    EXPECT_FALSE(base64url_decode(std::string("Zm\0v", 4)));
}

TEST(Base64Url, RejectsNonCanonicalTrailingBits) {
    // "Zh" carries the same byte as "Zg" plus set bits that no encoder produces.
    EXPECT_FALSE(base64url_decode("Zh"));
    EXPECT_FALSE(base64url_decode("Zm9"));
    EXPECT_EQ(base64url_decode("Zm8"), "fo");
}

}  // namespace
}  // namespace flashsale
