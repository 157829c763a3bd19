// SaleBook: every decision of one sale, without threads or I/O.
#include <gtest/gtest.h>

#include "stock/sale_book.h"

namespace flashsale::stock {
namespace {

using domain::OrderStatus;
using namespace std::chrono_literals;

const TimePoint kOpen = from_unix_ms(1'000'000);

domain::Sale make_sale(std::int64_t stock, std::int32_t limit) {
    return domain::Sale{.id = "s1",
                        .name = "Phone",
                        .stock = stock,
                        .per_user_limit = limit,
                        .starts_at = kOpen,
                        .ends_at = kOpen + 3600s,
                        .reservation_ttl_s = 10};
}

ReserveRequest buy(std::string user, std::int32_t quantity = 1, std::string key = "") {
    return {"s1", std::move(user), quantity, std::move(key)};
}

Errc refusal(const Decision<domain::Order>& decision) {
    EXPECT_FALSE(decision.result.ok());
    EXPECT_FALSE(decision.entry.has_value()) << "a refusal writes nothing";
    return decision.result.ok() ? Errc::kInternal : decision.result.error().code;
}

TEST(SaleBook, ReservesUntilSoldOutAndNeverBelowZero) {
    SaleBook book(make_sale(3, 10));
    for (int i = 0; i < 3; ++i) {
        auto decision = book.reserve(buy("u" + std::to_string(i)), kOpen);
        ASSERT_TRUE(decision.result.ok());
        EXPECT_TRUE(std::holds_alternative<domain::OrderReserved>(*decision.entry));
        EXPECT_EQ(decision.result->expires_at, kOpen + 10s);
    }
    EXPECT_EQ(refusal(book.reserve(buy("late"), kOpen)), Errc::kSoldOut);
    EXPECT_EQ(book.view().remaining(), 0);
    EXPECT_EQ(book.view().refusals.sold_out, 1u);
}

TEST(SaleBook, QuantityAboveRemainingIsSoldOut) {
    SaleBook book(make_sale(2, 5));
    EXPECT_EQ(refusal(book.reserve(buy("u", 3), kOpen)), Errc::kSoldOut);
    EXPECT_TRUE(book.reserve(buy("u", 2), kOpen).result.ok());
}

TEST(SaleBook, PerUserLimitCountsLiveUnits) {
    SaleBook book(make_sale(100, 2));
    ASSERT_TRUE(book.reserve(buy("u", 1), kOpen).result.ok());
    EXPECT_EQ(refusal(book.reserve(buy("u", 2), kOpen)), Errc::kLimitReached);
    auto second = book.reserve(buy("u", 1), kOpen);
    ASSERT_TRUE(second.result.ok());
    EXPECT_EQ(refusal(book.reserve(buy("u", 1), kOpen)), Errc::kLimitReached);
    // A cancelled order gives its units back to the user's quota, too.
    ASSERT_TRUE(book.cancel(second.result->id, kOpen + 1s).result.ok());
    EXPECT_TRUE(book.reserve(buy("u", 1), kOpen + 2s).result.ok());
    EXPECT_EQ(book.view().refusals.limit_reached, 2u);
}

TEST(SaleBook, RefusesOutsideTheWindow) {
    SaleBook book(make_sale(10, 1));
    EXPECT_EQ(refusal(book.reserve(buy("u"), kOpen - 1ms)), Errc::kNotStarted);
    EXPECT_EQ(refusal(book.reserve(buy("u"), kOpen + 3600s)), Errc::kEnded);
    EXPECT_TRUE(book.reserve(buy("u"), kOpen).result.ok());
}

TEST(SaleBook, IdempotencyKeyReturnsTheSameOrderBehindABarrier) {
    SaleBook book(make_sale(10, 5));
    auto first = book.reserve(buy("u", 1, "key-1"), kOpen);
    auto again = book.reserve(buy("u", 1, "key-1"), kOpen + 1s);
    ASSERT_TRUE(again.result.ok());
    EXPECT_EQ(again.result->id, first.result->id);
    EXPECT_TRUE(std::holds_alternative<domain::Barrier>(*again.entry));
    EXPECT_EQ(book.view().sold(), 1);
    // The same key from another user is another request.
    auto other = book.reserve(buy("v", 1, "key-1"), kOpen);
    EXPECT_NE(other.result->id, first.result->id);
}

TEST(SaleBook, PayCancelAndExpiryReleaseExactlyOnce) {
    SaleBook book(make_sale(3, 3));
    auto paid = book.reserve(buy("a"), kOpen);
    auto cancelled = book.reserve(buy("b"), kOpen);
    auto expiring = book.reserve(buy("c"), kOpen);
    ASSERT_TRUE(book.pay(paid.result->id, kOpen + 1s).result.ok());
    ASSERT_TRUE(book.cancel(cancelled.result->id, kOpen + 1s).result.ok());
    EXPECT_EQ(book.view().remaining(), 1);

    EXPECT_TRUE(book.expire_due(kOpen + 9s).empty());
    auto expired = book.expire_due(kOpen + 10s);
    ASSERT_EQ(expired.size(), 1u);
    auto& entry = std::get<domain::OrderTransitioned>(expired[0]);
    EXPECT_EQ(entry.order_id, expiring.result->id);
    EXPECT_EQ(entry.to, OrderStatus::kExpired);
    EXPECT_EQ(book.view().remaining(), 2);

    // Nothing releases twice: a second sweep, a cancel or a pay of a finished order.
    EXPECT_TRUE(book.expire_due(kOpen + 100s).empty());
    EXPECT_EQ(book.cancel(cancelled.result->id, kOpen + 2s).result.error().code,
              Errc::kInvalidTransition);
    EXPECT_EQ(book.cancel(paid.result->id, kOpen + 2s).result.error().code,
              Errc::kInvalidTransition);
    EXPECT_EQ(book.pay(expiring.result->id, kOpen + 20s).result.error().code,
              Errc::kInvalidTransition);
    auto view = book.view();
    EXPECT_EQ(view.remaining(), 2);
    EXPECT_EQ(view.paid, 1);
    EXPECT_EQ(view.cancelled, 1);
    EXPECT_EQ(view.expired, 1);
}

TEST(SaleBook, PayingAfterTheDeadlineExpiresInstead) {
    SaleBook book(make_sale(1, 1));
    auto order = book.reserve(buy("a"), kOpen);
    auto late = book.pay(order.result->id, kOpen + 10s);
    ASSERT_FALSE(late.result.ok());
    EXPECT_EQ(late.result.error().code, Errc::kInvalidTransition);
    ASSERT_TRUE(late.entry.has_value());
    EXPECT_EQ(std::get<domain::OrderTransitioned>(*late.entry).to, OrderStatus::kExpired);
    EXPECT_EQ(book.view().remaining(), 1);
    EXPECT_TRUE(book.expire_due(kOpen + 20s).empty()) << "expired once, by the payment";
}

TEST(SaleBook, RestoreRebuildsCountsAndQuotas) {
    SaleBook original(make_sale(5, 2));
    std::vector<domain::Order> stored;
    for (auto user : {"a", "a", "b"}) stored.push_back(*original.reserve(buy(user), kOpen).result);
    stored[1].status = OrderStatus::kCancelled;
    stored[2].status = OrderStatus::kPaid;

    SaleBook rebuilt(make_sale(5, 2));
    for (const auto& order : stored) rebuilt.restore(order);
    auto view = rebuilt.view();
    EXPECT_EQ(view.reserved, 1);
    EXPECT_EQ(view.paid, 1);
    EXPECT_EQ(view.cancelled, 1);
    EXPECT_EQ(view.remaining(), 3);
    EXPECT_TRUE(rebuilt.reserve(buy("a"), kOpen).result.ok());
    EXPECT_EQ(refusal(rebuilt.reserve(buy("a"), kOpen)), Errc::kLimitReached);
    // The restored reservation still expires.
    EXPECT_EQ(rebuilt.expire_due(kOpen + 10s).size(), 2u);
}

TEST(SaleBook, UpdateRefusesChangesThatContradictSales) {
    SaleBook book(make_sale(10, 3));
    ASSERT_TRUE(book.reserve(buy("a", 3), kOpen + 5s).result.ok());
    domain::SalePatch too_little;
    too_little.stock = 2;
    EXPECT_EQ(book.update(too_little).result.error().code, Errc::kConflict);
    domain::SalePatch lower_limit;
    lower_limit.per_user_limit = 2;
    EXPECT_EQ(book.update(lower_limit).result.error().code, Errc::kConflict);
    domain::SalePatch later_start;
    later_start.starts_at = kOpen + 10s;
    EXPECT_EQ(book.update(later_start).result.error().code, Errc::kConflict);
    domain::SalePatch more;
    more.stock = 50;
    auto updated = book.update(more);
    ASSERT_TRUE(updated.result.ok());
    EXPECT_TRUE(std::holds_alternative<domain::SaleSaved>(*updated.entry));
    EXPECT_EQ(book.view().remaining(), 47);
}

}  // namespace
}  // namespace flashsale::stock
