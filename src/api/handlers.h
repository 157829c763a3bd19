// The route handlers, one file per resource (health.cc, admin_sales.cc, admin_blacklist.cc,
// sales.cc, tokens.cc, purchase.cc, orders.cc). Each is a coroutine that takes its
// RequestContext by value (the request in it is the session's, net/http_types.h); `context`
// outlives every request. routes.cc binds them to methods and paths.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "api/api_context.h"
#include "net/http_types.h"
#include "net/websocket.h"

namespace flashsale::api {

using net::RequestContext;
using net::Response;
template <class T>
using Awaitable = boost::asio::awaitable<T>;

Awaitable<Response> get_health(ApiContext& context, RequestContext request);
Awaitable<Response> get_ready(ApiContext& context, RequestContext request);
Awaitable<Response> get_metrics(ApiContext& context, RequestContext request);

Awaitable<Response> create_sale(ApiContext& context, RequestContext request);
Awaitable<Response> list_sales(ApiContext& context, RequestContext request);
Awaitable<Response> patch_sale(ApiContext& context, RequestContext request);
Awaitable<Response> start_sale(ApiContext& context, RequestContext request);
Awaitable<Response> stop_sale(ApiContext& context, RequestContext request);
Awaitable<Response> pause_sale(ApiContext& context, RequestContext request);
Awaitable<Response> get_sale_stats(ApiContext& context, RequestContext request);

Awaitable<Response> get_sale(ApiContext& context, RequestContext request);
Awaitable<Response> purchase(ApiContext& context, RequestContext request);
Awaitable<Response> issue_token(ApiContext& context, RequestContext request);

Awaitable<Response> list_blacklist(ApiContext& context, RequestContext request);
Awaitable<Response> add_to_blacklist(ApiContext& context, RequestContext request);
Awaitable<Response> remove_user_from_blacklist(ApiContext& context, RequestContext request);
Awaitable<Response> remove_ip_from_blacklist(ApiContext& context, RequestContext request);

// WebSocket and waiting room (websocket.cc, queue.cc); static pages (static_assets.cc).
Awaitable<net::WebSocketUpgrade> open_websocket(ApiContext& context, RequestContext request);
Awaitable<Response> join_queue(ApiContext& context, RequestContext request);

Awaitable<Response> get_order(ApiContext& context, RequestContext request);
Awaitable<Response> pay_order(ApiContext& context, RequestContext request);
Awaitable<Response> cancel_order(ApiContext& context, RequestContext request);

}  // namespace flashsale::api
