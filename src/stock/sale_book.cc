#include "stock/sale_book.h"

#include <algorithm>
#include <chrono>

namespace flashsale::stock {

using domain::JournalEntry;
using domain::Order;
using domain::OrderStatus;

namespace {

std::string idempotency_slot(const std::string& user_id, const std::string& key) {
    return user_id + '\n' + key;
}

}  // namespace

SaleBook::SaleBook(domain::Sale sale) { view_.sale = std::move(sale); }

void SaleBook::track(const Order& order) {
    if (!first_order_at_ || order.created_at < *first_order_at_) first_order_at_ = order.created_at;
    if (!last_order_at_ || order.created_at > *last_order_at_) last_order_at_ = order.created_at;
    if (!order.idempotency_key.empty()) {
        by_idempotency_key_[idempotency_slot(order.user_id, order.idempotency_key)] = order;
    }
}

void SaleBook::restore(const Order& order) {
    track(order);
    switch (order.status) {
        case OrderStatus::kReserved:
            view_.reserved += order.quantity;
            units_by_user_[order.user_id] += order.quantity;
            reserved_.emplace_hint(reserved_.end(), order.id, order);
            deadlines_.emplace(order.expires_at, order.id);
            break;
        case OrderStatus::kPaid:
            view_.paid += order.quantity;
            units_by_user_[order.user_id] += order.quantity;
            break;
        case OrderStatus::kCancelled: view_.cancelled += order.quantity; break;
        case OrderStatus::kExpired: view_.expired += order.quantity; break;
    }
    FS_CHECK(view_.remaining() >= 0);
}

Decision<Order> SaleBook::refuse(Errc code, std::string message) {
    auto& refusals = view_.refusals;
    if (code == Errc::kSoldOut) ++refusals.sold_out;
    if (code == Errc::kLimitReached) ++refusals.limit_reached;
    if (code == Errc::kNotStarted) ++refusals.not_started;
    if (code == Errc::kEnded) ++refusals.ended;
    return {make_error(code, std::move(message)), std::nullopt};
}

// A repeat of a request already decided: the same order, once the original is durable.
Decision<Order> SaleBook::replay(const std::string& slot) {
    return {by_idempotency_key_.at(slot), domain::Barrier{}};
}

Decision<Order> SaleBook::reserve(const ReserveRequest& request, TimePoint now) {
    const auto& sale = view_.sale;
    FS_DCHECK(request.quantity > 0);
    if (!request.idempotency_key.empty()) {
        auto slot = idempotency_slot(request.user_id, request.idempotency_key);
        if (by_idempotency_key_.contains(slot)) return replay(slot);
    }
    if (!sale.opened_at(now)) return refuse(Errc::kNotStarted, "the sale has not started");
    if (sale.ended_at(now)) return refuse(Errc::kEnded, "the sale has ended");
    if (sale.paused) return refuse(Errc::kNotStarted, "the sale is paused");
    auto held = units_by_user_.find(request.user_id);
    std::int64_t user_units = held == units_by_user_.end() ? 0 : held->second;
    if (user_units + request.quantity > sale.per_user_limit) {
        return refuse(Errc::kLimitReached, "at most " + std::to_string(sale.per_user_limit) +
                                               " per user in this sale");
    }
    if (request.quantity > view_.remaining()) {
        return refuse(Errc::kSoldOut, "not enough stock left");
    }
    Order order{.id = domain::new_order_id(now),
                .sale_id = sale.id,
                .user_id = request.user_id,
                .quantity = request.quantity,
                .status = OrderStatus::kReserved,
                .created_at = now,
                .expires_at = now + std::chrono::seconds(sale.reservation_ttl_s),
                .updated_at = now,
                .idempotency_key = request.idempotency_key};
    restore(order);
    return {order, domain::OrderReserved{order}};
}

JournalEntry SaleBook::end_reservation(Order& order, OrderStatus to, TimePoint now) {
    FS_CHECK(domain::transition(order, to, now).ok());
    view_.reserved -= order.quantity;
    if (to == OrderStatus::kPaid) {
        view_.paid += order.quantity;
    } else {
        (to == OrderStatus::kCancelled ? view_.cancelled : view_.expired) += order.quantity;
        auto held = units_by_user_.find(order.user_id);
        FS_CHECK(held != units_by_user_.end() && held->second >= order.quantity);
        if ((held->second -= order.quantity) == 0) units_by_user_.erase(held);
    }
    FS_CHECK(view_.reserved >= 0 && view_.remaining() <= view_.sale.stock);
    if (!order.idempotency_key.empty()) {
        by_idempotency_key_[idempotency_slot(order.user_id, order.idempotency_key)] = order;
    }
    return domain::OrderTransitioned{order.id, order.sale_id, order.quantity, to, now,
                                     order.user_id};
}

std::optional<Order> SaleBook::take_reserved(const std::string& order_id) {
    auto found = reserved_.find(order_id);
    if (found == reserved_.end()) return std::nullopt;
    Order order = std::move(found->second);
    reserved_.erase(found);
    return order;
}

Decision<Order> SaleBook::pay(const std::string& order_id, TimePoint now) {
    auto order = take_reserved(order_id);
    if (!order) return {make_error(Errc::kInvalidTransition, "the order is not reserved"), {}};
    // Pay and expiry cannot both win: a payment after the deadline expires the order instead.
    if (now >= order->expires_at) {
        auto entry = end_reservation(*order, OrderStatus::kExpired, now);
        return {make_error(Errc::kInvalidTransition, "the reservation has expired"), entry};
    }
    auto entry = end_reservation(*order, OrderStatus::kPaid, now);
    return {*order, entry};
}

Decision<Order> SaleBook::cancel(const std::string& order_id, TimePoint now) {
    auto order = take_reserved(order_id);
    if (!order) return {make_error(Errc::kInvalidTransition, "the order is not reserved"), {}};
    auto entry = end_reservation(*order, OrderStatus::kCancelled, now);
    return {*order, entry};
}

std::vector<JournalEntry> SaleBook::expire_due(TimePoint now) {
    std::vector<JournalEntry> entries;
    while (!deadlines_.empty() && deadlines_.top().first <= now) {
        auto order = take_reserved(deadlines_.top().second);
        deadlines_.pop();
        // An order paid or cancelled since leaves a stale deadline behind; it is skipped.
        if (order) entries.push_back(end_reservation(*order, OrderStatus::kExpired, now));
    }
    return entries;
}

Status SaleBook::check_update(const domain::Sale& next) const {
    if (auto valid = domain::validate(next); !valid) return valid;
    if (next.stock < view_.sold()) {
        return make_error(Errc::kConflict, "stock cannot go below the " +
                                               std::to_string(view_.sold()) + " units sold");
    }
    auto most_held = std::max_element(units_by_user_.begin(), units_by_user_.end(),
                                      [](auto& a, auto& b) { return a.second < b.second; });
    if (most_held != units_by_user_.end() && next.per_user_limit < most_held->second) {
        return make_error(Errc::kConflict, "a user already holds more than that limit");
    }
    if ((first_order_at_ && next.starts_at > *first_order_at_) ||
        (last_order_at_ && next.ends_at <= *last_order_at_)) {
        return make_error(Errc::kConflict, "the window would exclude existing orders");
    }
    return Ok{};
}

Decision<domain::Sale> SaleBook::update(const domain::SalePatch& patch) {
    auto next = domain::apply(view_.sale, patch);
    if (auto allowed = check_update(next); !allowed) return {allowed.error(), std::nullopt};
    view_.sale = next;
    return {next, domain::SaleSaved{next}};
}

std::optional<TimePoint> SaleBook::next_deadline() const {
    if (deadlines_.empty()) return std::nullopt;
    return deadlines_.top().first;
}

SaleView SaleBook::view() const { return view_; }

}  // namespace flashsale::stock
