#include "net/http_types.h"

namespace flashsale::net {

std::string_view to_string(ProtocolError error) {
    switch (error) {
        case ProtocolError::kBadRequest:
            return "bad_request";
        case ProtocolError::kBodyTooLarge:
            return "body_too_large";
        case ProtocolError::kHeaderTooLarge:
            return "header_too_large";
        case ProtocolError::kNotFound:
            return "not_found";
        case ProtocolError::kMethodNotAllowed:
            return "method_not_allowed";
        case ProtocolError::kUpgradeRequired:
            return "upgrade_required";
        case ProtocolError::kTooManyConnections:
            return "too_many_connections";
        case ProtocolError::kTimeout:
            return "timeout";
        case ProtocolError::kInternal:
            return "internal";
    }
    return "internal";
}

}  // namespace flashsale::net
