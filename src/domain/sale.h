// A sale: a fixed stock of one item, sold inside a time window, at most per_user_limit units
// to each user. Pure data and validation; no I/O, no clock of its own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/result.h"

namespace flashsale::domain {

inline constexpr std::size_t kIdLengthMax = 64;
inline constexpr std::int64_t kStockMax = 1'000'000'000;
// Any TTL from 1 s up, as far as an int32 of seconds goes (68 years: deadlines stay far inside
// what the stores and RFC 3339 can represent).
inline constexpr std::int32_t kReservationTtlMaxS = 2'147'483'647;
// Proof-of-work difficulty in leading zero bits of SHA-256; 0 = no puzzle. 32 bits is about
// four billion hashes, far beyond what a buyer's browser should be asked for.
inline constexpr std::int32_t kPowDifficultyBitsMax = 32;

enum class SaleStatus { kUpcoming, kActive, kPaused, kSoldOut, kEnded };
std::string_view to_string(SaleStatus status);

struct Sale {
    std::string id;
    std::string name;
    std::int64_t stock = 0;
    std::int32_t per_user_limit = 1;
    std::int64_t price_cents = 0;
    TimePoint starts_at;
    TimePoint ends_at;
    std::int32_t reservation_ttl_s = 300;
    bool require_token = false;
    // Admission settings of this sale (issue 4). paused: an admin stopped purchases by hand
    // (POST .../pause; .../start resumes); the window still decides when the sale may sell.
    bool paused = false;
    std::int32_t pow_difficulty_bits = 0;  // 0..32; 0 = the token endpoint asks no puzzle
    std::int32_t rate_limit_per_s = 0;     // purchase attempts per second for the sale; 0 = off
    std::int32_t rate_limit_burst = 0;     // bucket size; 0 = rate_limit_per_s (at least 1)

    bool opened_at(TimePoint now) const { return now >= starts_at; }
    bool ended_at(TimePoint now) const { return now >= ends_at; }
    SaleStatus status_at(TimePoint now, std::int64_t remaining) const;
};

// The fields an admin may change after creation; absent fields stay as they are.
struct SalePatch {
    std::optional<std::string> name;
    std::optional<std::int64_t> stock;
    std::optional<std::int32_t> per_user_limit;
    std::optional<std::int64_t> price_cents;
    std::optional<TimePoint> starts_at;
    std::optional<TimePoint> ends_at;
    std::optional<std::int32_t> reservation_ttl_s;
    std::optional<bool> require_token;
    std::optional<bool> paused;
    std::optional<std::int32_t> pow_difficulty_bits;
    std::optional<std::int32_t> rate_limit_per_s;
    std::optional<std::int32_t> rate_limit_burst;
};

// Ids of sales (and users) are 1-64 characters of [A-Za-z0-9_.-].
bool is_valid_id(std::string_view id);

// Checks every field's range and that the window is not empty; kBadRequest names the field.
Status validate(const Sale& sale);

// The sale with the patch applied (not yet validated).
Sale apply(Sale sale, const SalePatch& patch);

}  // namespace flashsale::domain
