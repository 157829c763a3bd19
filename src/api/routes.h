// The route table of API v1 and the hooks the HTTP edge calls around it (error bodies,
// request metrics). The whole HTTP surface of flashsale is visible in routes.cc.
#pragma once

#include "api/api_context.h"
#include "net/http_server.h"
#include "net/router.h"

namespace flashsale::api {

// `context` must outlive the router and the hooks.
net::Router make_router(ApiContext& context);
net::HttpHooks make_hooks(ApiContext& context);

}  // namespace flashsale::api
