// The route table: (method, pattern) -> handler. Patterns are literal segments and {name}
// captures, e.g. "/api/v1/sales/{id}/purchase". Routes are added at start-up, then the router
// is only read, from every worker at once, without a lock.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/verb.hpp>
#include <boost/container/small_vector.hpp>

#include "net/http_types.h"
#include "net/websocket.h"

namespace flashsale::net {

struct RouteMatch {
    enum class Outcome {
        kFound,             // handler, params and pattern are set
        kNotFound,          // no pattern matches the path
        kMethodNotAllowed,  // some pattern matches the path, none with this method; see allow
        kBadRequest,        // the target is not a valid origin-form target
    };
    Outcome outcome = Outcome::kNotFound;
    // Points into the router, which outlives every request it dispatches.
    const Handler* handler = nullptr;
    // Set instead of handler for a WebSocket route (GET only): the request must be an upgrade.
    const UpgradeHandler* upgrade = nullptr;
    RouteParams params;
    std::string_view pattern;  // router-owned, like handler
    std::string allow;         // "GET, POST": the methods the path accepts (kMethodNotAllowed)
};

// A target path's decoded segments: views into the target, or into decoded copies of them.
using PathSegments = boost::container::small_vector<std::string_view, 8>;

class Router {
public:
    Router() = default;
    Router(Router&&) noexcept = default;
    Router& operator=(Router&&) noexcept = default;

    // The pattern must start with '/'; adding the same (method, pattern) twice is a bug.
    void add(boost::beast::http::verb method, std::string pattern, Handler handler);
    // A WebSocket endpoint: GET requests to it must ask for an upgrade.
    void add_websocket(std::string pattern, UpgradeHandler upgrade);

    // Matches the target's path (the query is ignored; segments are percent-decoded). Where
    // several patterns match, the one with a literal at the first differing segment wins.
    // The params view `target` (or the match's own decoded copies), so the caller keeps the
    // target alive while it reads them.
    RouteMatch match(boost::beast::http::verb method, std::string_view target) const;

    std::size_t size() const { return routes_.size(); }

private:
    struct Segment {
        std::string text;  // the literal, or the capture's name
        bool capture = false;
    };
    struct Route {
        boost::beast::http::verb method;
        std::string pattern;
        std::vector<Segment> segments;
        Handler handler;
        UpgradeHandler upgrade;
    };

    std::unique_ptr<Route> make_route(boost::beast::http::verb method, std::string pattern);
    void insert(std::unique_ptr<Route> route);

    static bool matches(const Route& route, const PathSegments& path);
    static bool more_specific(const Route& left, const Route& right);
    static RouteParams capture(const Route& route, const PathSegments& path);

    // unique_ptr: a route's pattern and handler keep their address when the vector grows or
    // the router moves, so RouteMatch and RequestContext may point into them.
    std::vector<std::unique_ptr<Route>> routes_;
    // routes_by_length_[n]: the routes of n segments, the only ones a path of n segments can
    // match (a table of some forty routes was scanned whole per request before).
    std::vector<std::vector<const Route*>> routes_by_length_;
};

}  // namespace flashsale::net
