#include "net/router.h"

#include <algorithm>
#include <array>
#include <utility>

#include <boost/url/parse.hpp>

#include "common/check.h"

namespace flashsale::net {

namespace http = boost::beast::http;

namespace {

// "/" has no segment; "/a/b" has "a" and "b"; "/a/" has "a" and "", as Boost.URL sees it.
PathSegments split_path(std::string_view path) {
    PathSegments segments;
    if (path == "/") {
        return segments;
    }
    std::string_view rest = path.substr(1);
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

// The characters a target may hold outside percent-escapes (RFC 3986 pchar, '/' and '?').
constexpr auto kPlainTargetChars = [] {
    std::array<bool, 256> table{};
    for (int c = 0; c < 256; ++c) {
        table[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }
    for (const char c : std::string_view("-._~!$&'()*+,;=:@/?")) {
        table[static_cast<unsigned char>(c)] = true;
    }
    return table;
}();

bool is_plain_target_char(char c) { return kPlainTargetChars[static_cast<unsigned char>(c)]; }

// Splits a target that needs no decoding ("/api/v1/sales/7?x=1") into views of its path's
// segments, as Boost.URL would. False for anything else, which Boost.URL then parses: escapes,
// empty or dot segments, and every malformed target. Nearly every request takes this path,
// and Boost.URL's parse and decoded copies were about 5% of a refusal's CPU.
bool split_plain_target(std::string_view target, PathSegments& segments) {
    if (target.empty() || target.front() != '/' ||
        !std::all_of(target.begin(), target.end(), is_plain_target_char)) {
        return false;
    }
    segments = split_path(target.substr(0, target.find('?')));
    for (std::size_t i = 0; i < segments.size(); ++i) {
        const auto segment = segments[i];
        if ((segment.empty() && i + 1 < segments.size()) || segment == "." || segment == "..") {
            return false;
        }
    }
    return true;
}

// Any valid origin-form target, its segments percent-decoded into `decoded`, which the
// segments then view.
bool split_encoded_target(std::string_view target,
                          std::unique_ptr<std::vector<std::string>>& decoded,
                          PathSegments& segments) {
    const auto url = boost::urls::parse_origin_form(target);
    if (!url) {
        return false;
    }
    decoded = std::make_unique<std::vector<std::string>>();
    for (auto segment : url->segments()) {
        decoded->push_back(std::move(segment));
    }
    segments.assign(decoded->begin(), decoded->end());
    return true;
}

}  // namespace

std::unique_ptr<Router::Route> Router::make_route(http::verb method, std::string pattern) {
    FS_CHECK(!pattern.empty() && pattern.front() == '/');
    auto route = std::make_unique<Route>();
    route->method = method;
    for (const auto text : split_path(pattern)) {
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
    insert(std::move(route));
}

void Router::add_websocket(std::string pattern, UpgradeHandler upgrade) {
    FS_CHECK(upgrade != nullptr);
    auto route = make_route(http::verb::get, std::move(pattern));
    route->upgrade = std::move(upgrade);
    insert(std::move(route));
}

void Router::insert(std::unique_ptr<Route> route) {
    const auto length = route->segments.size();
    if (routes_by_length_.size() <= length) {
        routes_by_length_.resize(length + 1);
    }
    routes_by_length_[length].push_back(route.get());
    routes_.push_back(std::move(route));
}

// The route has as many segments as the path. Compared from the end: routes of one length
// share their leading segments ("api", "v1") and differ mostly in the last one.
bool Router::matches(const Route& route, const PathSegments& path) {
    for (std::size_t i = path.size(); i-- > 0;) {
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

RouteParams Router::capture(const Route& route, const PathSegments& path) {
    RouteParams params;
    for (std::size_t i = 0; i < path.size(); ++i) {
        if (route.segments[i].capture) {
            params.values.emplace_back(route.segments[i].text, path[i]);
        }
    }
    return params;
}

RouteMatch Router::match(http::verb method, std::string_view target) const {
    RouteMatch result;
    PathSegments path;
    std::unique_ptr<std::vector<std::string>> decoded;  // set when the target had escapes
    if (!split_plain_target(target, path) && !split_encoded_target(target, decoded, path)) {
        result.outcome = RouteMatch::Outcome::kBadRequest;
        return result;
    }
    const Route* best = nullptr;
    std::vector<http::verb> allowed;  // methods of the other routes that match the path
    static const std::vector<const Route*> kNoRoutes;
    const auto& candidates =
        path.size() < routes_by_length_.size() ? routes_by_length_[path.size()] : kNoRoutes;
    for (const Route* route : candidates) {
        if (!matches(*route, path)) {
            continue;
        }
        if (route->method != method) {
            if (std::find(allowed.begin(), allowed.end(), route->method) == allowed.end()) {
                allowed.push_back(route->method);
            }
        } else if (best == nullptr || more_specific(*route, *best)) {
            best = route;
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
    result.params.decoded = std::move(decoded);
    return result;
}

}  // namespace flashsale::net
