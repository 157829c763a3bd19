// OrderReader: reads the OrderStore from coroutines. Each call runs the store's blocking query
// on the reader's own bounded thread pool (never on an io thread) and resumes the awaiting
// coroutine on its own executor with the answer.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "domain/order.h"
#include "orders/order_store.h"

namespace flashsale::orders {

class OrderReader {
public:
    // `store` outlives the reader; its read methods must be safe to call from `threads` threads
    // at once (SqliteOrderStore's are).
    OrderReader(OrderStore& store, std::size_t threads);
    ~OrderReader();  // stop()
    OrderReader(const OrderReader&) = delete;
    OrderReader& operator=(const OrderReader&) = delete;

    // StoreError from the store is rethrown in the awaiting coroutine.
    boost::asio::awaitable<std::optional<domain::Order>> find_order(std::string order_id);
    boost::asio::awaitable<SaleCounts> counts(std::string sale_id);
    // False, not an exception, when the store does not answer (for /readyz).
    boost::asio::awaitable<bool> ping();

    // Waits for the queries under way to finish and joins the pool. Call it once no coroutine
    // will start another read, and before the executors those coroutines resume on are gone.
    // Idempotent.
    void stop();

private:
    OrderStore& store_;
    boost::asio::thread_pool pool_;
};

}  // namespace flashsale::orders
