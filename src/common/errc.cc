#include "common/errc.h"

namespace flashsale {

std::string_view to_string(Errc code) {
    switch (code) {
        case Errc::kSoldOut: return "sold_out";
        case Errc::kLimitReached: return "limit_reached";
        case Errc::kNotStarted: return "not_started";
        case Errc::kEnded: return "ended";
        case Errc::kNotFound: return "not_found";
        case Errc::kUnauthorized: return "unauthorized";
        case Errc::kForbidden: return "forbidden";
        case Errc::kBadRequest: return "bad_request";
        case Errc::kInvalidTransition: return "invalid_transition";
        case Errc::kConflict: return "conflict";
        case Errc::kPayloadTooLarge: return "payload_too_large";
        case Errc::kHeaderTooLarge: return "header_too_large";
        case Errc::kMethodNotAllowed: return "method_not_allowed";
        case Errc::kTimeout: return "timeout";
        case Errc::kOverloaded: return "overloaded";
        case Errc::kUnavailable: return "unavailable";
        case Errc::kBlocked: return "blocked";
        case Errc::kRateLimited: return "rate_limited";
        case Errc::kPreconditionRequired: return "precondition_required";
        case Errc::kQueueRequired: return "queue_required";
        case Errc::kInternal: return "internal";
    }
    return "internal";
}

}  // namespace flashsale
