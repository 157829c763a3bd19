// The vocabulary shared by the HTTP edge and the api layer: requests, responses, what a handler
// receives, and the protocol-level failures the edge answers by itself (through a hook, so that
// the api layer stays the one place that renders error bodies).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/container/small_vector.hpp>

namespace flashsale::net {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

// Values captured by {name} segments of a route pattern, percent-decoded, in pattern order.
// Names are views of the router's patterns; values are views of the request's target, or of
// `decoded` when the target had escapes. Both stay valid while the handler runs (see
// RequestContext); a capture was a copy, and an allocation, on every request before.
struct RouteParams {
    boost::container::small_vector<std::pair<std::string_view, std::string_view>, 2> values;
    // The decoded segments of an escaped target, on the heap so that moving the params leaves
    // the views pointing at them; null for a plain target.
    std::unique_ptr<std::vector<std::string>> decoded;

    // "" when the pattern has no such capture.
    std::string_view get(std::string_view name) const {
        for (const auto& [key, value] : values) {
            if (key == name) {
                return value;
            }
        }
        return {};
    }
};

// What a handler receives, by value. The session owns the request and awaits the handler, so
// the reference stays valid for as long as the handler runs; a handler that starts work which
// outlives it copies what that work needs.
struct RequestContext {
    const Request& request;
    RouteParams params;
    // The matched pattern, e.g. "/api/v1/sales/{id}"; the router owns the storage and outlives
    // every request it dispatches, so this stays valid while the handler runs.
    std::string_view route;
    // The peer's address as text ("127.0.0.1", "::1"), written once per connection: the
    // session owns it and outlives the handler.
    std::string_view remote_ip;
    std::size_t worker = 0;  // the worker thread the connection lives on
};

// Handlers run on the connection's worker thread; they must not block it.
using Handler = std::function<boost::asio::awaitable<Response>(RequestContext)>;

// Failures the edge detects before (or instead of) a handler answering.
enum class ProtocolError {
    kBadRequest,          // malformed request line, header or target
    kBodyTooLarge,        // Content-Length or chunked body above the body limit
    kHeaderTooLarge,      // request header above the header limit
    kNotFound,            // no route matches the path
    kMethodNotAllowed,    // the path matches, the method does not
    kUpgradeRequired,     // a WebSocket route asked without an upgrade
    kTooManyConnections,  // above the connection limit; the connection is closed
    kTimeout,             // the request did not arrive in time
    kInternal,            // the handler threw
};

// A stable name for logs and the fallback error body, e.g. "body_too_large".
std::string_view to_string(ProtocolError error);

// Replaces `out` with the response's status line and fields, ending with the blank line: what
// goes on the wire before the body. The session writes it and the body in one gather write,
// which costs a fraction of Beast's serializer for the small answers that are most of the
// traffic (the profile of the refusal path showed ~8% in the serializer's buffer iteration).
// Content-Length is written here from the body, as Beast's prepare_payload would set it, so
// that no response stores it as a field; a Content-Length or Transfer-Encoding field set by a
// handler is ignored. Statuses that never carry a body (1xx, 204, 304) get no Content-Length.
void write_head(const Response& response, std::string& out);

// What goes on the wire after the head: the body, or nothing for a status that has none.
std::string_view payload_of(const Response& response);

}  // namespace flashsale::net
