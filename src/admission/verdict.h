// What every admission gate reads (RequestView) and answers (Verdict). A gate refuses with a
// Reason; each Reason belongs to one gate, has one Errc (so one HTTP status, via
// api/errors.cc) and one stable label for /metrics and the admin stats.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>

#include "common/clock.h"
#include "common/errc.h"

namespace flashsale::admission {

enum class Action { kPurchase, kToken };

class SaleEntry;

// One request as the gates see it. Every view is borrowed: the caller keeps the strings alive
// for the duration of the check.
struct RequestView {
    Action action = Action::kPurchase;
    std::string_view sale_id;
    std::string_view user_id;
    std::string_view client_ip;      // textual address of the TCP peer
    std::string_view purchase_token;  // empty: none sent
    std::string_view queue_ticket;    // empty: none sent
    TimePoint local_now{};            // this node's wall clock (never trusted alone for windows)
    std::int64_t monotonic_us = 0;    // steady clock, for rate limits and expiries of counters
    // Filled by the Funnel before the gates run: what this node knows of the sale (nullptr:
    // nothing yet, and the sale gates let the engine decide) and the engine's clock now.
    const SaleEntry* sale = nullptr;
    TimePoint engine_now{};
};

enum class Gate {
    kWindow, kSoldOut, kBlacklist, kRateLimit, kShedding, kToken, kProofOfWork, kWaitingRoom
};
inline constexpr std::size_t kGateCount = 8;

enum class Reason {
    kNotStarted,      // window: before starts_at (engine time)
    kEnded,           // window: at or after ends_at (engine time)
    kPaused,          // window: an admin paused the sale
    kSoldOut,         // sold-out flag
    kBlockedUser,     // blacklist
    kBlockedIp,       // blacklist
    kRateIp,          // rate limits
    kRateUser,
    kRateSale,
    kRateGlobal,
    kOverloaded,      // shedding
    kTokenMissing,    // purchase token
    kTokenInvalid,    // malformed, forged, unknown key
    kTokenExpired,
    kTokenWrongUser,
    kTokenWrongSale,
    kPowRequired,     // proof-of-work: a challenge was handed out (428)
    kPowInvalid,      // forged or foreign challenge, wrong answer
    kPowReused,       // a challenge answered twice
    kPowBusy,         // the seen-set is full of live challenges (503)
    kQueueRequired,   // waiting room: no ticket sent
    kQueueInvalid,    // waiting room: forged, or another user's or sale's ticket
    kQueueNotYet,     // waiting room: the ticket's turn has not come
    kQueueExpired,    // waiting room: admitted too long ago; join again
};
inline constexpr std::size_t kReasonCount = 24;

Gate gate_of(Reason reason);
Errc errc_of(Reason reason);
std::string_view to_string(Gate gate);
std::string_view to_string(Reason reason);  // "not_started", "rate_ip", ...
std::string_view message_of(Reason reason);

// A gate's answer: admitted, or refused for a reason (with Retry-After seconds for 429).
struct Verdict {
    bool admitted = true;
    Reason reason = Reason::kNotStarted;  // meaningful only when refused
    std::int32_t retry_after_s = 0;

    static Verdict admit() { return {}; }
    static Verdict refuse(Reason reason, std::int32_t retry_after_s = 0) {
        return {false, reason, retry_after_s};
    }
    explicit operator bool() const { return admitted; }
};

// Refusals by reason, lock-free; one per node and one per sale.
class RefusalCounters {
public:
    void count(Reason reason) {
        counts_[static_cast<std::size_t>(reason)].fetch_add(1, std::memory_order_relaxed);
    }
    std::uint64_t value(Reason reason) const {
        return counts_[static_cast<std::size_t>(reason)].load(std::memory_order_relaxed);
    }

private:
    std::array<std::atomic<std::uint64_t>, kReasonCount> counts_{};
};

}  // namespace flashsale::admission
