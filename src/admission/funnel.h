// The admission funnel: every gate a request passes before the stock engine, in one fixed,
// visible order (cheapest and broadest first, see docs/ARCHITECTURE.md):
//   1 window   2 sold-out flag   3 blacklist   4 rate limits   5 shedding   6 waiting room
//   7 purchase token
// All in process memory, no I/O, no lock on the purchase path. The proof-of-work puzzle guards
// the token endpoint (ProofOfWork). Every refusal is counted by gate and reason, per node
// (/metrics) and per sale (admin stats).
#pragma once

#include <array>
#include <chrono>
#include <string>

#include "admission/blacklist.h"
#include "admission/proof_of_work.h"
#include "admission/purchase_tokens.h"
#include "admission/rate_gate.h"
#include "admission/sale_directory.h"
#include "admission/signer.h"
#include "admission/waiting_room.h"
#include "common/metrics.h"

namespace flashsale::admission {

struct FunnelOptions {
    RateOptions rates;
    std::int64_t shed_inflight_max = 0;  // 0 = no shedding
    std::int32_t shed_percent = 50;
    std::string token_key;           // current HMAC key of tokens and challenges
    std::string token_key_previous;  // still accepted; empty = none
    std::chrono::seconds token_ttl{30};
    PowOptions pow;
    WaitingRoomOptions waiting_room;
};

class Funnel {
public:
    Funnel(FunnelOptions options, MetricsRegistry& metrics);

    // Runs the gates in order and counts the refusal, if any. Fills request.sale and
    // request.engine_now from the directory first. Thread-safe.
    Verdict check(RequestView& request);
    // Only the gates that need no buyer (window, sold-out flag), counted like check(): the
    // purchase and token endpoints run them before they spend an HMAC on the buyer's JWT, so a
    // storm against a sold-out or closed sale costs the least. Thread-safe.
    Verdict check_sale(RequestView& request);
    // Counts a refusal decided outside check() (proof-of-work answers, engine-side sold out).
    void count(Reason reason, const SaleEntry* sale);

    // Microseconds on the steady clock since the funnel was made (never 0), for RequestView.
    std::int64_t monotonic_us() const;

    SaleDirectory& directory() { return directory_; }
    Blacklist& blacklist() { return blacklist_; }
    const PurchaseTokens& tokens() const { return tokens_; }
    ProofOfWork& proof_of_work() { return pow_; }
    SheddingGate& shedding() { return shedding_; }
    WaitingRoom& waiting_room() { return waiting_room_; }
    std::uint64_t refusals(Reason reason) const { return node_refusals_.value(reason); }

private:
    // Gates 1 and 2, uncounted; fills request.sale and request.engine_now.
    Verdict sale_gates(RequestView& request) const;

    std::chrono::steady_clock::time_point epoch_ = std::chrono::steady_clock::now();
    SaleDirectory directory_;
    WindowGate window_;
    SoldOutGate sold_out_;
    Blacklist blacklist_;
    RateLimitGate rates_;
    SheddingGate shedding_;
    Signer signer_;
    PurchaseTokens tokens_;
    ProofOfWork pow_;
    WaitingRoom waiting_room_;
    RefusalCounters node_refusals_;
    std::array<Counter*, kReasonCount> metrics_{};
};

}  // namespace flashsale::admission
