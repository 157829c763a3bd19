// POST /api/v1/sales/{id}/token: the hidden purchase path. Issued only to an authenticated
// buyer of an open sale who passes the funnel's gates; when the sale (or the load) asks for a
// proof of work, the first answer is 428 with a challenge, and the token comes once the
// client sends back {"challenge": ..., "nonce": ...} that solves it.
#include "api/admission.h"
#include "api/auth.h"
#include "api/errors.h"
#include "api/handlers.h"
#include "api/json_body.h"
#include "common/time_format.h"

namespace flashsale::api {

namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

struct Answer {
    std::string challenge;  // empty: the client has no answer yet
    std::string nonce;
    std::string queue_ticket;  // the waiting room's ticket, empty when none was sent
};

Result<Answer> read_answer(const net::Request& request) {
    auto body = parse_object(request.body());
    if (!body) return body.error();
    if (auto known = reject_unknown_fields(*body, {"challenge", "nonce", "queue_ticket"});
        !known) {
        return known.error();
    }
    auto challenge = read_string(*body, "challenge");
    if (!challenge) return challenge.error();
    auto nonce = read_string(*body, "nonce");
    if (!nonce) return nonce.error();
    if (challenge->has_value() != nonce->has_value()) {
        return make_error(Errc::kBadRequest, "'challenge' and 'nonce' go together");
    }
    auto ticket = read_string(*body, "queue_ticket");
    if (!ticket) return ticket.error();
    return Answer{challenge->value_or(""), nonce->value_or(""), ticket->value_or("")};
}

// 428 with a fresh challenge in the body, beside the usual error object.
Response challenge_response(ApiContext& context, const admission::RequestView& view,
                            std::int32_t bits) {
    context.admission.count(admission::Reason::kPowRequired, view.sale);
    auto challenge =
        context.admission.proof_of_work().issue(view.sale_id, view.user_id, bits, view.engine_now);
    json::object error{{"code", to_string(Errc::kPreconditionRequired)},
                       {"message", admission::message_of(admission::Reason::kPowRequired)}};
    return json_response(status_of(Errc::kPreconditionRequired),
                         json::object{{"error", std::move(error)},
                                      {"challenge", challenge.text},
                                      {"difficulty_bits", challenge.difficulty_bits},
                                      {"algorithm", "sha256(challenge || nonce)"},
                                      {"expires_at", format_rfc3339(challenge.expires_at)}});
}

// Admitted when the sale asks no puzzle now, or the answer solves a fresh challenge of ours.
std::optional<Response> check_puzzle(ApiContext& context, const admission::RequestView& view,
                                     const Answer& answer) {
    auto& pow = context.admission.proof_of_work();
    const std::int32_t sale_bits = view.sale->pow_difficulty_bits();
    const std::int32_t bits = pow.difficulty(sale_bits, view.monotonic_us);
    if (bits <= 0) return std::nullopt;
    if (answer.challenge.empty()) return challenge_response(context, view, bits);
    auto verdict = pow.check_answer(answer.challenge, answer.nonce, view.sale_id, view.user_id,
                                    sale_bits, view.engine_now);
    if (verdict) return std::nullopt;
    if (verdict.reason == admission::Reason::kPowRequired) {
        return challenge_response(context, view, bits);  // expired: here is a new one
    }
    context.admission.count(verdict.reason, view.sale);
    return refusal_response(verdict);
}

}  // namespace

Awaitable<Response> issue_token(ApiContext& context, RequestContext request) {
    if (auto early = check_sale_early(context, request, admission::Action::kToken); !early) {
        co_return refusal_response(early);
    }
    auto user = authenticate_user(request.request, context);
    if (!user) co_return error_response(user.error());
    auto answer = read_answer(request.request);
    if (!answer) co_return error_response(answer.error());
    const auto sale_id = std::string(request.params.get("id"));
    auto learning = learn_sale(context, sale_id);
    auto known = co_await std::move(learning);
    if (!known) co_return error_response(known.error());

    const std::string_view ip = request.remote_ip;
    auto view = request_view(context, admission::Action::kToken, sale_id, *user, ip,
                             {{}, answer->queue_ticket});
    if (auto verdict = context.admission.check(view); !verdict) {
        co_return refusal_response(verdict);
    }
    if (auto refused = check_puzzle(context, view, *answer)) co_return std::move(*refused);
    auto issued = context.admission.tokens().issue(sale_id, *user, view.engine_now);
    co_return json_response(http::status::ok,
                            json::object{{"token", issued.token},
                                         {"sale_id", sale_id},
                                         {"expires_at", format_rfc3339(issued.expires_at)}});
}

}  // namespace flashsale::api
