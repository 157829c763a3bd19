#include "api/routes.h"

#include <memory>
#include <unordered_map>

#include "api/auth.h"
#include "api/errors.h"
#include "api/handlers.h"
#include "api/static_assets.h"

namespace flashsale::api {

namespace http = boost::beast::http;
using HandlerFunction = Awaitable<Response> (*)(ApiContext&, RequestContext);

namespace {

Awaitable<Response> admin_guarded(ApiContext& context, HandlerFunction handler,
                                  RequestContext request) {
    if (auto admin = authenticate_admin(request.request, context); !admin) {
        co_return error_response(admin.error());
    }
    // The handler's awaitable is made outside the co_await expression: GCC 12 mishandles
    // class-type temporaries (here the request) inside one.
    auto handled = handler(context, std::move(request));
    co_return co_await std::move(handled);
}

struct RouteSpec {
    http::verb method;
    const char* pattern;
    HandlerFunction handler;
    bool admin = false;
};

// Every route of API v1, in one place.
constexpr RouteSpec kRoutes[] = {
    {http::verb::get, "/healthz", get_health},
    {http::verb::get, "/readyz", get_ready},
    {http::verb::get, "/metrics", get_metrics},
    {http::verb::post, "/api/v1/admin/sales", create_sale, true},
    {http::verb::get, "/api/v1/admin/sales", list_sales, true},
    {http::verb::patch, "/api/v1/admin/sales/{id}", patch_sale, true},
    {http::verb::post, "/api/v1/admin/sales/{id}/start", start_sale, true},
    {http::verb::post, "/api/v1/admin/sales/{id}/stop", stop_sale, true},
    {http::verb::post, "/api/v1/admin/sales/{id}/pause", pause_sale, true},
    {http::verb::get, "/api/v1/admin/sales/{id}/stats", get_sale_stats, true},
    {http::verb::get, "/api/v1/admin/blacklist", list_blacklist, true},
    {http::verb::post, "/api/v1/admin/blacklist", add_to_blacklist, true},
    {http::verb::delete_, "/api/v1/admin/blacklist/users/{id}", remove_user_from_blacklist, true},
    {http::verb::delete_, "/api/v1/admin/blacklist/ips/{ip}", remove_ip_from_blacklist, true},
    {http::verb::get, "/api/v1/sales/{id}", get_sale},
    {http::verb::post, "/api/v1/sales/{id}/token", issue_token},
    {http::verb::post, "/api/v1/sales/{id}/purchase", purchase},
    {http::verb::post, "/api/v1/sales/{id}/queue", join_queue},
    {http::verb::get, "/api/v1/orders/{id}", get_order},
    {http::verb::post, "/api/v1/orders/{id}/pay", pay_order},
    {http::verb::post, "/api/v1/orders/{id}/cancel", cancel_order},
};

// Requests by route and status, and their latency. Counters are made at start-up for every
// route, so that counting a response is a lookup in a map that no longer changes.
class RequestMetrics {
public:
    explicit RequestMetrics(MetricsRegistry& registry)
        : duration_(registry.histogram("flashsale_http_request_duration_seconds",
                                       "Time from request header to response",
                                       latency_buckets_s())) {
        for (const auto& route : kRoutes) add(registry, route.pattern);
        add(registry, "/api/v1/ws");
        for (const auto& pattern : static_route_patterns()) add(registry, pattern);
        add(registry, "unmatched");
    }

    void observe(std::string_view route, unsigned status, std::chrono::nanoseconds elapsed) {
        auto found = by_route_.find(route);
        if (found == by_route_.end()) found = by_route_.find("unmatched");
        found->second->inc(status);
        duration_.observe(std::chrono::duration<double>(elapsed).count());
    }

private:
    void add(MetricsRegistry& registry, std::string_view route) {
        if (by_route_.contains(route)) return;
        by_route_[route] = &registry.status_counters(
            "flashsale_http_requests_total", "HTTP responses by route and status",
            "route=\"" + std::string(route) + "\"");
    }

    Histogram& duration_;
    std::unordered_map<std::string_view, StatusCounters*> by_route_;
};

}  // namespace

PurchaseMetrics::PurchaseMetrics(MetricsRegistry& registry) {
    const std::string name = "flashsale_purchases_total";
    const std::string help = "Purchase attempts by outcome";
    accepted_ = &registry.counter(name, help, "outcome=\"accepted\"");
    for (std::size_t code = 0; code < refused_.size(); ++code) {
        auto outcome = to_string(static_cast<Errc>(code));
        refused_[code] = &registry.counter(name, help, "outcome=\"" + std::string(outcome) + "\"");
    }
}

net::Router make_router(ApiContext& context) {
    net::Router router;
    for (const auto& route : kRoutes) {
        auto handler = route.handler;
        if (route.admin) {
            router.add(route.method, route.pattern, [&context, handler](RequestContext request) {
                return admin_guarded(context, handler, std::move(request));
            });
        } else {
            router.add(route.method, route.pattern, [&context, handler](RequestContext request) {
                return handler(context, std::move(request));
            });
        }
    }
    router.add_websocket("/api/v1/ws", [&context](RequestContext request) {
        return open_websocket(context, std::move(request));
    });
    add_static_routes(router);
    return router;
}

net::HttpHooks make_hooks(ApiContext& context) {
    auto metrics = std::make_shared<RequestMetrics>(context.metrics);
    net::HttpHooks hooks;
    hooks.error_response = protocol_error_response;
    hooks.on_response = [metrics](std::string_view route, unsigned status,
                                  std::chrono::nanoseconds elapsed) {
        metrics->observe(route, status, elapsed);
    };
    return hooks;
}

}  // namespace flashsale::api
