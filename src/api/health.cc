// GET /healthz (the process answers), GET /readyz (the order store and the stock engine's
// backend answer), GET /metrics.
#include <boost/json/object.hpp>

#include "api/errors.h"
#include "api/handlers.h"
#include "api/json_body.h"

namespace flashsale::api {

namespace http = boost::beast::http;

Awaitable<Response> get_health(ApiContext&, RequestContext) {
    co_return json_response(http::status::ok, boost::json::object{{"status", "ok"}});
}

Awaitable<Response> get_ready(ApiContext& context, RequestContext) {
    bool ready = co_await context.orders.ping();
    if (!ready) {
        co_return error_response(Errc::kUnavailable, "the order store does not answer");
    }
    if (!context.stock_ready()) {
        co_return error_response(Errc::kUnavailable, "the stock engine's backend does not answer");
    }
    co_return json_response(http::status::ok, boost::json::object{{"status", "ready"}});
}

Awaitable<Response> get_metrics(ApiContext& context, RequestContext) {
    Response response{http::status::ok, 11};
    response.set(http::field::content_type, "text/plain; version=0.0.4");
    response.body() = context.metrics.render();
    co_return response;
}

}  // namespace flashsale::api
