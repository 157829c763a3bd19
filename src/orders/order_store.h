// OrderStore: the durable home of sales and orders (SQLite embedded, PostgreSQL in production).
// Its methods block; they run on the group-commit writer thread or on the store's reader pool,
// never on an io thread. Use GroupCommitWriter to write and OrderReader to read from coroutines.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "domain/order.h"
#include "domain/order_journal.h"
#include "domain/sale.h"

namespace flashsale::orders {

// A store that cannot do its work (disk full, I/O error, corrupt file, lost connection).
class StoreError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The store refused a batch for its content (a CHECK, a unique index or a foreign key, or a
// journal that disagrees with the stored rows) and rolled all of it back. Unlike a plain
// StoreError (disk, lost connection), retrying the same batch fails again: the journal holds a
// decision the database's last line of defence forbids, which is a bug upstream.
class ConstraintViolation : public StoreError {
public:
    using StoreError::StoreError;
};

// One broken invariant found by verify: which one (I1..I6), where, and what.
struct Violation {
    std::string invariant;
    std::string sale_id;
    std::string detail;
};

// Per-sale counts by order status, in units (sum of quantities).
struct SaleCounts {
    std::int64_t reserved = 0;
    std::int64_t paid = 0;
    std::int64_t cancelled = 0;
    std::int64_t expired = 0;
    std::int64_t sold() const { return reserved + paid; }

    // Adds `units` of orders in `status` (what a store reads back per status).
    void add(domain::OrderStatus status, std::int64_t units) {
        switch (status) {
            case domain::OrderStatus::kReserved: reserved += units; break;
            case domain::OrderStatus::kPaid: paid += units; break;
            case domain::OrderStatus::kCancelled: cancelled += units; break;
            case domain::OrderStatus::kExpired: expired += units; break;
        }
    }
};

class OrderStore {
public:
    virtual ~OrderStore() = default;

    // Applies the entries in order, in one transaction: all become durable or none does.
    // Throws StoreError when the transaction cannot commit; ConstraintViolation (a StoreError)
    // when the store refuses the batch's content (the PostgreSQL store; SQLite throws StoreError).
    virtual void apply(std::span<const domain::JournalEntry> batch) = 0;

    virtual std::vector<domain::Sale> load_sales() = 0;
    // Every order of a sale, oldest first: the state the stock engine rebuilds itself from.
    virtual std::vector<domain::Order> load_orders(std::string_view sale_id) = 0;
    // Every sale, then every order of every sale (each sale's oldest first), one at a time:
    // how the embedded engine restores itself without holding every order at once. By default
    // a load_orders per sale; a store that cannot find a sale's orders cheaply reads them all
    // in one pass.
    virtual void load_all(const std::function<void(domain::Sale)>& on_sale,
                          const std::function<void(const domain::Order&)>& on_order) {
        const auto sales = load_sales();
        for (const auto& sale : sales) on_sale(sale);
        for (const auto& sale : sales) {
            for (const auto& order : load_orders(sale.id)) on_order(order);
        }
    }
    virtual std::optional<domain::Order> find_order(std::string_view order_id) = 0;
    virtual SaleCounts counts(std::string_view sale_id) = 0;

    // Checks I1-I6 against what is stored; an empty list means clean.
    virtual std::vector<Violation> verify(std::optional<std::string> sale_id) = 0;

    // True when the store answers a trivial query (for /readyz).
    virtual bool ping() = 0;
};

}  // namespace flashsale::orders
