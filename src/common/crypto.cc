#include "common/crypto.h"

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "common/check.h"

namespace flashsale {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr int kInvalid = -1;

constexpr std::array<int, 256> make_decode_table() {
    std::array<int, 256> table{};
    table.fill(kInvalid);
    for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
        table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int>(i);
    }
    return table;
}
constexpr std::array<int, 256> kDecodeTable = make_decode_table();

const unsigned char* bytes_of(std::string_view text) {
    return reinterpret_cast<const unsigned char*>(text.data());
}

}  // namespace

namespace {

// OpenSSL 3's one-shot HMAC() looks the algorithm up and keys a new context on every call, which
// costs more than hashing a JWT. Each thread keeps a keyed context per key instead (a handful:
// the JWT secret and the token keys) and re-initialises it, key kept, for each message.
class HmacContexts {
public:
    ~HmacContexts() {
        for (auto& [key, context] : contexts_) EVP_MAC_CTX_free(context);
        EVP_MAC_free(mac_);
    }

    EVP_MAC_CTX* keyed(std::string_view key) {
        for (auto& [known, context] : contexts_) {
            if (known == key) {
                FS_CHECK(EVP_MAC_init(context, nullptr, 0, nullptr) == 1);
                return context;
            }
        }
        if (contexts_.size() >= kContextsMax) forget_all();
        EVP_MAC_CTX* context = EVP_MAC_CTX_new(mac());
        FS_CHECK(context != nullptr);
        char digest[] = "SHA256";
        const OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
            OSSL_PARAM_construct_end()};
        // OpenSSL wants a non-null key pointer even for an empty key.
        static const unsigned char kEmpty = 0;
        const unsigned char* key_data = key.empty() ? &kEmpty : bytes_of(key);
        FS_CHECK(EVP_MAC_init(context, key_data, key.size(), params) == 1);
        contexts_.emplace_back(std::string(key), context);
        return context;
    }

private:
    static constexpr std::size_t kContextsMax = 8;

    EVP_MAC* mac() {
        if (mac_ == nullptr) mac_ = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
        FS_CHECK(mac_ != nullptr);
        return mac_;
    }
    void forget_all() {
        for (auto& [key, context] : contexts_) EVP_MAC_CTX_free(context);
        contexts_.clear();
    }

    EVP_MAC* mac_ = nullptr;
    std::vector<std::pair<std::string, EVP_MAC_CTX*>> contexts_;
};

}  // namespace

std::string hmac_sha256(std::string_view key, std::string_view data) {
    thread_local HmacContexts contexts;
    EVP_MAC_CTX* context = contexts.keyed(key);
    std::string out(EVP_MAX_MD_SIZE, '\0');
    std::size_t length = 0;
    FS_CHECK(EVP_MAC_update(context, bytes_of(data), data.size()) == 1);
    FS_CHECK(EVP_MAC_final(context, reinterpret_cast<unsigned char*>(out.data()), &length,
                           out.size()) == 1);
    out.resize(length);
    return out;
}

std::string sha256(std::string_view data) {
    std::string out(SHA256_DIGEST_LENGTH, '\0');
    SHA256(bytes_of(data), data.size(), reinterpret_cast<unsigned char*>(out.data()));
    return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string random_hex(std::size_t bytes) {
    std::vector<unsigned char> raw(bytes);
    if (bytes > 0 && RAND_bytes(raw.data(), static_cast<int>(bytes)) != 1) {
        throw std::runtime_error("RAND_bytes failed: no secure random bytes available");
    }
    static constexpr std::string_view kHex = "0123456789abcdef";
    std::string out;
    out.reserve(bytes * 2);
    for (unsigned char byte : raw) {
        out.push_back(kHex[byte >> 4]);
        out.push_back(kHex[byte & 0x0f]);
    }
    return out;
}

std::string base64url_encode(std::string_view data) {
    std::string out;
    out.reserve((data.size() * 4 + 2) / 3);
    std::uint32_t buffer = 0;
    int bits = 0;
    for (unsigned char byte : data) {
        buffer = (buffer << 8) | byte;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out.push_back(kAlphabet[(buffer >> bits) & 0x3f]);
        }
    }
    if (bits > 0) {
        out.push_back(kAlphabet[(buffer << (6 - bits)) & 0x3f]);
    }
    return out;
}

// Four characters at a time into three bytes written in place: a byte-by-byte push_back cost
// about 20 instructions per character, and every new buyer's JWT is decoded on its first request.
std::optional<std::string> base64url_decode(std::string_view text) {
    const std::size_t tail = text.size() % 4;
    if (tail == 1) {
        return std::nullopt;
    }
    std::string out(text.size() / 4 * 3 + (tail == 0 ? 0 : tail - 1), '\0');
    char* next = out.data();
    // Sextets in a 32-bit group; any invalid character sets a bit above the 24 used ones.
    const auto group_of = [&](std::size_t at, std::size_t count) {
        std::uint32_t group = 0;
        std::uint32_t invalid = 0;
        for (std::size_t i = 0; i < 4; ++i) {
            const int value = i < count ? kDecodeTable[static_cast<unsigned char>(text[at + i])] : 0;
            invalid |= value == kInvalid ? 1u : 0u;
            group = (group << 6) | static_cast<std::uint32_t>(value & 0x3f);
        }
        return std::pair{group, invalid != 0};
    };
    const std::size_t whole = text.size() - tail;
    for (std::size_t at = 0; at < whole; at += 4) {
        const auto [group, invalid] = group_of(at, 4);
        if (invalid) {
            return std::nullopt;
        }
        *next++ = static_cast<char>(group >> 16);
        *next++ = static_cast<char>(group >> 8);
        *next++ = static_cast<char>(group);
    }
    if (tail == 0) {
        return out;
    }
    const auto [group, invalid] = group_of(whole, tail);
    // A canonical encoder leaves the bits after the last byte zero ("Zg", never "Zh").
    const std::uint32_t unused_bits = tail == 2 ? 0xffffu : 0xffu;
    if (invalid || (group & unused_bits) != 0) {
        return std::nullopt;
    }
    *next++ = static_cast<char>(group >> 16);
    if (tail == 3) {
        *next = static_cast<char>(group >> 8);
    }
    return out;
}

}  // namespace flashsale
