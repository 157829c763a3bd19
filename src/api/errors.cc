#include "api/errors.h"

#include "api/json_body.h"

namespace flashsale::api {

namespace http = boost::beast::http;

// RFC 8470's 425 Too Early, which Beast's status enum does not name.
constexpr auto kTooEarly = static_cast<http::status>(425);

http::status status_of(Errc code) {
    switch (code) {
        case Errc::kSoldOut: return http::status::conflict;
        case Errc::kLimitReached: return http::status::conflict;
        case Errc::kNotStarted: return kTooEarly;
        case Errc::kEnded: return http::status::gone;
        case Errc::kNotFound: return http::status::not_found;
        case Errc::kUnauthorized: return http::status::unauthorized;
        case Errc::kForbidden: return http::status::forbidden;
        case Errc::kBadRequest: return http::status::bad_request;
        case Errc::kInvalidTransition: return http::status::conflict;
        case Errc::kConflict: return http::status::conflict;
        case Errc::kPayloadTooLarge: return http::status::payload_too_large;
        case Errc::kHeaderTooLarge: return http::status::request_header_fields_too_large;
        case Errc::kMethodNotAllowed: return http::status::method_not_allowed;
        case Errc::kTimeout: return http::status::request_timeout;
        case Errc::kOverloaded: return http::status::service_unavailable;
        case Errc::kUnavailable: return http::status::service_unavailable;
        case Errc::kBlocked: return http::status::forbidden;
        case Errc::kRateLimited: return http::status::too_many_requests;
        case Errc::kPreconditionRequired: return http::status::precondition_required;
        case Errc::kQueueRequired: return http::status::forbidden;
        case Errc::kInternal: return http::status::internal_server_error;
    }
    return http::status::internal_server_error;
}

// {"error": {"code": ..., "message": ...}}, rendered without building a json::object: most
// answers in a flash sale are refusals.
std::string error_body(Errc code, std::string_view message) {
    constexpr std::string_view kHead = R"({"error":{"code":")";
    const std::string_view name = to_string(code);
    std::string body;
    // One allocation for the body instead of three as it grew: every refusal of a storm is one.
    body.reserve(kHead.size() + name.size() + message.size() + 32);
    body += kHead;
    body += name;
    body += R"(","message":)";
    append_json_string(body, message);
    body += "}}";
    return body;
}

net::Response error_response_with_body(Errc code, std::string body) {
    auto response = json_text_response(status_of(code), std::move(body));
    if (code == Errc::kUnauthorized) response.set(http::field::www_authenticate, "Bearer");
    if (code == Errc::kNotStarted) response.reason("Too Early");
    if (code == Errc::kOverloaded || code == Errc::kUnavailable || code == Errc::kRateLimited) {
        response.set(http::field::retry_after, "1");
    }
    return response;
}

net::Response error_response(Errc code, std::string_view message) {
    return error_response_with_body(code, error_body(code, message));
}

net::Response error_response(const Error& error) { return error_response(error.code, error.message); }

net::Response protocol_error_response(net::ProtocolError error, unsigned http_version) {
    auto response = [&] {
        switch (error) {
            case net::ProtocolError::kBadRequest:
                return error_response(Errc::kBadRequest, "malformed HTTP request");
            case net::ProtocolError::kBodyTooLarge:
                return error_response(Errc::kPayloadTooLarge, "request body too large");
            case net::ProtocolError::kHeaderTooLarge:
                return error_response(Errc::kHeaderTooLarge, "request header too large");
            case net::ProtocolError::kNotFound:
                return error_response(Errc::kNotFound, "no such route");
            case net::ProtocolError::kMethodNotAllowed:
                return error_response(Errc::kMethodNotAllowed, "method not allowed on this route");
            case net::ProtocolError::kUpgradeRequired:
                return error_response(Errc::kBadRequest, "this route takes WebSocket upgrades only");
            case net::ProtocolError::kTooManyConnections:
                return error_response(Errc::kOverloaded, "too many connections");
            case net::ProtocolError::kTimeout:
                return error_response(Errc::kTimeout, "request not received in time");
            case net::ProtocolError::kInternal:
                return error_response(Errc::kInternal, "internal error");
        }
        return error_response(Errc::kInternal, "internal error");
    }();
    response.version(http_version);
    return response;
}

}  // namespace flashsale::api
