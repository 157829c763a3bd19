// GET /api/v1/sales/{id}: the public view of a sale, answered from the stock engine's memory,
// on the engine's clock (server_time and status). Requests for one sale that arrive together
// share one read of the engine (ReadCoalescer), never one older than the request.
#include "api/admission.h"
#include "api/errors.h"
#include "api/handlers.h"
#include "api/json_body.h"
#include "api/views.h"

namespace flashsale::api {

Awaitable<Response> get_sale(ApiContext& context, RequestContext request) {
    const std::string sale_id(request.params.get("id"));
    auto op = context.sale_views.read(sale_id, [&] { return context.stock.view(sale_id); });
    auto view = co_await std::move(op);
    if (!view) co_return error_response(view.error());
    learn(context, *view);
    co_return json_response(boost::beast::http::status::ok, public_sale_json(context, *view));
}

}  // namespace flashsale::api
