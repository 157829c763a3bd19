// The seed articles' database strategies as stock engines, for comparison with the memory and
// Redis engines and for shops that have only a database. Stock, orders and buyers live in the
// PostgreSQL orders schema (postgres_schema.cc); each purchase is one transaction that decides
// and writes the order together, so it is durable (COMMIT, synchronous_commit on) before 202.
// The strategies differ only in how they take the stock:
//   pg-lock        SELECT ... FOR UPDATE on the sale row, decide, UPDATE (pessimistic)
//   pg-optimistic  read the row and its version, UPDATE ... WHERE version = v; retry (bounded)
//   pg-guarded     one UPDATE sales SET sold = sold + n WHERE ... AND sold + n <= stock
// The database's clock (clock_timestamp()) decides windows and deadlines, so several nodes
// agree. Blocking libpq work runs on the engine's own thread pool (one connection per thread),
// never on an io thread; an expiry sweeper thread releases reservations past their deadline.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/thread_pool.hpp>

#include "stock/stock_engine.h"

namespace flashsale::clients::pg {
class Connection;
}

namespace flashsale::stock {

enum class PgStrategy { kLock, kOptimistic, kGuarded };
struct PgSaleRow;  // what a stock decision reads of a sale's row (pg_stock_engine.cc)

// "pg-lock", "pg-optimistic", "pg-guarded".
std::optional<PgStrategy> parse_pg_strategy(std::string_view engine);
std::string_view to_string(PgStrategy strategy);

struct PgEngineOptions {
    PgStrategy strategy = PgStrategy::kGuarded;
    std::size_t connections = 8;  // threads of the pool, one connection each
    std::chrono::milliseconds expiry_sweep_interval{100};
    int expiry_batch = 256;         // reservations expired per sweep transaction
    // pg-optimistic: compare-and-set attempts, then 503 overloaded. Each lost attempt means
    // another purchase of the sale committed, so with N connections a request loses a round to
    // at most N-1 others; 16 was seen to starve a request under a storm on a busy machine.
    int optimistic_attempts_max = 64;
};

class PgStockEngine final : public StockEngine {
public:
    // Connects lazily; `conninfo` names a database migrated to this build's schema.
    PgStockEngine(std::string conninfo, PgEngineOptions options);
    ~PgStockEngine() override;  // stop()
    PgStockEngine(const PgStockEngine&) = delete;
    PgStockEngine& operator=(const PgStockEngine&) = delete;

    void start();          // starts the expiry sweeper thread
    // Before start(): hears of each expiry once it is committed (on the sweeper thread).
    void observe(OrderObserver observer) { observer_ = std::move(observer); }
    void stop_sweeper();   // ends it; idempotent
    // Ends the sweeper and joins the pool: call once no coroutine starts another call, before
    // the executors the callers resume on are gone. Idempotent.
    void stop();

    Awaitable<Result<domain::Order>> reserve(ReserveRequest request) override;
    Awaitable<Result<domain::Order>> pay(std::string sale_id, std::string order_id) override;
    Awaitable<Result<domain::Order>> cancel(std::string sale_id, std::string order_id) override;
    // Always kNotFound: orders are written to the store in the decision's own transaction.
    Awaitable<Result<domain::Order>> find_order(std::string order_id) override;
    Awaitable<Result<domain::Sale>> create_sale(domain::Sale sale) override;
    Awaitable<Result<domain::Sale>> update_sale(std::string sale_id,
                                                domain::SalePatch patch) override;
    Awaitable<Result<SaleView>> view(std::string sale_id) override;
    Awaitable<std::vector<SaleView>> list() override;

    // Blocking, for the sweeper and tests: expires due reservations; returns how many.
    std::int64_t expire_due();

private:
    OrderObserver observer_;
    class Lease;
    template <class T, class Body>
    Awaitable<Result<T>> run(Body body);
    template <class T, class Body>
    Result<T> with_connection(Body& body);

    Result<domain::Order> reserve_once(clients::pg::Connection& connection,
                                       const ReserveRequest& request);
    Result<domain::Order> reserve_step(clients::pg::Connection& connection,
                                       const ReserveRequest& request);
    Result<PgSaleRow> take_stock(clients::pg::Connection& connection,
                                      const ReserveRequest& request);
    Result<domain::Order> transition_once(clients::pg::Connection& connection,
                                          const std::string& sale_id,
                                          const std::string& order_id, domain::OrderStatus to);
    Result<domain::Sale> update_once(clients::pg::Connection& connection,
                                     const std::string& sale_id, const domain::SalePatch& patch);
    Result<std::vector<SaleView>> views(clients::pg::Connection& connection,
                                        const std::optional<std::string>& sale_id);
    void count_refusal(const std::string& sale_id, Errc code);
    void sweep_loop();

    const std::string conninfo_;
    const PgEngineOptions options_;
    boost::asio::thread_pool pool_;
    std::atomic<bool> stopped_{false};

    std::mutex idle_mutex_;
    std::vector<std::unique_ptr<clients::pg::Connection>> idle_;  // guarded by idle_mutex_

    std::mutex refusals_mutex_;
    std::unordered_map<std::string, RefusalCounts> refusals_;  // this node's, guarded

    std::mutex sweeper_mutex_;
    std::condition_variable sweeper_wake_;
    bool sweeper_stopping_ = false;  // guarded by sweeper_mutex_
    std::thread sweeper_;
};

}  // namespace flashsale::stock
