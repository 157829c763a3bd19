// The embedded stock engine: each sale's SaleBook lives on one worker (its shard), so every
// decision about a sale runs on one thread, in order, with no lock. A decision's journal entry
// is appended on that thread too, and the caller is answered once the journal made it durable:
// the disk sees decisions in the order memory took them, and a restart rebuilds the same state.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "common/clock.h"
#include "domain/order_journal.h"
#include "stock/sale_book.h"
#include "stock/stock_engine.h"

namespace flashsale::stock {

struct MemoryEngineOptions {
    std::chrono::milliseconds expiry_sweep_interval{100};
};

class MemoryStockEngine final : public StockEngine {
public:
    // One shard per executor; the engine does not own them. `journal` and `clock` outlive it.
    MemoryStockEngine(std::vector<boost::asio::any_io_executor> shard_executors,
                      domain::OrderJournal& journal, const Clock& clock,
                      MemoryEngineOptions options = {});
    ~MemoryStockEngine() override;

    // Start-up only, before start(): a stored sale, then each of its stored orders, oldest
    // first (the order's sale must be restored already).
    void restore(domain::Sale sale);
    void restore(const domain::Order& order);
    // Starts the expiry sweepers; stop() ends them (call it before the executors stop).
    void start();
    void stop();
    // Before start(): hears of each expiry once it is durable.
    void observe(OrderObserver observer) { observer_ = std::move(observer); }

    Awaitable<Result<domain::Order>> reserve(ReserveRequest request) override;
    Awaitable<Result<domain::Order>> pay(std::string sale_id, std::string order_id) override;
    Awaitable<Result<domain::Order>> cancel(std::string sale_id, std::string order_id) override;
    // Always kNotFound: the store is written before any answer, so it is as fresh.
    Awaitable<Result<domain::Order>> find_order(std::string order_id) override;
    Awaitable<Result<domain::Sale>> create_sale(domain::Sale sale) override;
    Awaitable<Result<domain::Sale>> update_sale(std::string sale_id,
                                                domain::SalePatch patch) override;
    Awaitable<Result<SaleView>> view(std::string sale_id) override;
    Awaitable<std::vector<SaleView>> list() override;

private:
    OrderObserver observer_;
    struct Shard;
    Shard& shard_for(const std::string& sale_id);
    template <class T, class Decide>
    Awaitable<Result<T>> decide_on_shard(Shard& shard, Decide decide);
    template <class T, class Act>
    Awaitable<Result<T>> with_book(std::string sale_id, Act act);
    Awaitable<void> sweep_expired(Shard& shard);
    void expire_due(Shard& shard, TimePoint now);
    void append_expiry(domain::JournalEntry entry);

    std::vector<std::unique_ptr<Shard>> shards_;
    domain::OrderJournal& journal_;
    const Clock& clock_;
    MemoryEngineOptions options_;
    std::atomic<bool> stopping_{false};
};

}  // namespace flashsale::stock
