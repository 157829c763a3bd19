// Gate 3: the blacklist of users and client addresses. Admins add and remove entries; the rate
// limit gate may add a client that keeps hitting its limits, for a while. Readers never lock:
// the lists are an immutable snapshot replaced on every change (changes are rare).
// Entries live in this node's memory only.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "admission/verdict.h"
#include "common/clock.h"

namespace flashsale::admission {

enum class ListKind { kUser, kIp };

struct BlacklistEntry {
    ListKind kind = ListKind::kUser;
    std::string value;
    std::optional<TimePoint> expires_at;  // nullopt: until removed
    bool automatic = false;               // added by the rate limit gate
};

class Blacklist {
public:
    // Automatic entries stop being added past this many live ones (manual ones always are).
    static constexpr std::size_t kAutomaticMax = 10'000;

    Blacklist();

    void add(BlacklistEntry entry, TimePoint now);
    bool remove(ListKind kind, const std::string& value);  // false when not listed
    std::vector<BlacklistEntry> list(TimePoint now) const;  // live entries only

    Verdict check(const RequestView& request) const;

private:
    struct Lists {
        std::unordered_map<std::string, BlacklistEntry> users, ips;
        std::size_t automatic = 0;
    };
    static bool live(const BlacklistEntry& entry, TimePoint now) {
        return !entry.expires_at || *entry.expires_at > now;
    }

    std::mutex writers_;
    std::atomic<std::shared_ptr<const Lists>> lists_;
};

}  // namespace flashsale::admission
