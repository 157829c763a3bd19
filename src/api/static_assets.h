// The web pages: the sale page at / and /sale/{id}, the admin dashboard at /admin, their
// scripts and styles under /assets/. The same bytes for every buyer and every sale, served with
// an ETag and Cache-Control so that a CDN (or the browser) holds them and a revalidation costs
// a 304. Page data comes from the API, never from the page itself.
#pragma once

#include <string_view>
#include <vector>

#include "net/router.h"

namespace flashsale::api {

void add_static_routes(net::Router& router);
// The patterns add_static_routes adds, for the request metrics: static storage, so the views
// stay valid for the life of the process.
std::vector<std::string_view> static_route_patterns();

}  // namespace flashsale::api
