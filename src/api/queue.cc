// POST /api/v1/sales/{id}/queue: the waiting room's door. Without a ticket in the body the buyer
// joins the back of the line; with {"ticket": T} it asks where that ticket stands. The answer
// is {"state": "queued"|"admitted"|"closed", ticket, position, wait_ms, queue_length}; an
// admitted ticket goes with the token and purchase requests as "queue_ticket". A sale without
// a waiting room answers "admitted" with an empty ticket: nothing to wait for.
#include "api/admission.h"
#include "api/auth.h"
#include "api/errors.h"
#include "api/handlers.h"
#include "api/json_body.h"

namespace flashsale::api {

namespace json = boost::json;

namespace {

Result<std::string> read_ticket(const net::Request& request) {
    auto body = parse_object(request.body());
    if (!body) return body.error();
    if (auto known = reject_unknown_fields(*body, {"ticket"}); !known) return known.error();
    auto ticket = read_string(*body, "ticket");
    if (!ticket) return ticket.error();
    return ticket->value_or(std::string());
}

Response status_response(const admission::QueueStatus& status) {
    return json_response(boost::beast::http::status::ok,
                         json::object{{"state", admission::to_string(status.state)},
                                      {"ticket", status.ticket},
                                      {"position", status.position},
                                      {"wait_ms", status.wait_ms},
                                      {"queue_length", status.length}});
}

}  // namespace

Awaitable<Response> join_queue(ApiContext& context, RequestContext request) {
    auto user = authenticate_user(request.request, context);
    if (!user) co_return error_response(user.error());
    auto ticket = read_ticket(request.request);
    if (!ticket) co_return error_response(ticket.error());
    const auto sale_id = std::string(request.params.get("id"));
    auto learning = learn_sale(context, sale_id);
    auto known = co_await std::move(learning);
    if (!known) co_return error_response(known.error());

    const auto* sale = context.admission.directory().find(sale_id);
    // A blocked buyer or address does not get a place in line either.
    const std::string_view ip = request.remote_ip;
    const auto view = request_view(context, admission::Action::kToken, sale_id, *user, ip);
    if (auto verdict = context.admission.blacklist().check(view); !verdict) {
        context.admission.count(verdict.reason, sale);
        co_return refusal_response(verdict);
    }
    auto& room = context.admission.waiting_room();
    if (sale == nullptr || !room.active_for(*sale)) {
        co_return status_response({.state = admission::QueueStatus::State::kAdmitted});
    }
    const auto now =
        context.admission.directory().engine_now(context.clock.now()).value_or(context.clock.now());
    auto status = ticket->empty() ? room.join(sale_id, *sale, *user, now)
                                  : room.status(sale_id, *sale, *ticket, *user, now);
    if (!status) co_return error_response(status.error());
    co_return status_response(*status);
}

}  // namespace flashsale::api
