// An order: a user's claim on some units of a sale. It is born reserved and ends paid,
// cancelled or expired; the status machine below is the only way to change its status.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/result.h"

namespace flashsale::domain {

enum class OrderStatus { kReserved, kPaid, kCancelled, kExpired };

std::string_view to_string(OrderStatus status);
std::optional<OrderStatus> parse_order_status(std::string_view text);

// Reserved and paid orders hold stock; cancelled and expired ones have given it back.
inline bool holds_stock(OrderStatus status) {
    return status == OrderStatus::kReserved || status == OrderStatus::kPaid;
}

// The status machine: reserved -> paid | cancelled | expired, nothing else.
bool can_transition(OrderStatus from, OrderStatus to);

struct Order {
    std::string id;
    std::string sale_id;
    std::string user_id;
    std::int32_t quantity = 0;
    OrderStatus status = OrderStatus::kReserved;
    TimePoint created_at;
    TimePoint expires_at;  // the payment deadline of the reservation
    TimePoint updated_at;
    std::string idempotency_key;  // empty when the client sent none
};

// Moves `order` to `to` at `now`, or kInvalidTransition without touching it.
Status transition(Order& order, OrderStatus to, TimePoint now);

// A new, globally unique, time-ordered order id (26 characters, Crockford base32, like ULID).
std::string new_order_id(TimePoint now);

}  // namespace flashsale::domain
