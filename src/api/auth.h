// Who is calling: buyers carry `Authorization: Bearer <JWT HS256>` whose `sub` is the user id;
// the shop's staff carry the separate admin token. Both are checked in constant time.
#pragma once

#include <string>

#include "api/api_context.h"
#include "common/result.h"
#include "net/http_types.h"

namespace flashsale::api {

// The user id, or kUnauthorized.
Result<std::string> authenticate_user(const net::Request& request, const ApiContext& context);
// For WebSocket upgrades: a browser cannot set headers on one, so the JWT may also come as the
// `access_token` query parameter (RFC 6750 section 2.3). The header wins when both are there.
Result<std::string> authenticate_websocket_user(const net::Request& request,
                                                const ApiContext& context);
Status authenticate_admin(const net::Request& request, const ApiContext& context);

}  // namespace flashsale::api
