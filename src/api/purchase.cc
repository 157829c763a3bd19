// POST /api/v1/sales/{id}/purchase: the buyer's one request that matters. Refuse at once what
// the sale itself refuses (closed window, sold out: no buyer needed), authenticate, read
// the body, pass the admission funnel (admission/funnel.h), then one atomic step in the stock
// engine; 202 only once the order is durable.
#include "api/admission.h"
#include "api/auth.h"
#include "api/errors.h"
#include "api/handlers.h"
#include "api/json_body.h"
#include "api/push_messages.h"
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

struct PurchaseBody {
    std::int32_t quantity = 1;
    std::string token;         // the purchase token, empty when none was sent
    std::string queue_ticket;  // the waiting room's ticket, empty when none was sent
};

// The body is optional; {"quantity": n, "token": "...", "queue_ticket": "..."} with n >= 1. Above the sale's limit is
// the engine's limit_reached, so the upper bound here is only a sanity bound.
Result<PurchaseBody> read_body(const net::Request& request) {
    auto body = parse_object(request.body());
    if (!body) return body.error();
    if (auto known = reject_unknown_fields(*body, {"quantity", "token", "queue_ticket"}); !known) {
        return known.error();
    }
    auto quantity = read_integer(*body, "quantity", 1, 1'000'000);
    if (!quantity) return quantity.error();
    auto token = read_string(*body, "token");
    if (!token) return token.error();
    auto ticket = read_string(*body, "queue_ticket");
    if (!ticket) return ticket.error();
    return PurchaseBody{static_cast<std::int32_t>(quantity->value_or(1)),
                        token->value_or(std::string()), ticket->value_or(std::string())};
}

struct Purchase {
    stock::ReserveRequest reserve;
    std::string token;
    std::string queue_ticket;
};

Result<Purchase> read_purchase(const ApiContext& context, const RequestContext& request) {
    auto user = authenticate_user(request.request, context);
    if (!user) return user.error();
    auto body = read_body(request.request);
    if (!body) return body.error();
    auto key = read_idempotency_key(request.request);
    if (!key) return key.error();
    return Purchase{{std::string(request.params.get("id")), std::move(*user), body->quantity,
                     std::move(*key)},
                    std::move(body->token), std::move(body->queue_ticket)};
}

// The funnel's gates for a buyer whose sale this node knows.
admission::Verdict admit(ApiContext& context, const RequestContext& request,
                         const Purchase& purchase) {
    const auto& reserve = purchase.reserve;
    auto view = request_view(context, admission::Action::kPurchase, reserve.sale_id,
                             reserve.user_id, request.remote_ip,
                             {purchase.token, purchase.queue_ticket});
    return context.admission.check(view);
}

// The engine refused a single unit as sold out: nothing is left, and this node's gate answers
// the next ones itself.
void learn_from_refusal(ApiContext& context, std::string_view sale_id, std::int32_t quantity,
                        const Error& error) {
    if (error.code == Errc::kSoldOut && quantity == 1) {
        context.admission.directory().learn_sold_out(std::string(sale_id));
    }
}

}  // namespace

// A coroutine's locals live in its frame, and Asio recycles frames only up to about 1 KiB:
// a larger one costs an aligned allocation on every purchase. The gates' views and other
// short-lived values therefore stay in the plain functions above, on the stack.
Awaitable<Response> purchase(ApiContext& context, RequestContext request) {
    if (auto early = check_sale_early(context, request, admission::Action::kPurchase); !early) {
        context.purchases.refused(admission::errc_of(early.reason));
        co_return refusal_response(early);
    }
    auto purchase = read_purchase(context, request);
    if (!purchase) {
        context.purchases.refused(purchase.error().code);
        co_return error_response(purchase.error());
    }
    auto& reserve = purchase->reserve;
    auto learning = learn_sale(context, reserve.sale_id);
    auto known = co_await std::move(learning);
    if (!known) {
        context.purchases.refused(known.error().code);
        co_return error_response(known.error());
    }
    if (auto verdict = admit(context, request, *purchase); !verdict) {
        context.purchases.refused(admission::errc_of(verdict.reason));
        co_return refusal_response(verdict);
    }
    auto in_flight = context.admission.shedding().enter();
    const std::int32_t quantity = reserve.quantity;
    auto reserving = context.stock.reserve(std::move(reserve));
    auto order = co_await std::move(reserving);
    if (!order) {
        // The reservation's strings went to the engine; the path still names the sale.
        learn_from_refusal(context, request.params.get("id"), quantity, order.error());
        context.purchases.refused(order.error().code);
        co_return error_response(order.error());
    }
    context.purchases.accepted();
    publish_order(context, "reserved", *order);
    if (context.engine_persists_orders) publish_order(context, "persisted", *order);
    co_return json_text_response(boost::beast::http::status::accepted, order_json(*order));
}

}  // namespace flashsale::api
