#include "orders/order_reader.h"

#include <utility>

#include "common/blocking.h"
#include "common/check.h"

namespace flashsale::orders {

namespace {

std::size_t checked_thread_count(std::size_t threads) {
    FS_CHECK(threads >= 1);
    return threads;
}

}  // namespace

OrderReader::OrderReader(OrderStore& store, std::size_t threads)
    : store_(store), pool_(checked_thread_count(threads)) {}

OrderReader::~OrderReader() { stop(); }

// Each query is named before the co_await: see the GCC 12 note in common/blocking.h.
boost::asio::awaitable<std::optional<domain::Order>> OrderReader::find_order(
    std::string order_id) {
    auto query = [this, order_id = std::move(order_id)] { return store_.find_order(order_id); };
    co_return co_await run_blocking(pool_, std::move(query));
}

boost::asio::awaitable<SaleCounts> OrderReader::counts(std::string sale_id) {
    auto query = [this, sale_id = std::move(sale_id)] { return store_.counts(sale_id); };
    co_return co_await run_blocking(pool_, std::move(query));
}

boost::asio::awaitable<bool> OrderReader::ping() {
    auto query = [this] { return store_.ping(); };
    try {
        co_return co_await run_blocking(pool_, std::move(query));
    } catch (const StoreError&) {
        co_return false;
    }
}

void OrderReader::stop() { pool_.join(); }

}  // namespace flashsale::orders
