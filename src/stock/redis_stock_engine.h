// The Redis stock engine: stock, reservations and the order stream live in Redis, shared by
// every node, and each decision is one Redis function call (redis/flashsale.lua) that does every
// check before its first write. The reply comes once Redis has the change in its append-only
// file (appendfsync always in the shipped redis.conf), so a 202 survives a Redis crash; the
// order pipeline then moves the sale's stream into the orders database.
//
// Redis's clock (TIME) decides windows and deadlines, so nodes with skewed clocks agree. A sale
// whose keys are missing or being rebuilt answers kUnavailable ("not ready"), never "sold out"
// or "available".
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "clients/redis_client.h"
#include "stock/redis_layout.h"
#include "stock/stock_engine.h"

namespace flashsale::stock {

struct RedisEngineOptions {
    std::chrono::milliseconds expiry_sweep_interval{100};
    int expiry_batch = 256;  // reservations expired per sale per sweep
};

class RedisStockEngine final : public StockEngine {
public:
    // `redis` outlives the engine; the sweeper runs on `sweeper_executor`.
    RedisStockEngine(clients::RedisClient& redis, boost::asio::any_io_executor sweeper_executor,
                     const Clock& clock, RedisEngineOptions options = {});
    ~RedisStockEngine() override;

    // Loads the functions (FUNCTION LOAD REPLACE); blocking, for start-up and tools.
    static Status load_functions(clients::BlockingRedis& redis);

    // Sales the node knows exist (from the database), so that a sale missing from Redis reads
    // as "not ready" rather than "not found". Thread-safe.
    void know_sale(const std::string& sale_id);

    void start();  // starts the expiry sweeper
    void stop();

    Awaitable<Result<domain::Order>> reserve(ReserveRequest request) override;
    Awaitable<Result<domain::Order>> pay(std::string sale_id, std::string order_id) override;
    Awaitable<Result<domain::Order>> cancel(std::string sale_id, std::string order_id) override;
    Awaitable<Result<domain::Order>> find_order(std::string order_id) override;
    Awaitable<Result<domain::Sale>> create_sale(domain::Sale sale) override;
    Awaitable<Result<domain::Sale>> update_sale(std::string sale_id,
                                                domain::SalePatch patch) override;
    Awaitable<Result<SaleView>> view(std::string sale_id) override;
    Awaitable<std::vector<SaleView>> list() override;

private:
    Awaitable<Result<clients::RedisReply>> call(std::string function, std::string sale_id,
                                                std::vector<std::string> args);
    Awaitable<Result<clients::RedisReply>> checked_call(std::string function, std::string sale_id,
                                                        std::vector<std::string> args);
    Awaitable<Result<domain::Order>> order_call(std::string function, std::string sale_id,
                                                std::vector<std::string> args);
    Awaitable<Error> not_ready(std::string sale_id);
    Awaitable<void> sweep_expired();
    Awaitable<std::vector<std::string>> sale_ids();

    clients::RedisClient& redis_;
    boost::asio::steady_timer sweeper_;
    const Clock& clock_;
    RedisEngineOptions options_;
    std::atomic<bool> stopping_{false};
    std::mutex known_mutex_;
    std::set<std::string> known_sales_;  // guarded by known_mutex_
};

}  // namespace flashsale::stock
