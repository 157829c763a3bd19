#include "net/http_types.h"

#include <array>
#include <charconv>

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

namespace {

bool carries_body(unsigned status) { return status >= 200 && status != 204 && status != 304; }

void append_number(std::string& out, std::size_t number) {
    std::array<char, 24> digits{};
    const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), number).ptr;
    out.append(digits.data(), end);
}

}  // namespace

void write_head(const Response& response, std::string& out) {
    namespace http = boost::beast::http;
    out.assign(response.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
    append_number(out, response.result_int());
    out += ' ';
    out += std::string_view(response.reason());
    out += "\r\n";
    for (const auto& field : response) {
        if (field.name() == http::field::content_length ||
            field.name() == http::field::transfer_encoding) {
            continue;
        }
        out += std::string_view(field.name_string());
        out += ": ";
        out += std::string_view(field.value());
        out += "\r\n";
    }
    if (carries_body(response.result_int())) {
        out += "Content-Length: ";
        append_number(out, response.body().size());
        out += "\r\n";
    }
    out += "\r\n";
}

std::string_view payload_of(const Response& response) {
    return carries_body(response.result_int()) ? std::string_view(response.body())
                                               : std::string_view();
}

}  // namespace flashsale::net
