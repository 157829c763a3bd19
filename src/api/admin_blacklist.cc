// The admin API of the blacklist: list, add (a user id or a client address, optionally for
// ttl_s seconds) and remove. Listed users and addresses get 403 blocked from the funnel.
#include <boost/asio/ip/address.hpp>
#include <boost/json/array.hpp>

#include "api/errors.h"
#include "api/handlers.h"
#include "api/json_body.h"
#include "common/time_format.h"
#include "domain/sale.h"

namespace flashsale::api {

namespace http = boost::beast::http;
namespace json = boost::json;
using admission::BlacklistEntry;
using admission::ListKind;

namespace {

constexpr std::int64_t kTtlMaxS = 10LL * 365 * 24 * 3600;

json::object entry_json(const BlacklistEntry& entry) {
    json::object out{{"kind", entry.kind == ListKind::kUser ? "user" : "ip"},
                     {"value", entry.value},
                     {"automatic", entry.automatic}};
    if (entry.expires_at) {
        out["expires_at"] = format_rfc3339(*entry.expires_at);
    } else {
        out["expires_at"] = nullptr;
    }
    return out;
}

// A client address in its canonical text form, as the funnel sees it.
Result<std::string> canonical_ip(const std::string& text) {
    boost::system::error_code ec;
    auto address = boost::asio::ip::make_address(text, ec);
    if (ec) return make_error(Errc::kBadRequest, "'ip' is not an IPv4 or IPv6 address");
    return address.to_string();
}

Result<BlacklistEntry> read_entry(const json::object& body, TimePoint now) {
    if (auto known = reject_unknown_fields(body, {"user", "ip", "ttl_s"}); !known) {
        return known.error();
    }
    auto user = read_string(body, "user");
    if (!user) return user.error();
    auto ip = read_string(body, "ip");
    if (!ip) return ip.error();
    auto ttl = read_integer(body, "ttl_s", 1, kTtlMaxS);
    if (!ttl) return ttl.error();
    if (user->has_value() == ip->has_value()) {
        return make_error(Errc::kBadRequest, "give exactly one of 'user' and 'ip'");
    }
    BlacklistEntry entry;
    if (user->has_value()) {
        if (!domain::is_valid_id(**user)) return make_error(Errc::kBadRequest, "invalid 'user'");
        entry.value = **user;
    } else {
        auto canonical = canonical_ip(**ip);
        if (!canonical) return canonical.error();
        entry = {.kind = ListKind::kIp, .value = std::move(*canonical)};
    }
    if (ttl->has_value()) entry.expires_at = now + std::chrono::seconds(**ttl);
    return entry;
}

Response remove_entry(ApiContext& context, ListKind kind, std::string value) {
    if (kind == ListKind::kIp) {
        auto canonical = canonical_ip(value);
        if (!canonical) return error_response(canonical.error());
        value = std::move(*canonical);
    }
    if (!context.admission.blacklist().remove(kind, value)) {
        return error_response(Errc::kNotFound, "not on the blacklist");
    }
    return json_response(http::status::ok, json::object{{"removed", value}});
}

}  // namespace

Awaitable<Response> list_blacklist(ApiContext& context, RequestContext) {
    json::array entries;
    for (const auto& entry : context.admission.blacklist().list(context.clock.now())) {
        entries.push_back(entry_json(entry));
    }
    co_return json_response(http::status::ok, json::object{{"entries", std::move(entries)}});
}

Awaitable<Response> add_to_blacklist(ApiContext& context, RequestContext request) {
    auto body = parse_object(request.request.body());
    if (!body) co_return error_response(body.error());
    const auto now = context.clock.now();
    auto entry = read_entry(*body, now);
    if (!entry) co_return error_response(entry.error());
    context.admission.blacklist().add(*entry, now);
    co_return json_response(http::status::created, entry_json(*entry));
}

Awaitable<Response> remove_user_from_blacklist(ApiContext& context, RequestContext request) {
    co_return remove_entry(context, ListKind::kUser, std::string(request.params.get("id")));
}

Awaitable<Response> remove_ip_from_blacklist(ApiContext& context, RequestContext request) {
    co_return remove_entry(context, ListKind::kIp, std::string(request.params.get("ip")));
}

}  // namespace flashsale::api
