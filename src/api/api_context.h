// What the handlers share: the engines they call, the clock, the secrets and the metrics.
// Built once by the app at start-up; it outlives every request.
#pragma once

#include <array>
#include <functional>
#include <string>

#include "admission/funnel.h"
#include "common/clock.h"
#include "common/metrics.h"
#include "orders/order_reader.h"
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

struct ApiContext {
    stock::StockEngine& stock;
    orders::OrderReader& orders;
    // This node's clock (JWT expiry, blacklist expiry). Sale windows use the engine's clock,
    // through the admission directory's learned offset.
    const Clock& clock;
    std::string admin_token;
    std::string jwt_secret;
    MetricsRegistry& metrics;
    admission::Funnel& admission;
    std::function<bool()> stock_ready = [] { return true; };  // the engine's backend answers
    PurchaseMetrics purchases{metrics};
};

}  // namespace flashsale::api
