#include "net/router.h"

#include <algorithm>
#include <utility>

#include <boost/url/parse.hpp>

#include "common/check.h"

namespace flashsale::net {

namespace http = boost::beast::http;

namespace {

// "/" has no segment; "/a/b" has "a" and "b"; "/a/" has "a" and "", as Boost.URL sees it.
std::vector<std::string_view> split_pattern(std::string_view pattern) {
    std::vector<std::string_view> segments;
    if (pattern == "/") {
        return segments;
    }
    std::string_view rest = pattern.substr(1);
    for (;;) {
        const auto slash = rest.find('/');
        segments.push_back(rest.substr(0, slash));
        if (slash == std::string_view::npos) {
            return segments;
        }
        rest = rest.substr(slash + 1);
    }
}

std::string join_methods(const std::vector<http::verb>& methods) {
    std::string allow;
    for (const auto method : methods) {
        if (!allow.empty()) {
            allow += ", ";
        }
        const auto name = http::to_string(method);
        allow.append(name.data(), name.size());
    }
    return allow;
}

}  // namespace

std::unique_ptr<Router::Route> Router::make_route(http::verb method, std::string pattern) {
    FS_CHECK(!pattern.empty() && pattern.front() == '/');
    auto route = std::make_unique<Route>();
    route->method = method;
    for (const auto text : split_pattern(pattern)) {
        const bool capture = text.size() >= 2 && text.front() == '{' && text.back() == '}';
        route->segments.push_back(
            Segment{std::string(capture ? text.substr(1, text.size() - 2) : text), capture});
    }
    for (const auto& existing : routes_) {
        FS_CHECK(!(existing->method == method && existing->pattern == pattern));
    }
    route->pattern = std::move(pattern);
    return route;
}

void Router::add(http::verb method, std::string pattern, Handler handler) {
    FS_CHECK(handler != nullptr);
    auto route = make_route(method, std::move(pattern));
    route->handler = std::move(handler);
    routes_.push_back(std::move(route));
}

void Router::add_websocket(std::string pattern, UpgradeHandler upgrade) {
    FS_CHECK(upgrade != nullptr);
    auto route = make_route(http::verb::get, std::move(pattern));
    route->upgrade = std::move(upgrade);
    routes_.push_back(std::move(route));
}

bool Router::matches(const Route& route, const std::vector<std::string>& path) {
    if (route.segments.size() != path.size()) {
        return false;
    }
    for (std::size_t i = 0; i < path.size(); ++i) {
        if (!route.segments[i].capture && route.segments[i].text != path[i]) {
            return false;
        }
    }
    return true;
}

bool Router::more_specific(const Route& left, const Route& right) {
    // Both match the same path, so they have the same number of segments.
    for (std::size_t i = 0; i < left.segments.size(); ++i) {
        if (left.segments[i].capture != right.segments[i].capture) {
            return !left.segments[i].capture;
        }
    }
    return false;
}

RouteParams Router::capture(const Route& route, std::vector<std::string>& path) {
    RouteParams params;
    for (std::size_t i = 0; i < path.size(); ++i) {
        if (route.segments[i].capture) {
            params.values.emplace_back(route.segments[i].text, std::move(path[i]));
        }
    }
    return params;
}

RouteMatch Router::match(http::verb method, std::string_view target) const {
    RouteMatch result;
    const auto url = boost::urls::parse_origin_form(target);
    if (!url) {
        result.outcome = RouteMatch::Outcome::kBadRequest;
        return result;
    }
    std::vector<std::string> path;  // decoded segments
    path.reserve(url->segments().size());
    for (auto segment : url->segments()) {
        path.push_back(std::move(segment));
    }
    const Route* best = nullptr;
    std::vector<http::verb> allowed;  // methods of the other routes that match the path
    for (const auto& route : routes_) {
        if (!matches(*route, path)) {
            continue;
        }
        if (route->method != method) {
            if (std::find(allowed.begin(), allowed.end(), route->method) == allowed.end()) {
                allowed.push_back(route->method);
            }
        } else if (best == nullptr || more_specific(*route, *best)) {
            best = route.get();
        }
    }
    if (best == nullptr) {
        result.outcome = allowed.empty() ? RouteMatch::Outcome::kNotFound
                                         : RouteMatch::Outcome::kMethodNotAllowed;
        result.allow = join_methods(allowed);
        return result;
    }
    result.outcome = RouteMatch::Outcome::kFound;
    if (best->upgrade) {
        result.upgrade = &best->upgrade;
    } else {
        result.handler = &best->handler;
    }
    result.pattern = best->pattern;
    result.params = capture(*best, path);
    return result;
}

}  // namespace flashsale::net
