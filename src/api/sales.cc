// GET /api/v1/sales/{id}: the public view of a sale, answered from the stock engine's memory.
#include "api/errors.h"
#include "api/handlers.h"
#include "api/json_body.h"
#include "api/views.h"

namespace flashsale::api {

Awaitable<Response> get_sale(ApiContext& context, RequestContext request) {
    auto view = co_await context.stock.view(std::string(request.params.get("id")));
    if (!view) co_return error_response(view.error());
    co_return json_response(boost::beast::http::status::ok,
                            sale_json(*view, context.clock.now()));
}

}  // namespace flashsale::api
