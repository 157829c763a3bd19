// The order status machine and order ids.
#include <gtest/gtest.h>

#include <set>

#include "domain/order.h"
#include "domain/sale.h"

namespace flashsale::domain {
namespace {

constexpr OrderStatus kAll[] = {OrderStatus::kReserved, OrderStatus::kPaid,
                                OrderStatus::kCancelled, OrderStatus::kExpired};

TEST(OrderStatusMachine, OnlyReservedMovesAndOnlyToATerminalStatus) {
    for (auto from : kAll) {
        for (auto to : kAll) {
            bool expected = from == OrderStatus::kReserved && to != OrderStatus::kReserved;
            EXPECT_EQ(can_transition(from, to), expected)
                << to_string(from) << " -> " << to_string(to);
        }
    }
}

TEST(OrderStatusMachine, TransitionChangesStatusAndTimeOrNothing) {
    Order order{.id = "o1", .status = OrderStatus::kReserved, .updated_at = from_unix_ms(1)};
    ASSERT_TRUE(transition(order, OrderStatus::kPaid, from_unix_ms(5)).ok());
    EXPECT_EQ(order.status, OrderStatus::kPaid);
    EXPECT_EQ(order.updated_at, from_unix_ms(5));

    auto refused = transition(order, OrderStatus::kCancelled, from_unix_ms(9));
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, Errc::kInvalidTransition);
    EXPECT_EQ(order.status, OrderStatus::kPaid);
    EXPECT_EQ(order.updated_at, from_unix_ms(5));
}

TEST(OrderStatus, NamesRoundTrip) {
    for (auto status : kAll) EXPECT_EQ(parse_order_status(to_string(status)), status);
    EXPECT_FALSE(parse_order_status("shipped").has_value());
}

TEST(OrderId, UniqueTimeOrderedAndUrlSafe) {
    std::set<std::string> ids;
    std::string previous;
    for (int i = 0; i < 10000; ++i) {
        auto id = new_order_id(from_unix_ms(1'700'000'000'000 + i));
        ASSERT_EQ(id.size(), 26u);
        ASSERT_TRUE(is_valid_id(id)) << id;
        ASSERT_LT(previous, id) << "ids of later milliseconds sort later";
        previous = id;
        ids.insert(id);
    }
    EXPECT_EQ(ids.size(), 10000u);
}

// The first ten digits are the 48 bits of milliseconds (after two zero bits), in Crockford's
// base32: an id tells when its order was taken.
TEST(OrderId, StartsWithItsMillisecondsInBase32) {
    EXPECT_EQ(new_order_id(from_unix_ms(1'700'000'000'000)).substr(0, 10), "01HF7YAT00");
    EXPECT_EQ(new_order_id(from_unix_ms(0)).substr(0, 10), "0000000000");
}

}  // namespace
}  // namespace flashsale::domain
