#include "domain/order.h"

#include <array>
#include <random>

namespace flashsale::domain {

std::string_view to_string(OrderStatus status) {
    switch (status) {
        case OrderStatus::kReserved: return "reserved";
        case OrderStatus::kPaid: return "paid";
        case OrderStatus::kCancelled: return "cancelled";
        case OrderStatus::kExpired: return "expired";
    }
    return "reserved";
}

std::optional<OrderStatus> parse_order_status(std::string_view text) {
    for (auto status : {OrderStatus::kReserved, OrderStatus::kPaid, OrderStatus::kCancelled,
                        OrderStatus::kExpired}) {
        if (to_string(status) == text) return status;
    }
    return std::nullopt;
}

bool can_transition(OrderStatus from, OrderStatus to) {
    return from == OrderStatus::kReserved && to != OrderStatus::kReserved;
}

Status transition(Order& order, OrderStatus to, TimePoint now) {
    if (!can_transition(order.status, to)) {
        return make_error(Errc::kInvalidTransition,
                          "order is " + std::string(to_string(order.status)) + ", cannot become " +
                              std::string(to_string(to)));
    }
    order.status = to;
    order.updated_at = now;
    return Ok{};
}

std::string new_order_id(TimePoint now) {
    static constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    // 48 bits of milliseconds, then 80 random bits; a per-thread engine keeps this lock-free.
    thread_local std::mt19937_64 random{std::random_device{}()};
    std::array<std::uint8_t, 16> bytes{};
    auto ms = static_cast<std::uint64_t>(to_unix_ms(now));
    for (int i = 0; i < 6; ++i) bytes[i] = static_cast<std::uint8_t>(ms >> (40 - 8 * i));
    std::uint64_t high = random(), low = random();
    for (int i = 0; i < 8; ++i) bytes[6 + i] = static_cast<std::uint8_t>(high >> (8 * i));
    for (int i = 0; i < 2; ++i) bytes[14 + i] = static_cast<std::uint8_t>(low >> (8 * i));

    // 128 bits as 26 base32 digits, most significant first; the number is read as if it had two
    // leading zero bits (26 * 5 = 130), so the first digit holds 3 bits.
    // The number in two halves, shifted right five bits per digit from the last digit up.
    std::uint64_t upper = 0, lower = 0;
    for (int i = 0; i < 8; ++i) upper = (upper << 8) | bytes[i];
    for (int i = 8; i < 16; ++i) lower = (lower << 8) | bytes[i];
    std::string id(26, '0');
    for (int digit = 25; digit >= 0; --digit) {
        id[digit] = kAlphabet[static_cast<std::size_t>(lower & 31)];
        lower = (lower >> 5) | (upper << 59);
        upper >>= 5;
    }
    return id;
}

}  // namespace flashsale::domain
