// Helpers shared by the orders unit tests: the unit tests' temporary directory, builders for sales, orders and journal entries, and an OrderStore that does nothing,
// for fakes to derive from.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <system_error>
#include <tuple>

#include <gtest/gtest.h>

#include "domain/order_journal.h"
#include "services/temp_dir.h"
#include "orders/order_store.h"

namespace flashsale::orders::testing {

using namespace std::chrono_literals;

using flashsale::testing::TempDir;

// Every test sale opens at kStart and closes an hour later.
inline const TimePoint kStart = from_unix_ms(1'700'000'000'000);
inline const TimePoint kEnd = kStart + 1h;

inline domain::Sale make_sale(std::string id, std::int64_t stock, std::int32_t per_user_limit) {
    domain::Sale sale;
    sale.id = std::move(id);
    sale.name = "sale " + sale.id;
    sale.stock = stock;
    sale.per_user_limit = per_user_limit;
    sale.price_cents = 1999;
    sale.starts_at = kStart;
    sale.ends_at = kEnd;
    sale.reservation_ttl_s = 300;
    return sale;
}

inline domain::Order make_order(std::string id, std::string sale_id, std::string user_id,
                                std::int32_t quantity, std::string idempotency_key = {}) {
    domain::Order order;
    order.id = std::move(id);
    order.sale_id = std::move(sale_id);
    order.user_id = std::move(user_id);
    order.quantity = quantity;
    order.created_at = kStart + 1s;
    order.updated_at = order.created_at;
    order.expires_at = order.created_at + 300s;
    order.idempotency_key = std::move(idempotency_key);
    return order;
}

inline domain::JournalEntry saved(domain::Sale sale) { return domain::SaleSaved{std::move(sale)}; }

inline domain::JournalEntry reserved(domain::Order order) {
    return domain::OrderReserved{std::move(order)};
}

inline domain::JournalEntry transitioned(const domain::Order& order, domain::OrderStatus to) {
    return domain::OrderTransitioned{order.id, order.sale_id, order.quantity, to,
                                     order.created_at + 10s};
}

inline auto fields(const domain::Order& o) {
    return std::tie(o.id, o.sale_id, o.user_id, o.quantity, o.status, o.created_at, o.expires_at,
                    o.updated_at, o.idempotency_key);
}

inline auto fields(const domain::Sale& s) {
    return std::tie(s.id, s.name, s.stock, s.per_user_limit, s.price_cents, s.starts_at, s.ends_at,
                    s.reservation_ttl_s, s.require_token, s.paused, s.pow_difficulty_bits,
                    s.rate_limit_per_s, s.rate_limit_burst);
}

// A store that stores nothing; fakes override what their test needs.
class NullOrderStore : public OrderStore {
public:
    void apply(std::span<const domain::JournalEntry>) override {}
    std::vector<domain::Sale> load_sales() override { return {}; }
    std::vector<domain::Order> load_orders(std::string_view) override { return {}; }
    std::optional<domain::Order> find_order(std::string_view) override { return std::nullopt; }
    SaleCounts counts(std::string_view) override { return {}; }
    std::vector<Violation> verify(std::optional<std::string>) override { return {}; }
    bool ping() override { return true; }
};

}  // namespace flashsale::orders::testing
