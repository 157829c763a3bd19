#include "api/auth.h"

#include <boost/url/parse.hpp>

#include "common/crypto.h"
#include "common/jwt.h"
#include "domain/sale.h"

namespace flashsale::api {

namespace {

Result<std::string_view> bearer_token(const net::Request& request) {
    auto header = request[boost::beast::http::field::authorization];
    constexpr std::string_view kScheme = "Bearer ";
    if (header.empty()) return make_error(Errc::kUnauthorized, "missing Authorization header");
    if (header.size() <= kScheme.size() || header.substr(0, kScheme.size()) != kScheme) {
        return make_error(Errc::kUnauthorized, "Authorization must be 'Bearer <token>'");
    }
    return std::string_view(header.substr(kScheme.size()));
}

Result<std::string> query_token(const net::Request& request) {
    const std::string_view target(request.target().data(), request.target().size());
    auto url = boost::urls::parse_origin_form(target);
    if (!url) return make_error(Errc::kUnauthorized, "malformed target");
    auto found = url->params().find("access_token");
    if (found == url->params().end() || !(*found).has_value) {
        return make_error(Errc::kUnauthorized, "missing Authorization header or access_token");
    }
    return std::string((*found).value);
}

Result<std::string> user_of_token(std::string_view token, const ApiContext& context) {
    auto user = context.buyer_tokens.verify(token, context.clock.now());
    if (!user) return user.error();
    if (!domain::is_valid_id(*user)) {
        return make_error(Errc::kUnauthorized, "token subject is not a valid user id");
    }
    return user;
}

}  // namespace

Result<std::string> authenticate_user(const net::Request& request, const ApiContext& context) {
    auto token = bearer_token(request);
    if (!token) return token.error();
    return user_of_token(*token, context);
}

Result<std::string> authenticate_websocket_user(const net::Request& request,
                                                const ApiContext& context) {
    if (!request[boost::beast::http::field::authorization].empty()) {
        return authenticate_user(request, context);
    }
    auto token = query_token(request);
    if (!token) return token.error();
    return user_of_token(*token, context);
}

Status authenticate_admin(const net::Request& request, const ApiContext& context) {
    auto token = bearer_token(request);
    if (!token) return token.error();
    if (!constant_time_equal(*token, context.admin_token)) {
        return make_error(Errc::kUnauthorized, "invalid admin token");
    }
    return Ok{};
}

}  // namespace flashsale::api
