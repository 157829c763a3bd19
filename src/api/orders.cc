// GET /api/v1/orders/{id}, POST .../pay, POST .../cancel: only the order's own user sees or
// changes it; anyone else gets 404, so order ids reveal nothing. Reads come from the stock
// engine where it keeps the freshest copy (Redis), else from the order store; changes go
// through the stock engine, which owns the reservation and its stock.
#include <fmt/format.h>

#include "api/auth.h"
#include "api/errors.h"
#include "api/handlers.h"
#include "api/json_body.h"
#include "api/push_messages.h"
#include "api/views.h"

namespace flashsale::api {

namespace {

// The caller's order as stored, or the error to answer with.
Awaitable<Result<domain::Order>> find_own_order(ApiContext& context,
                                                const RequestContext& request) {
    auto user = authenticate_user(request.request, context);
    if (!user) co_return user.error();
    auto order_id = std::string(request.params.get("id"));
    auto held = context.stock.find_order(order_id);
    auto fresh = co_await std::move(held);
    std::optional<domain::Order> order;
    if (fresh) {
        order = std::move(*fresh);
    } else if (fresh.error().code != Errc::kNotFound) {
        co_return fresh.error();
    } else {
        auto stored = context.orders.find_order(std::move(order_id));
        order = co_await std::move(stored);
    }
    if (!order || order->user_id != *user) {
        co_return make_error(Errc::kNotFound, "no such order");
    }
    co_return std::move(*order);
}

// An order changes only with its status, and each change moves updated_at: the two make a
// validator that every node computes alike, so a poller's unchanged order costs a 304.
std::string order_etag(const domain::Order& order) {
    return fmt::format("\"{}-{}\"", domain::to_string(order.status), to_unix_ms(order.updated_at));
}

enum class Change { kPay, kCancel };

Awaitable<Response> change_order(ApiContext& context, RequestContext request, Change change) {
    auto order = co_await find_own_order(context, request);
    if (!order) co_return error_response(order.error());
    if (order->status != domain::OrderStatus::kReserved) {
        co_return error_response(Errc::kInvalidTransition,
                                 "the order is " + std::string(to_string(order->status)));
    }
    // (No co_await inside a conditional expression: GCC 12 miscompiles it.)
    Result<domain::Order> changed;
    if (change == Change::kPay) {
        changed = co_await context.stock.pay(order->sale_id, order->id);
    } else {
        changed = co_await context.stock.cancel(order->sale_id, order->id);
    }
    // A cancel, or a payment too late (the order expired), gives units back: the node's
    // sold-out flag must ask the engine again.
    if (change == Change::kCancel || !changed) {
        context.admission.directory().learn_stock_returned(order->sale_id);
    }
    if (!changed) co_return error_response(changed.error());
    publish_order(context, domain::to_string(changed->status), *changed);
    co_return json_text_response(boost::beast::http::status::ok, order_json(*changed));
}

}  // namespace

Awaitable<Response> get_order(ApiContext& context, RequestContext request) {
    auto order = co_await find_own_order(context, request);
    if (!order) co_return error_response(order.error());
    const auto etag = order_etag(*order);
    if (request.request[boost::beast::http::field::if_none_match] == etag) {
        Response unchanged{boost::beast::http::status::not_modified, request.request.version()};
        unchanged.set(boost::beast::http::field::etag, etag);
        co_return unchanged;
    }
    auto response = json_text_response(boost::beast::http::status::ok, order_json(*order));
    response.set(boost::beast::http::field::etag, etag);
    response.set(boost::beast::http::field::cache_control, "private, no-cache");
    co_return response;
}

// Not coroutines: they hand their request to change_order's frame.
Awaitable<Response> pay_order(ApiContext& context, RequestContext request) {
    return change_order(context, std::move(request), Change::kPay);
}

Awaitable<Response> cancel_order(ApiContext& context, RequestContext request) {
    return change_order(context, std::move(request), Change::kCancel);
}

}  // namespace flashsale::api
