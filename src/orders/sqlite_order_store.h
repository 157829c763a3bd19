// SqliteOrderStore: the embedded OrderStore, one SQLite file in WAL mode with synchronous=FULL,
// so a committed batch survives a power cut. Besides the orders, each sale row keeps `sold`,
// updated in the same transaction as every order change under CHECK (sold <= stock): the
// database's last line of defence against oversell, and what verify compares the orders with.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

#include "orders/order_store.h"

namespace flashsale::orders {

namespace sqlite {
class Database;
}

class SqliteOrderStore final : public OrderStore {
public:
    // Opens (creating if needed) and migrates `file` (see sqlite_schema.h). With read_only, the
    // file must exist and already have this build's schema; nothing is written and apply()
    // throws (for flashsale verify). Throws StoreError.
    explicit SqliteOrderStore(std::filesystem::path file, bool read_only = false);
    ~SqliteOrderStore() override;  // no call may be under way; closes the writer last
    SqliteOrderStore(const SqliteOrderStore&) = delete;
    SqliteOrderStore& operator=(const SqliteOrderStore&) = delete;

    // Not thread-safe: one thread at a time (the group-commit writer thread). Checked.
    void apply(std::span<const domain::JournalEntry> batch) override;

    // Each read may run concurrently with apply() and with other reads: it takes a connection
    // of its own from the store's reader pool and sees the last committed state.
    std::vector<domain::Sale> load_sales() override;
    // A scan of every order: no index leads with the sale (schema version 4). Tests and tools.
    std::vector<domain::Order> load_orders(std::string_view sale_id) override;
    // The orders in one pass, in id order, which is time order.
    void load_all(const std::function<void(domain::Sale)>& on_sale,
                  const std::function<void(const domain::Order&)>& on_order) override;
    std::optional<domain::Order> find_order(std::string_view order_id) override;
    // A scan of every order too.
    SaleCounts counts(std::string_view sale_id) override;
    // At most kViolationsPerCheckMax rows per row check (I2, I3, I4, I6): enough to diagnose.
    std::vector<Violation> verify(std::optional<std::string> sale_id) override;
    bool ping() override;

    static constexpr int kViolationsPerCheckMax = 1000;

private:
    struct Writer;
    class ReaderLease;

    std::unique_ptr<sqlite::Database> open_reader() const;

    const std::filesystem::path file_;
    std::unique_ptr<Writer> writer_;  // null when read-only
    std::atomic<bool> applying_{false};

    std::mutex readers_mutex_;
    std::vector<std::unique_ptr<sqlite::Database>> idle_readers_;  // guarded by readers_mutex_
};

}  // namespace flashsale::orders
