// What the handlers share: the engines they call, the clock, the secrets and the metrics.
// Built once by the app at start-up; it outlives every request.
#pragma once

#include <array>
#include <functional>
#include <string>

#include "admission/funnel.h"
#include "api/read_coalescer.h"
#include "common/clock.h"
#include "common/jwt.h"
#include "common/metrics.h"
#include "orders/order_reader.h"
#include "push/event_bus.h"
#include "push/push_hub.h"
#include "stock/stock_engine.h"

namespace flashsale::api {

// Purchase attempts by outcome: accepted, or the Errc that refused them.
class PurchaseMetrics {
public:
    explicit PurchaseMetrics(MetricsRegistry& registry);
    void accepted() { accepted_->inc(); }
    void refused(Errc code) { refused_[static_cast<std::size_t>(code)]->inc(); }

private:
    Counter* accepted_;
    std::array<Counter*, static_cast<std::size_t>(Errc::kInternal) + 1> refused_{};
};

// The WebSocket side: live connections, buyers dropped for reading too slowly.
class PushMetrics {
public:
    explicit PushMetrics(MetricsRegistry& registry)
        : connections(registry.gauge("flashsale_ws_connections", "Open WebSocket connections")),
          sent(registry.counter("flashsale_ws_messages_total", "Messages queued to WebSockets")),
          dropped(registry.counter("flashsale_ws_dropped_total",
                                    "WebSockets dropped: reader too slow or abusive")) {}
    Gauge& connections;
    Counter& sent;
    Counter& dropped;
};

struct ApiContext {
    stock::StockEngine& stock;
    orders::OrderReader& orders;
    // This node's clock (JWT expiry, blacklist expiry). Sale windows use the engine's clock,
    // through the admission directory's learned offset.
    const Clock& clock;
    std::string admin_token;
    JwtVerifier buyer_tokens;  // verifies buyers' JWTs
    MetricsRegistry& metrics;
    admission::Funnel& admission;
    std::function<bool()> stock_ready = [] { return true; };  // the engine's backend answers
    PurchaseMetrics purchases{metrics};
    // Pushes to buyers: the hub of this node's connections and the bus that reaches every
    // node. Both set by the app before the server starts, and outlive every request.
    push::PushHub* hub = nullptr;
    push::EventBus* events = nullptr;
    // True when the engine's 202 means the order is in the orders database already (the
    // embedded and pg-* engines); the Redis engine's pipeline says "persisted" later.
    bool engine_persists_orders = true;
    std::size_t watches_max = 16;  // sales one WebSocket may watch
    PushMetrics pushes{metrics};
    // GET sale's reads of the engine, shared by the requests for one sale that arrive together.
    ReadCoalescer<Result<stock::SaleView>> sale_views;
};

}  // namespace flashsale::api
