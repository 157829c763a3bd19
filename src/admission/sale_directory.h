// What this node knows of each sale, for the gates that run before the stock engine: the
// window, the pause flag, the sold-out flag, the sale's admission settings, its rate bucket
// and its refusal counters. Learned from the engine's answers (views, sold_out refusals,
// releases) and refreshed periodically; read lock-free on every request.
//
// The one authoritative clock is the engine's: every view carries the engine's "now", and the
// directory keeps this node's offset to it, so the window gate decides on engine time even
// when the node's own clock is skewed.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "admission/rate_limiter.h"
#include "admission/verdict.h"
#include "common/clock.h"

namespace flashsale::admission {

// A sale as an engine view describes it (plain values, so that admission needs no stock code).
struct SaleFacts {
    TimePoint starts_at{};
    TimePoint ends_at{};
    bool paused = false;
    bool require_token = false;
    std::int32_t pow_difficulty_bits = 0;
    std::int32_t rate_limit_per_s = 0;
    std::int32_t rate_limit_burst = 0;
    std::int64_t remaining = 0;
    TimePoint engine_now{};
};

// One sale's entry; its address is stable for the directory's lifetime. All fields are
// atomics written by learn() and read by the gates on any thread.
class SaleEntry {
public:
    TimePoint starts_at() const { return from_unix_ms(starts_at_ms_.load(kRelaxed)); }
    TimePoint ends_at() const { return from_unix_ms(ends_at_ms_.load(kRelaxed)); }
    bool paused() const { return paused_.load(kRelaxed); }
    bool require_token() const { return require_token_.load(kRelaxed); }
    bool sold_out() const { return sold_out_.load(kRelaxed); }
    std::int32_t pow_difficulty_bits() const { return pow_bits_.load(kRelaxed); }
    RateLimit rate_limit() const {
        return RateLimit::per_second(rate_per_s_.load(kRelaxed), rate_burst_.load(kRelaxed));
    }

    RateCell& limiter() const { return limiter_; }
    RefusalCounters& refusals() const { return refusals_; }

private:
    friend class SaleDirectory;
    static constexpr auto kRelaxed = std::memory_order_relaxed;
    void store(const SaleFacts& facts);

    std::atomic<std::int64_t> starts_at_ms_{0}, ends_at_ms_{0};
    std::atomic<bool> paused_{false}, require_token_{false}, sold_out_{false};
    std::atomic<std::int32_t> pow_bits_{0}, rate_per_s_{0}, rate_burst_{0};
    mutable RateCell limiter_;
    mutable RefusalCounters refusals_;
};

class SaleDirectory {
public:
    // nullptr when this node has not learned of the sale yet.
    const SaleEntry* find(const std::string& sale_id) const;
    // Records what an engine view said; `local_now` is this node's clock right after the view
    // arrived, so that the difference is the offset to the engine's clock.
    const SaleEntry& learn(const std::string& sale_id, const SaleFacts& facts, TimePoint local_now);
    // The engine refused a single unit as sold out: nothing is left.
    void learn_sold_out(const std::string& sale_id);
    // Units came back (a cancel or a failed payment on this node): ask the engine again.
    void learn_stock_returned(const std::string& sale_id);

    // This node's estimate of the engine's clock; nullopt until a view has been seen.
    std::optional<TimePoint> engine_now(TimePoint local_now) const;
    std::int64_t clock_offset_ms() const { return offset_ms_.load(std::memory_order_relaxed); }

private:
    using Map = std::unordered_map<std::string, std::shared_ptr<SaleEntry>>;
    // Readers never lock; a new sale copies its part's map. Split into parts so that creating
    // 10,000 sales does not copy a map of thousands 10,000 times over.
    struct Part {
        std::atomic<std::shared_ptr<const Map>> entries{std::make_shared<const Map>()};
    };
    static constexpr std::size_t kParts = 64;

    static std::size_t part_of(const std::string& sale_id);
    SaleEntry* find_mutable(const std::string& sale_id) const;

    std::mutex writers_;  // serializes the copy-on-write of the parts' maps
    std::array<Part, kParts> parts_;
    std::atomic<std::int64_t> offset_ms_{0};
    std::atomic<bool> clock_known_{false};
};

// Gate 1: the sale window on engine time, and the admin's pause.
class WindowGate {
public:
    Verdict check(const RequestView& request) const;
};

// Gate 2: the node-local sold-out flag; a sold-out sale is refused without asking the engine.
class SoldOutGate {
public:
    Verdict check(const RequestView& request) const;
};

}  // namespace flashsale::admission
