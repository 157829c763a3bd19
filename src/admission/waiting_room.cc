#include "admission/waiting_room.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "common/crypto.h"

namespace flashsale::admission {

namespace {

constexpr std::int32_t kRankScale = 1'000'000;
constexpr std::string_view kTicketVersion = "q1";

std::int64_t interval_ms(const SaleEntry& sale) {
    return std::max<std::int64_t>(1, sale.rate_limit().interval_us / 1000);
}

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    for (;;) {
        const auto at = text.find(separator);
        parts.push_back(text.substr(0, at));
        if (at == std::string_view::npos) return parts;
        text.remove_prefix(at + 1);
    }
}

template <class Integer>
std::optional<Integer> parse_integer(std::string_view text) {
    Integer value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

std::uint64_t seed_from_os() {
    const std::string bytes = random_hex(8);
    return std::stoull(bytes, nullptr, 16) | 1;
}

}  // namespace

std::string_view to_string(QueueStatus::State state) {
    switch (state) {
        case QueueStatus::State::kQueued: return "queued";
        case QueueStatus::State::kAdmitted: return "admitted";
        case QueueStatus::State::kClosed: return "closed";
    }
    return "queued";
}

WaitingRoom::WaitingRoom(const Signer& signer, WaitingRoomOptions options,
                         MetricsRegistry& metrics)
    : signer_(signer), options_(options), metrics_(metrics), random_state_(seed_from_os()) {}

bool WaitingRoom::active_for(const SaleEntry& sale) const {
    return options_.enabled && sale.rate_limit().on();
}

WaitingRoom::Line& WaitingRoom::line_of(const std::string& sale_id) {
    auto [it, added] = lines_.try_emplace(sale_id);
    if (added) {
        it->second.length = &metrics_.gauge("flashsale_waiting_room_length",
                                            "Buyers waiting in a sale's line",
                                            fmt::format("sale=\"{}\"", sale_id));
    }
    return it->second;
}

// Closing stops the line's clock; reopening adds the closed time to the frozen total, so each
// ticket's turn moves back by exactly as long as the sale was sold out.
void WaitingRoom::follow_sold_out(Line& line, const SaleEntry& sale, std::int64_t now_ms) {
    if (sale.sold_out() && !line.closed_since_ms) {
        line.closed_since_ms = now_ms;
    } else if (!sale.sold_out() && line.closed_since_ms) {
        line.frozen_ms += now_ms - *line.closed_since_ms;
        line.closed_since_ms.reset();
    }
}

std::int64_t WaitingRoom::line_now(const Line& line, std::int64_t now_ms) {
    const std::int64_t closed = line.closed_since_ms ? now_ms - *line.closed_since_ms : 0;
    return now_ms - line.frozen_ms - closed;
}

// A random pre-opening place is a share of the pre-opening group, spread over the time that
// group takes to admit at the sale's rate; the group is complete once the sale opened.
std::int64_t WaitingRoom::admit_ms(const Line& line, const SaleEntry& sale,
                                   const Ticket& ticket) const {
    if (ticket.admit_ms >= 0) return ticket.admit_ms;
    const double group_ms = static_cast<double>(line.pre_opening_joined * interval_ms(sale));
    return to_unix_ms(sale.starts_at()) +
           static_cast<std::int64_t>(group_ms * ticket.rank / kRankScale);
}

std::int64_t WaitingRoom::length_of(const Line& line, const SaleEntry& sale,
                                    std::int64_t now_ms) const {
    // The last buyer in line goes in `burst` intervals before the next arrival would.
    const double step_ms = static_cast<double>(interval_ms(sale));
    const double last_turn_ms =
        line.next_admit_ms - static_cast<double>(sale.rate_limit().burst) * step_ms;
    const double ahead_ms = last_turn_ms - static_cast<double>(line_now(line, now_ms));
    return std::max<std::int64_t>(0, static_cast<std::int64_t>(std::ceil(ahead_ms / step_ms)));
}

QueueStatus WaitingRoom::status_of(const Line& line, const SaleEntry& sale, const Ticket& ticket,
                                   std::string text, std::int64_t now_ms) const {
    QueueStatus status;
    status.ticket = std::move(text);
    status.length = length_of(line, sale, now_ms);
    const std::int64_t wait_ms = admit_ms(line, sale, ticket) - line_now(line, now_ms);
    if (wait_ms <= 0) {
        status.state = QueueStatus::State::kAdmitted;
    } else {
        status.wait_ms = wait_ms;
        const auto step_ms = interval_ms(sale);
        status.position = (wait_ms + step_ms - 1) / step_ms;  // buyers ahead, plus one
    }
    if (line.closed_since_ms) status.state = QueueStatus::State::kClosed;
    return status;
}

Result<QueueStatus> WaitingRoom::join(const std::string& sale_id, const SaleEntry& sale,
                                      std::string_view user_id, TimePoint now) {
    const std::int64_t now_ms = to_unix_ms(now);
    if (now >= sale.ends_at()) return make_error(Errc::kEnded, "the sale has ended");
    std::lock_guard lock(mutex_);
    Line& line = line_of(sale_id);
    follow_sold_out(line, sale, now_ms);
    if (line.closed_since_ms) return make_error(Errc::kSoldOut, "sold out: the queue is closed");
    Ticket ticket{sale_id, std::string(user_id), 0, 0};
    const std::int64_t opening_ms = to_unix_ms(sale.starts_at());
    const std::int64_t step_ms = interval_ms(sale);
    if (options_.order == QueueOrder::kRandom && now_ms < opening_ms) {
        random_state_ = random_state_ * 6364136223846793005ULL + 1442695040888963407ULL;
        ticket.admit_ms = -1;
        ticket.rank = static_cast<std::int32_t>((random_state_ >> 33) % kRankScale);
        ++line.pre_opening_joined;
        line.next_admit_ms = static_cast<double>(opening_ms + line.pre_opening_joined * step_ms);
    } else {
        // GCRA with a burst: the first `burst` arrivals of an empty line go in at once.
        const double base = static_cast<double>(std::max(line_now(line, now_ms), opening_ms));
        const double turn = std::max(line.next_admit_ms, base);
        const double burst_ms = static_cast<double>((sale.rate_limit().burst - 1) * step_ms);
        ticket.admit_ms = static_cast<std::int64_t>(std::max(base, turn - burst_ms));
        line.next_admit_ms = turn + static_cast<double>(step_ms);
    }
    line.length->set(length_of(line, sale, now_ms));
    return status_of(line, sale, ticket, sign(ticket), now_ms);
}

WaitingRoom::TicketCheck WaitingRoom::check_ticket(const Line& line, const SaleEntry& sale,
                                                   const Ticket& ticket,
                                                   std::int64_t now_ms) const {
    const std::int64_t since_turn_ms = line_now(line, now_ms) - admit_ms(line, sale, ticket);
    if (since_turn_ms < 0) return TicketCheck::kNotYet;
    const auto pass_ms = std::chrono::duration_cast<std::chrono::milliseconds>(options_.pass_ttl);
    if (since_turn_ms >= pass_ms.count()) return TicketCheck::kExpired;
    return TicketCheck::kOk;
}

Result<QueueStatus> WaitingRoom::status(const std::string& sale_id, const SaleEntry& sale,
                                        std::string_view text, std::string_view user_id,
                                        TimePoint now) {
    auto ticket = open(text);
    if (!ticket || ticket->sale_id != sale_id || ticket->user_id != user_id) {
        return make_error(Errc::kForbidden, "not your ticket for this sale");
    }
    const std::int64_t now_ms = to_unix_ms(now);
    std::lock_guard lock(mutex_);
    Line& line = line_of(sale_id);
    follow_sold_out(line, sale, now_ms);
    if (check_ticket(line, sale, *ticket, now_ms) == TicketCheck::kExpired) {
        return make_error(Errc::kForbidden, "your turn has passed; join the queue again");
    }
    return status_of(line, sale, *ticket, std::string(text), now_ms);
}

Verdict WaitingRoom::check(const RequestView& request) {
    if (request.sale == nullptr || !active_for(*request.sale)) return Verdict::admit();
    if (request.queue_ticket.empty()) return Verdict::refuse(Reason::kQueueRequired);
    auto ticket = open(request.queue_ticket);
    if (!ticket || ticket->sale_id != request.sale_id || ticket->user_id != request.user_id) {
        return Verdict::refuse(Reason::kQueueInvalid);
    }
    const std::int64_t now_ms = to_unix_ms(request.engine_now);
    std::lock_guard lock(mutex_);
    Line& line = line_of(ticket->sale_id);
    follow_sold_out(line, *request.sale, now_ms);
    switch (check_ticket(line, *request.sale, *ticket, now_ms)) {
        case TicketCheck::kOk: return Verdict::admit();
        case TicketCheck::kNotYet: return Verdict::refuse(Reason::kQueueNotYet);
        case TicketCheck::kExpired: return Verdict::refuse(Reason::kQueueExpired);
    }
    return Verdict::refuse(Reason::kQueueExpired);
}

void WaitingRoom::observe(const std::string& sale_id, const SaleEntry& sale, TimePoint now) {
    if (!active_for(sale)) return;
    const std::int64_t now_ms = to_unix_ms(now);
    std::lock_guard lock(mutex_);
    Line& line = line_of(sale_id);
    follow_sold_out(line, sale, now_ms);
    line.length->set(length_of(line, sale, now_ms));
}

// "q1|sale|user|admit_ms|rank": ids are [A-Za-z0-9_.-], so '|' never appears inside one.
std::string WaitingRoom::sign(const Ticket& ticket) const {
    return signer_.sign(fmt::format("{}|{}|{}|{}|{}", kTicketVersion, ticket.sale_id,
                                    ticket.user_id, ticket.admit_ms, ticket.rank));
}

std::optional<WaitingRoom::Ticket> WaitingRoom::open(std::string_view text) const {
    auto payload = signer_.open(text);
    if (!payload) return std::nullopt;
    auto parts = split(*payload, '|');
    if (parts.size() != 5 || parts[0] != kTicketVersion) return std::nullopt;
    auto admit = parse_integer<std::int64_t>(parts[3]);
    auto rank = parse_integer<std::int32_t>(parts[4]);
    if (!admit || !rank) return std::nullopt;
    return Ticket{std::string(parts[1]), std::string(parts[2]), *admit, *rank};
}

}  // namespace flashsale::admission
