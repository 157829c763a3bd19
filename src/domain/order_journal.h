// The order journal: where the stock engine makes its decisions durable. Every change to a sale
// or an order is one JournalEntry; entries become durable in the order they were appended, and
// `on_durable` runs (on the journal's own thread) once the entry is on disk. The embedded
// engine appends from the sale's owning worker, so the disk sees decisions in the order they
// were taken and never holds a state that memory did not.
#pragma once

#include <functional>
#include <variant>

#include "domain/order.h"
#include "domain/sale.h"

namespace flashsale::domain {

struct SaleSaved {  // a sale created or changed by an admin
    Sale sale;
};

struct OrderReserved {  // a new order, status reserved: takes order.quantity from stock
    Order order;
};

struct OrderTransitioned {  // reserved -> paid | cancelled | expired
    std::string order_id;
    std::string sale_id;
    std::int32_t quantity = 0;
    OrderStatus to = OrderStatus::kPaid;
    TimePoint at;
    std::string user_id;  // the buyer, so that the change can be pushed to them
};

// Writes nothing; becomes "durable" once every entry appended before it is. A repeated request
// (same idempotency key) waits on one so that it never answers before the original is on disk.
struct Barrier {};

using JournalEntry = std::variant<SaleSaved, OrderReserved, OrderTransitioned, Barrier>;

class OrderJournal {
public:
    using OnDurable = std::function<void()>;
    virtual ~OrderJournal() = default;

    // Thread-safe. A journal that cannot make an entry durable stops the process (fail-stop):
    // a node then restarts from what is on disk, which is always a consistent state.
    virtual void append(JournalEntry entry, OnDurable on_durable) = 0;
};

}  // namespace flashsale::domain
