#include "admission/blacklist.h"

namespace flashsale::admission {

Blacklist::Blacklist() : lists_(std::make_shared<const Lists>()) {}

void Blacklist::add(BlacklistEntry entry, TimePoint now) {
    std::lock_guard lock(writers_);
    auto next = std::make_shared<Lists>();
    // Copy the live entries only: expired ones are dropped at every change.
    const auto current = lists_.load(std::memory_order_acquire);
    for (const auto* from : {&current->users, &current->ips}) {
        for (const auto& [value, listed] : *from) {
            if (!live(listed, now)) continue;
            (listed.kind == ListKind::kUser ? next->users : next->ips).emplace(value, listed);
            if (listed.automatic) ++next->automatic;
        }
    }
    if (entry.automatic && next->automatic >= kAutomaticMax) return;
    auto& target = entry.kind == ListKind::kUser ? next->users : next->ips;
    target.insert_or_assign(entry.value, entry);
    if (entry.automatic) ++next->automatic;
    lists_.store(std::move(next), std::memory_order_release);
}

bool Blacklist::remove(ListKind kind, const std::string& value) {
    std::lock_guard lock(writers_);
    const auto current = lists_.load(std::memory_order_acquire);
    const auto& from = kind == ListKind::kUser ? current->users : current->ips;
    auto found = from.find(value);
    if (found == from.end()) return false;
    auto next = std::make_shared<Lists>(*current);
    if (found->second.automatic) --next->automatic;
    (kind == ListKind::kUser ? next->users : next->ips).erase(value);
    lists_.store(std::move(next), std::memory_order_release);
    return true;
}

std::vector<BlacklistEntry> Blacklist::list(TimePoint now) const {
    std::vector<BlacklistEntry> out;
    const auto current = lists_.load(std::memory_order_acquire);
    for (const auto* from : {&current->users, &current->ips}) {
        for (const auto& [value, entry] : *from) {
            if (live(entry, now)) out.push_back(entry);
        }
    }
    return out;
}

Verdict Blacklist::check(const RequestView& request) const {
    const auto current = lists_.load(std::memory_order_acquire);
    if (!current->users.empty()) {
        auto found = current->users.find(std::string(request.user_id));
        if (found != current->users.end() && live(found->second, request.local_now)) {
            return Verdict::refuse(Reason::kBlockedUser);
        }
    }
    if (!current->ips.empty()) {
        auto found = current->ips.find(std::string(request.client_ip));
        if (found != current->ips.end() && live(found->second, request.local_now)) {
            return Verdict::refuse(Reason::kBlockedIp);
        }
    }
    return Verdict::admit();
}

}  // namespace flashsale::admission
