// The waiting room. When the room is on, a sale with an admission rate (its rate_limit_per_s
// and rate_limit_burst) queues the arrivals above that rate instead of refusing them: a buyer
// joins, gets a signed ticket that names the moment of its turn, sees its place and wait, and
// is admitted first in, first out at the sale's rate (GCRA: the same arithmetic as the rate
// gate, remembered by the buyer instead of refused). The purchase and token endpoints refuse a
// buyer without an admitted ticket.
//
// The line keeps its own clock, which stops while the sale is sold out: the queue closes the
// moment stock runs out, and when stock comes back it reopens with the front of the line
// first. With order kRandom, the buyers who joined before the opening second are admitted in a
// random order among themselves (a place bought by refreshing early is worth nothing), then
// everyone after them in arrival order.
//
// State per sale is a few numbers behind one mutex, held for arithmetic only. Like the rate
// limits, the line is per node: with N nodes behind a balancer a sale admits N times its rate.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "admission/sale_directory.h"
#include "admission/signer.h"
#include "admission/verdict.h"
#include "common/clock.h"
#include "common/metrics.h"
#include "common/result.h"

namespace flashsale::admission {

enum class QueueOrder { kFifo, kRandom };

struct WaitingRoomOptions {
    bool enabled = false;
    QueueOrder order = QueueOrder::kFifo;
    std::chrono::seconds pass_ttl{120};  // how long an admitted ticket stays good for buying
};

struct QueueStatus {
    enum class State { kQueued, kAdmitted, kClosed };
    State state = State::kQueued;
    std::string ticket;
    std::int64_t position = 0;  // buyers ahead, plus one; 0 once admitted
    std::int64_t wait_ms = 0;   // until admission, at the sale's rate
    std::int64_t length = 0;    // buyers waiting in the line now
};

std::string_view to_string(QueueStatus::State state);

class WaitingRoom {
public:
    // `signer` and `metrics` outlive the room.
    WaitingRoom(const Signer& signer, WaitingRoomOptions options, MetricsRegistry& metrics);

    // The room is on and the sale has an admission rate.
    bool active_for(const SaleEntry& sale) const;

    // A place at the back of the line (admitted at once while the line is shorter than the
    // sale's burst). kSoldOut while the queue is closed, kEnded after the sale.
    Result<QueueStatus> join(const std::string& sale_id, const SaleEntry& sale,
                             std::string_view user_id, TimePoint now);
    // The status of a ticket the user holds; kForbidden when it is not theirs for this sale,
    // or its pass has run out (join again).
    Result<QueueStatus> status(const std::string& sale_id, const SaleEntry& sale,
                               std::string_view ticket, std::string_view user_id, TimePoint now);
    // The gate of the purchase and token endpoints: admitted when the room is not active for
    // the sale, or the ticket's turn has come and its pass has not run out.
    Verdict check(const RequestView& request);

    // Follows the sale's sold-out flag (the line's clock stops while it is set) and publishes
    // the line's length; called on every access and by the periodic sale refresh.
    void observe(const std::string& sale_id, const SaleEntry& sale, TimePoint now);

private:
    struct Ticket {
        std::string sale_id;
        std::string user_id;
        std::int64_t admit_ms = 0;  // on the line's clock; -1: a random pre-opening place
        std::int32_t rank = 0;      // the random place, in millionths of the pre-opening group
    };
    struct Line {
        double next_admit_ms = 0;  // GCRA: the turn the next arrival gets, line clock
        std::int64_t frozen_ms = 0;  // total time the line was closed
        std::optional<std::int64_t> closed_since_ms;
        std::int64_t pre_opening_joined = 0;
        Gauge* length = nullptr;
    };
    enum class TicketCheck { kOk, kNotYet, kExpired };

    Line& line_of(const std::string& sale_id);  // with mutex_ held
    void follow_sold_out(Line& line, const SaleEntry& sale, std::int64_t now_ms);
    static std::int64_t line_now(const Line& line, std::int64_t now_ms);
    std::int64_t admit_ms(const Line& line, const SaleEntry& sale, const Ticket& ticket) const;
    QueueStatus status_of(const Line& line, const SaleEntry& sale, const Ticket& ticket,
                          std::string text, std::int64_t now_ms) const;
    std::int64_t length_of(const Line& line, const SaleEntry& sale, std::int64_t now_ms) const;
    TicketCheck check_ticket(const Line& line, const SaleEntry& sale, const Ticket& ticket,
                             std::int64_t now_ms) const;

    std::string sign(const Ticket& ticket) const;
    std::optional<Ticket> open(std::string_view text) const;

    const Signer& signer_;
    WaitingRoomOptions options_;
    MetricsRegistry& metrics_;
    std::mutex mutex_;
    std::unordered_map<std::string, Line> lines_;
    std::uint64_t random_state_;
};

}  // namespace flashsale::admission
