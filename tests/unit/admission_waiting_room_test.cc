// The waiting room: first in, first out at the sale's rate (the burst goes in at once), a place
// that falls as time passes, the line closing at sell-out and reopening front first, random
// order for the arrivals before the opening second, and tickets that cannot be forged, lent to
// another user or kept for ever. Through the funnel: a buyer who skipped the line is refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <vector>

#include "admission/funnel.h"
#include "admission/waiting_room.h"

namespace flashsale::admission {
namespace {

using namespace std::chrono_literals;
using State = QueueStatus::State;

const TimePoint kOpening = from_unix_ms(1'800'000'000'000);

class WaitingRoomTest : public ::testing::Test {
protected:
    // A sale that admits `per_s` buyers a second, `burst` at once.
    const SaleEntry& sale(std::int32_t per_s, std::int32_t burst, TimePoint now = kOpening) {
        SaleFacts facts{.starts_at = kOpening,
                        .ends_at = kOpening + 3600s,
                        .rate_limit_per_s = per_s,
                        .rate_limit_burst = burst,
                        .remaining = 10,
                        .engine_now = now};
        return directory_.learn(sale_id_, facts, now);
    }

    WaitingRoom room(QueueOrder order = QueueOrder::kFifo) {
        return WaitingRoom(signer_, {.enabled = true, .order = order, .pass_ttl = 60s}, metrics_);
    }

    QueueStatus join(WaitingRoom& room, const SaleEntry& entry, const std::string& user,
                     TimePoint now) {
        auto status = room.join(sale_id_, entry, user, now);
        EXPECT_TRUE(status.ok()) << (status ? "" : status.error().message);
        return status ? *status : QueueStatus{};
    }

    Signer signer_{"waiting-room-key-0123456789", ""};
    MetricsRegistry metrics_;
    SaleDirectory directory_;
    std::string sale_id_ = "phone";
};

TEST_F(WaitingRoomTest, BurstGoesInAtOnceTheRestWaitInOrder) {
    auto waiting = room();
    const auto& entry = sale(/*per_s=*/2, /*burst=*/2);
    std::vector<QueueStatus> line;
    for (int i = 0; i < 6; ++i) line.push_back(join(waiting, entry, "u" + std::to_string(i), kOpening));
    EXPECT_EQ(line[0].state, State::kAdmitted);
    EXPECT_EQ(line[1].state, State::kAdmitted);
    for (int i = 2; i < 6; ++i) {
        EXPECT_EQ(line[i].state, State::kQueued) << i;
        EXPECT_GT(line[i].position, line[i - 1].position) << i;
        EXPECT_GT(line[i].wait_ms, line[i - 1].wait_ms) << i;
    }
    EXPECT_EQ(line[5].length, 4);
    // Two a second: the last one's turn comes 2 s after the opening.
    EXPECT_EQ(line[5].wait_ms, 2000);
}

TEST_F(WaitingRoomTest, PositionFallsAsTimePassesUntilAdmitted) {
    auto waiting = room();
    const auto& entry = sale(1, 1);
    join(waiting, entry, "first", kOpening);
    join(waiting, entry, "second", kOpening);
    const auto last = join(waiting, entry, "third", kOpening);
    ASSERT_EQ(last.position, 2);
    auto later = waiting.status(sale_id_, entry, last.ticket, "third", kOpening + 1100ms);
    ASSERT_TRUE(later.ok());
    EXPECT_EQ(later->state, State::kQueued);
    EXPECT_EQ(later->position, 1);
    auto admitted = waiting.status(sale_id_, entry, last.ticket, "third", kOpening + 2000ms);
    ASSERT_TRUE(admitted.ok());
    EXPECT_EQ(admitted->state, State::kAdmitted);
}

TEST_F(WaitingRoomTest, PurchaseGateRefusesWhoSkippedTheLine) {
    auto waiting = room();
    const auto& entry = sale(1, 1);
    const auto first = join(waiting, entry, "first", kOpening);
    const auto second = join(waiting, entry, "second", kOpening);
    RequestView request{.sale_id = sale_id_, .user_id = "second", .sale = &entry,
                        .engine_now = kOpening};
    EXPECT_EQ(waiting.check(request).reason, Reason::kQueueRequired);
    request.queue_ticket = second.ticket;
    EXPECT_EQ(waiting.check(request).reason, Reason::kQueueNotYet);
    request.queue_ticket = first.ticket;  // someone else's ticket
    EXPECT_EQ(waiting.check(request).reason, Reason::kQueueInvalid);
    request.queue_ticket = second.ticket;
    request.engine_now = kOpening + 1s;
    EXPECT_TRUE(waiting.check(request).admitted);
    request.engine_now = kOpening + 1s + 61s;  // the pass ran out
    EXPECT_EQ(waiting.check(request).reason, Reason::kQueueExpired);
}

TEST_F(WaitingRoomTest, ForgedAndTamperedTicketsAreRefused) {
    auto waiting = room();
    const auto& entry = sale(1, 1);
    auto ticket = join(waiting, entry, "alice", kOpening).ticket;
    RequestView request{.sale_id = sale_id_, .user_id = "alice", .sale = &entry,
                        .engine_now = kOpening};
    Signer other("another-key-0123456789abcdef", "");
    for (const std::string& forged : {std::string("nonsense"), other.sign("q1|phone|alice|0|0"),
                                      ticket.substr(0, ticket.size() - 2) + "xx"}) {
        request.queue_ticket = forged;
        EXPECT_EQ(waiting.check(request).reason, Reason::kQueueInvalid) << forged;
        EXPECT_FALSE(waiting.status(sale_id_, entry, forged, "alice", kOpening).ok());
    }
}

// The line's clock stops while the sale is sold out: the front of the line is still the front
// when stock comes back, however long the sale stayed sold out.
TEST_F(WaitingRoomTest, ClosesAtSellOutAndReopensFrontFirst) {
    auto waiting = room();
    const auto& entry = sale(1, 1);
    join(waiting, entry, "admitted", kOpening);
    const auto front = join(waiting, entry, "front", kOpening);
    const auto back = join(waiting, entry, "back", kOpening);

    directory_.learn_sold_out(sale_id_);
    waiting.observe(sale_id_, entry, kOpening + 500ms);
    EXPECT_FALSE(waiting.join(sale_id_, entry, "late", kOpening + 600ms).ok());
    auto closed = waiting.status(sale_id_, entry, front.ticket, "front", kOpening + 30s);
    ASSERT_TRUE(closed.ok());
    EXPECT_EQ(closed->state, State::kClosed);

    sale(1, 1, kOpening + 60s);  // an engine view with stock again clears the flag
    ASSERT_FALSE(entry.sold_out());
    waiting.observe(sale_id_, entry, kOpening + 60s);
    // 500 ms of the line had passed: front's turn (at 1 s) is 500 ms away, back's 1.5 s.
    auto front_now = waiting.status(sale_id_, entry, front.ticket, "front", kOpening + 60s);
    auto back_now = waiting.status(sale_id_, entry, back.ticket, "back", kOpening + 60s);
    ASSERT_TRUE(front_now.ok() && back_now.ok());
    EXPECT_EQ(front_now->state, State::kQueued);
    EXPECT_EQ(front_now->wait_ms, 500);
    EXPECT_EQ(back_now->wait_ms, 1500);
}

TEST_F(WaitingRoomTest, RandomOrderShufflesThoseWhoCameBeforeTheOpening) {
    auto waiting = room(QueueOrder::kRandom);
    const auto& entry = sale(10, 1, kOpening - 60s);
    std::vector<QueueStatus> early;
    for (int i = 0; i < 50; ++i) {
        early.push_back(join(waiting, entry, "early" + std::to_string(i), kOpening - 30s + 1ms * i));
    }
    const auto after = join(waiting, entry, "after", kOpening + 1ms);
    std::vector<std::int64_t> turns;
    for (std::size_t i = 0; i < early.size(); ++i) {
        auto status = waiting.status(sale_id_, entry, early[i].ticket, "early" + std::to_string(i),
                                     kOpening);
        ASSERT_TRUE(status.ok());
        turns.push_back(status->wait_ms);
    }
    // Not in arrival order, all within the 5 s the group takes at 10 a second, and everyone who
    // came after the opening waits behind the whole group.
    EXPECT_FALSE(std::is_sorted(turns.begin(), turns.end()));
    EXPECT_LE(*std::max_element(turns.begin(), turns.end()), 5000);
    EXPECT_GE(after.wait_ms, 5000 - 1);
}

TEST_F(WaitingRoomTest, SaleWithoutARateOrRoomOffHasNoLine) {
    auto waiting = room();
    const auto& entry = sale(0, 0);
    EXPECT_FALSE(waiting.active_for(entry));
    RequestView request{.sale_id = sale_id_, .user_id = "alice", .sale = &entry};
    EXPECT_TRUE(waiting.check(request).admitted);
    WaitingRoom off(signer_, {}, metrics_);
    EXPECT_FALSE(off.active_for(sale(5, 5)));
}

TEST(WaitingRoomFunnelTest, FunnelRefusesAPurchaseWithoutTicketAndCountsIt) {
    MetricsRegistry metrics;
    FunnelOptions options;
    options.token_key = "funnel-key-0123456789abcdef";
    options.waiting_room.enabled = true;
    Funnel funnel(options, metrics);
    funnel.directory().learn("phone",
                             {.starts_at = kOpening - 60s, .ends_at = kOpening + 3600s,
                              .rate_limit_per_s = 1, .rate_limit_burst = 1, .remaining = 10,
                              .engine_now = kOpening},
                             kOpening);
    RequestView view{.action = Action::kPurchase, .sale_id = "phone", .user_id = "alice",
                     .client_ip = "10.0.0.1", .local_now = kOpening,
                     .monotonic_us = funnel.monotonic_us()};
    auto verdict = funnel.check(view);
    EXPECT_EQ(verdict.reason, Reason::kQueueRequired);
    EXPECT_EQ(errc_of(verdict.reason), Errc::kQueueRequired);
    EXPECT_EQ(funnel.refusals(Reason::kQueueRequired), 1u);
    // The sale's rate is the room's now: many admitted buyers are not refused as rate_sale.
    auto ticket = funnel.waiting_room().join("phone", *funnel.directory().find("phone"), "alice",
                                             kOpening);
    ASSERT_TRUE(ticket.ok());
    for (int i = 0; i < 5; ++i) {
        RequestView again = view;
        again.queue_ticket = ticket->ticket;
        again.monotonic_us = funnel.monotonic_us();
        EXPECT_TRUE(funnel.check(again).admitted) << i;
    }
}

}  // namespace
}  // namespace flashsale::admission
