#include "admission/sale_directory.h"

namespace flashsale::admission {

void SaleEntry::store(const SaleFacts& facts) {
    starts_at_ms_.store(to_unix_ms(facts.starts_at), kRelaxed);
    ends_at_ms_.store(to_unix_ms(facts.ends_at), kRelaxed);
    paused_.store(facts.paused, kRelaxed);
    require_token_.store(facts.require_token, kRelaxed);
    pow_bits_.store(facts.pow_difficulty_bits, kRelaxed);
    rate_per_s_.store(facts.rate_limit_per_s, kRelaxed);
    rate_burst_.store(facts.rate_limit_burst, kRelaxed);
    sold_out_.store(facts.remaining <= 0, kRelaxed);
}

std::size_t SaleDirectory::part_of(const std::string& sale_id) {
    return std::hash<std::string>{}(sale_id) % kParts;
}

SaleEntry* SaleDirectory::find_mutable(const std::string& sale_id) const {
    auto entries = parts_[part_of(sale_id)].entries.load(std::memory_order_acquire);
    auto found = entries->find(sale_id);
    // The entry outlives this map snapshot: every later map holds the same shared_ptr.
    return found == entries->end() ? nullptr : found->second.get();
}

const SaleEntry* SaleDirectory::find(const std::string& sale_id) const {
    return find_mutable(sale_id);
}

const SaleEntry& SaleDirectory::learn(const std::string& sale_id, const SaleFacts& facts,
                                      TimePoint local_now) {
    offset_ms_.store((facts.engine_now - local_now).count(), std::memory_order_relaxed);
    clock_known_.store(true, std::memory_order_release);
    if (auto* entry = find_mutable(sale_id)) {
        entry->store(facts);
        return *entry;
    }
    std::lock_guard lock(writers_);
    auto& part = parts_[part_of(sale_id)];
    auto current = part.entries.load(std::memory_order_acquire);
    auto found = current->find(sale_id);
    if (found != current->end()) {
        found->second->store(facts);
        return *found->second;
    }
    auto next = std::make_shared<Map>(*current);
    auto entry = std::make_shared<SaleEntry>();
    entry->store(facts);
    (*next)[sale_id] = entry;
    part.entries.store(std::move(next), std::memory_order_release);
    return *entry;
}

void SaleDirectory::learn_sold_out(const std::string& sale_id) {
    if (auto* entry = find_mutable(sale_id)) entry->sold_out_.store(true, SaleEntry::kRelaxed);
}

void SaleDirectory::learn_stock_returned(const std::string& sale_id) {
    if (auto* entry = find_mutable(sale_id)) entry->sold_out_.store(false, SaleEntry::kRelaxed);
}

std::optional<TimePoint> SaleDirectory::engine_now(TimePoint local_now) const {
    if (!clock_known_.load(std::memory_order_acquire)) return std::nullopt;
    return local_now + std::chrono::milliseconds(offset_ms_.load(std::memory_order_relaxed));
}

// Engine time only: without a learned offset (sale == nullptr) the engine decides alone.
Verdict WindowGate::check(const RequestView& request) const {
    const SaleEntry* sale = request.sale;
    if (sale == nullptr) return Verdict::admit();
    if (request.engine_now < sale->starts_at()) return Verdict::refuse(Reason::kNotStarted);
    if (request.engine_now >= sale->ends_at()) return Verdict::refuse(Reason::kEnded);
    if (sale->paused()) return Verdict::refuse(Reason::kPaused);
    return Verdict::admit();
}

Verdict SoldOutGate::check(const RequestView& request) const {
    if (request.sale != nullptr && request.sale->sold_out()) {
        return Verdict::refuse(Reason::kSoldOut);
    }
    return Verdict::admit();
}

}  // namespace flashsale::admission
