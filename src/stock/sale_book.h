// SaleBook: the live state of one sale and every decision about it: reserve, pay, cancel,
// expire, change. Single-threaded and free of I/O: the memory engine keeps each book on one
// worker and turns each decision's journal entry into a durable write before answering.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "domain/order_journal.h"
#include "stock/stock_engine.h"

namespace flashsale::stock {

// The outcome of one decision, and the journal entry that makes it durable (none for a refusal).
template <class T>
struct Decision {
    Result<T> result;
    std::optional<domain::JournalEntry> entry;
};

class SaleBook {
public:
    explicit SaleBook(domain::Sale sale);

    // Rebuilds state from one stored order (oldest first), before the book takes requests.
    void restore(const domain::Order& order);

    Decision<domain::Order> reserve(const ReserveRequest& request, TimePoint now);
    Decision<domain::Order> pay(const std::string& order_id, TimePoint now);
    Decision<domain::Order> cancel(const std::string& order_id, TimePoint now);
    // Expires every reservation whose deadline is at or before `now`; one entry each.
    std::vector<domain::JournalEntry> expire_due(TimePoint now);
    Decision<domain::Sale> update(const domain::SalePatch& patch);

    // The earliest deadline of a live reservation, or of one paid or cancelled since (which
    // expire_due skips); nullopt when there is none.
    std::optional<TimePoint> next_deadline() const;
    SaleView view() const;
    const domain::Sale& sale() const { return view_.sale; }

private:
    Decision<domain::Order> refuse(Errc code, std::string message);
    Decision<domain::Order> replay(const std::string& slot);
    // Removes a live reservation from the book and returns it; nullopt when it is not reserved.
    std::optional<domain::Order> take_reserved(const std::string& order_id);
    domain::JournalEntry end_reservation(domain::Order& order, domain::OrderStatus to,
                                         TimePoint now);
    void track(const domain::Order& order);
    Status check_update(const domain::Sale& next) const;

    using Deadline = std::pair<TimePoint, std::string>;
    SaleView view_;  // the sale and its counters
    std::unordered_map<std::string, std::int32_t> units_by_user_;  // live (reserved + paid)
    // Live reservations by order id. An ordered map: order ids begin with their time, so new
    // ones go in at the end, and it never rehashes. A hash map's rehash of 100,000 live
    // reservations stalled the worker for milliseconds, and the p99 of every request with it.
    std::map<std::string, domain::Order> reserved_;
    // Every order that came with an idempotency key, by user + '\n' + key, as last known.
    std::unordered_map<std::string, domain::Order> by_idempotency_key_;
    // On a deque, which grows without moving what it holds (a vector's regrowth moved them all).
    std::priority_queue<Deadline, std::deque<Deadline>, std::greater<>> deadlines_;
    std::optional<TimePoint> first_order_at_, last_order_at_;
};

}  // namespace flashsale::stock
