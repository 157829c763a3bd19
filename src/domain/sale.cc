#include "domain/sale.h"

#include <algorithm>

namespace flashsale::domain {

std::string_view to_string(SaleStatus status) {
    switch (status) {
        case SaleStatus::kUpcoming: return "upcoming";
        case SaleStatus::kActive: return "active";
        case SaleStatus::kPaused: return "paused";
        case SaleStatus::kSoldOut: return "sold_out";
        case SaleStatus::kEnded: return "ended";
    }
    return "ended";
}

SaleStatus Sale::status_at(TimePoint now, std::int64_t remaining) const {
    if (ended_at(now)) return SaleStatus::kEnded;
    if (!opened_at(now)) return SaleStatus::kUpcoming;
    if (paused) return SaleStatus::kPaused;
    return remaining > 0 ? SaleStatus::kActive : SaleStatus::kSoldOut;
}

bool is_valid_id(std::string_view id) {
    if (id.empty() || id.size() > kIdLengthMax) return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-' || c == '.';
    });
}

Status validate(const Sale& sale) {
    auto bad = [](std::string message) { return make_error(Errc::kBadRequest, std::move(message)); };
    if (!is_valid_id(sale.id)) return bad("id must be 1-64 characters of [A-Za-z0-9_.-]");
    if (sale.name.empty() || sale.name.size() > 200) return bad("name must be 1-200 characters");
    if (sale.stock < 0 || sale.stock > kStockMax) return bad("stock must be 0..1000000000");
    if (sale.per_user_limit < 1) return bad("per_user_limit must be at least 1");
    if (sale.price_cents < 0) return bad("price_cents must not be negative");
    if (sale.ends_at <= sale.starts_at) return bad("ends_at must be after starts_at");
    if (sale.reservation_ttl_s < 1) return bad("reservation_ttl_s must be at least 1");
    if (sale.pow_difficulty_bits < 0 || sale.pow_difficulty_bits > kPowDifficultyBitsMax) {
        return bad("pow_difficulty_bits must be 0..32");
    }
    if (sale.rate_limit_per_s < 0) return bad("rate_limit_per_s must not be negative");
    if (sale.rate_limit_burst < 0) return bad("rate_limit_burst must not be negative");
    return Ok{};
}

Sale apply(Sale sale, const SalePatch& patch) {
    if (patch.name) sale.name = *patch.name;
    if (patch.stock) sale.stock = *patch.stock;
    if (patch.per_user_limit) sale.per_user_limit = *patch.per_user_limit;
    if (patch.price_cents) sale.price_cents = *patch.price_cents;
    if (patch.starts_at) sale.starts_at = *patch.starts_at;
    if (patch.ends_at) sale.ends_at = *patch.ends_at;
    if (patch.reservation_ttl_s) sale.reservation_ttl_s = *patch.reservation_ttl_s;
    if (patch.require_token) sale.require_token = *patch.require_token;
    if (patch.paused) sale.paused = *patch.paused;
    if (patch.pow_difficulty_bits) sale.pow_difficulty_bits = *patch.pow_difficulty_bits;
    if (patch.rate_limit_per_s) sale.rate_limit_per_s = *patch.rate_limit_per_s;
    if (patch.rate_limit_burst) sale.rate_limit_burst = *patch.rate_limit_burst;
    return sale;
}

}  // namespace flashsale::domain
