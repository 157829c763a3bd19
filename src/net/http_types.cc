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

void write_head(const Response& response, std::string& out) {
    out.assign(response.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
    out += std::to_string(response.result_int());
    out += ' ';
    out += std::string_view(response.reason());
    out += "\r\n";
    for (const auto& field : response) {
        out += std::string_view(field.name_string());
        out += ": ";
        out += std::string_view(field.value());
        out += "\r\n";
    }
    out += "\r\n";
}

}  // namespace flashsale::net
