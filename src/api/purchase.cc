// POST /api/v1/sales/{id}/purchase: the buyer's one request that matters. Authenticate, read
// the quantity, then one atomic step in the stock engine; 202 only once the order is durable.
#include "api/auth.h"
#include "api/errors.h"
#include "api/handlers.h"
#include "api/json_body.h"
#include "api/views.h"

namespace flashsale::api {

namespace {

constexpr std::size_t kIdempotencyKeyLengthMax = 128;

Result<std::string> read_idempotency_key(const net::Request& request) {
    auto key = request["Idempotency-Key"];
    if (key.size() > kIdempotencyKeyLengthMax) {
        return make_error(Errc::kBadRequest, "Idempotency-Key is longer than 128 characters");
    }
    for (char c : key) {
        if (c < 0x21 || c > 0x7e) {
            return make_error(Errc::kBadRequest, "Idempotency-Key must be visible ASCII");
        }
    }
    return std::string(key);
}

// The body is optional; {"quantity": n} with n >= 1. Above the sale's limit is the engine's
// limit_reached, so the upper bound here is only a sanity bound.
Result<std::int32_t> read_quantity(const net::Request& request) {
    auto body = parse_object(request.body());
    if (!body) return body.error();
    if (auto known = reject_unknown_fields(*body, {"quantity"}); !known) return known.error();
    auto quantity = read_integer(*body, "quantity", 1, 1'000'000);
    if (!quantity) return quantity.error();
    return static_cast<std::int32_t>(quantity->value_or(1));
}

Result<stock::ReserveRequest> read_purchase(const ApiContext& context,
                                            const RequestContext& request) {
    auto user = authenticate_user(request.request, context);
    if (!user) return user.error();
    auto quantity = read_quantity(request.request);
    if (!quantity) return quantity.error();
    auto key = read_idempotency_key(request.request);
    if (!key) return key.error();
    return stock::ReserveRequest{std::string(request.params.get("id")), std::move(*user),
                                 *quantity, std::move(*key)};
}

}  // namespace

Awaitable<Response> purchase(ApiContext& context, RequestContext request) {
    auto reserve = read_purchase(context, request);
    if (!reserve) {
        context.purchases.refused(reserve.error().code);
        co_return error_response(reserve.error());
    }
    auto order = co_await context.stock.reserve(std::move(*reserve));
    if (!order) {
        context.purchases.refused(order.error().code);
        co_return error_response(order.error());
    }
    context.purchases.accepted();
    co_return json_response(boost::beast::http::status::accepted, order_json(*order));
}

}  // namespace flashsale::api
