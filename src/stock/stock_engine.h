// StockEngine: the one place where stock is taken and given back. Each call is one atomic step
// for its sale (check the window, the per-user limit and the stock, then take it), and a
// success is durable before the awaitable completes. Implementations: the embedded memory
// engine (memory + SQLite journal); Redis and database strategies plug in behind the same calls.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "common/result.h"
#include "domain/order.h"
#include "domain/order_journal.h"
#include "domain/sale.h"

namespace flashsale::stock {

template <class T>
using Awaitable = boost::asio::awaitable<T>;

struct ReserveRequest {
    std::string sale_id;
    std::string user_id;
    std::int32_t quantity = 1;
    std::string idempotency_key;  // empty: none
};

// Purchase attempts refused by the stock engine, by reason (units are requests, not items).
struct RefusalCounts {
    std::uint64_t sold_out = 0;
    std::uint64_t limit_reached = 0;
    std::uint64_t not_started = 0;
    std::uint64_t ended = 0;
};

// A sale as the engine sees it now: its definition and its live counts, in units.
struct SaleView {
    domain::Sale sale;
    std::int64_t reserved = 0;
    std::int64_t paid = 0;
    std::int64_t cancelled = 0;
    std::int64_t expired = 0;
    RefusalCounts refusals;
    // The engine's clock when it took this view: the one authoritative clock of the sale
    // window (the node's clock for the embedded engine, Redis TIME for Redis). Nodes learn
    // their offset from it, so a node whose own clock runs ahead never opens a sale early.
    TimePoint engine_now{};

    std::int64_t sold() const { return reserved + paid; }
    std::int64_t remaining() const { return sale.stock - sold(); }
};

// Told of an order change nobody asked for (an expiry, or an order reaching the orders
// database), once it is durable, so that its buyer hears of it. `order` may be partial: id,
// sale, user, quantity, status and updated_at are set. Called on any thread; must not block.
using OrderObserver = std::function<void(std::string_view event, const domain::Order& order)>;

// The partial order of a journal transition, for an OrderObserver.
domain::Order order_of(const domain::OrderTransitioned& change);

class StockEngine {
public:
    virtual ~StockEngine() = default;

    // Errors: kNotFound, kNotStarted, kEnded, kLimitReached, kSoldOut. A repeated idempotency
    // key of the same user and sale returns the order it created the first time.
    virtual Awaitable<Result<domain::Order>> reserve(ReserveRequest request) = 0;
    // reserved -> paid, unless the reservation's deadline has passed (kInvalidTransition).
    virtual Awaitable<Result<domain::Order>> pay(std::string sale_id, std::string order_id) = 0;
    // reserved -> cancelled; the quantity returns to stock exactly once.
    virtual Awaitable<Result<domain::Order>> cancel(std::string sale_id, std::string order_id) = 0;

    // The engine's own, freshest record of an order, where it keeps one (the Redis engine keeps
    // every order of a sale; the embedded engine's store is always as fresh, so it keeps none).
    // kNotFound sends the caller to the order store.
    virtual Awaitable<Result<domain::Order>> find_order(std::string order_id) = 0;

    // kConflict when the id is taken.
    virtual Awaitable<Result<domain::Sale>> create_sale(domain::Sale sale) = 0;
    // kNotFound; kBadRequest for invalid fields; kConflict when the change contradicts what is
    // sold (stock below sold units, a limit below a user's units, a window that would exclude
    // existing orders).
    virtual Awaitable<Result<domain::Sale>> update_sale(std::string sale_id,
                                                        domain::SalePatch patch) = 0;
    virtual Awaitable<Result<SaleView>> view(std::string sale_id) = 0;
    virtual Awaitable<std::vector<SaleView>> list() = 0;
};

}  // namespace flashsale::stock
