// PostgresOrderStore: the production OrderStore, on PostgreSQL through libpq (blocking calls,
// for the group-commit writer thread and the store's reader pool). apply() is idempotent,
// because its entries come from a Redis stream that may redeliver: an order already stored is
// not inserted again, and a transition applies only to an order still reserved. Each order
// change moves sales.sold and the buyer's sale_buyers.live in the same transaction, under CHECKs
// that refuse oversell (I1) and a user above the limit (I2): see postgres_schema.cc.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "orders/order_store.h"

namespace flashsale::clients::pg {
class Connection;
struct Query;
}

namespace flashsale::orders {

class PostgresOrderStore final : public OrderStore {
public:
    // Connects to `conninfo` (a libpq connection string or URI) and checks that the database
    // has this build's schema (see migrate_postgres). Throws StoreError.
    explicit PostgresOrderStore(std::string conninfo);
    ~PostgresOrderStore() override;
    PostgresOrderStore(const PostgresOrderStore&) = delete;
    PostgresOrderStore& operator=(const PostgresOrderStore&) = delete;

    // One thread at a time (checked). The whole batch in one transaction, in one round trip
    // (libpq pipeline mode) plus the COMMIT; synchronous_commit as the server has it (on).
    // Throws ConstraintViolation when the database refuses the batch's content (nothing of it
    // stays, the connection stays usable), StoreError for anything else (connection lost,
    // server stopped: the outcome is unknown, and the next call reconnects; re-applying the
    // same batch is safe because apply is idempotent).
    void apply(std::span<const domain::JournalEntry> batch) override;

    // Safe from several threads at once: each call borrows a connection of its own from a small
    // pool (a connection that broke is dropped, and a new one is opened on demand).
    // Throw StoreError when the database cannot answer.
    std::vector<domain::Sale> load_sales() override;
    std::vector<domain::Order> load_orders(std::string_view sale_id) override;
    std::optional<domain::Order> find_order(std::string_view order_id) override;
    SaleCounts counts(std::string_view sale_id) override;
    // At most kViolationsPerCheckMax rows per row check, all in one snapshot.
    std::vector<Violation> verify(std::optional<std::string> sale_id) override;
    bool ping() override;  // never throws

    static constexpr int kViolationsPerCheckMax = 1000;

private:
    class ReaderLease;

    std::unique_ptr<clients::pg::Connection> connect() const;
    // One attempt on writer_: the entries' statements in one pipeline (a run of reservations
    // is one statement), then COMMIT.
    void commit_batch(const std::vector<clients::pg::Query>& queries,
                      const std::vector<const domain::JournalEntry*>& entries);
    void end_failed_apply(bool refused) noexcept;

    const std::string conninfo_;
    std::unique_ptr<clients::pg::Connection> writer_;  // null after a lost connection
    std::atomic<bool> applying_{false};

    std::mutex readers_mutex_;
    std::vector<std::unique_ptr<clients::pg::Connection>> idle_readers_;  // guarded
};

}  // namespace flashsale::orders
