// The one mapping from error codes to HTTP: each Errc has one status and one JSON error code,
// and every error body is {"error": {"code": "...", "message": "..."}}.
#pragma once

#include <string>
#include <string_view>

#include <boost/beast/http/status.hpp>

#include "common/result.h"
#include "net/http_types.h"

namespace flashsale::api {

boost::beast::http::status status_of(Errc code);

net::Response error_response(Errc code, std::string_view message);
// The two halves of error_response, for a caller that keeps rendered bodies: the body, and the
// answer (status and fields) around a body that error_body rendered.
std::string error_body(Errc code, std::string_view message);
net::Response error_response_with_body(Errc code, std::string body);
net::Response error_response(const Error& error);
// For failures the HTTP edge detects before any handler runs (body too large, bad framing).
net::Response protocol_error_response(net::ProtocolError error, unsigned http_version);

}  // namespace flashsale::api
