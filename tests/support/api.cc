// The flashsale HTTP API as the tests use it: see api.h.
#include "support/api.h"

#include <boost/json/serialize.hpp>
#include <ctime>

#include "support/jwt.h"

namespace flashsale::testing {

std::string rfc3339(SystemTime time) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
    std::tm utc{};
    ::gmtime_r(&seconds, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

SystemTime seconds_from_now(std::int64_t seconds) {
    return std::chrono::system_clock::now() + std::chrono::seconds(seconds);
}

boost::json::object SaleSpec::to_json() const {
    boost::json::object out{{"name", name},
                            {"stock", stock},
                            {"per_user_limit", per_user_limit},
                            {"price_cents", price_cents},
                            {"starts_at", rfc3339(starts_at)},
                            {"ends_at", rfc3339(ends_at)},
                            {"reservation_ttl_s", reservation_ttl_s}};
    if (!id.empty()) out["id"] = id;
    return out;
}

SaleSpec open_sale(std::string id, std::int64_t stock, std::int64_t per_user_limit) {
    SaleSpec spec;
    spec.id = std::move(id);
    spec.stock = stock;
    spec.per_user_limit = per_user_limit;
    return spec;
}

SaleSpec upcoming_sale(std::string id, std::int64_t stock, std::int64_t per_user_limit) {
    SaleSpec spec = open_sale(std::move(id), stock, per_user_limit);
    spec.starts_at = seconds_from_now(3600);
    spec.ends_at = seconds_from_now(7200);
    return spec;
}

Headers Api::admin_headers() const {
    return {{"Authorization", "Bearer " + server_.options().admin_token}};
}

Headers Api::user_headers(const std::string& user_id) const {
    return {{"Authorization", "Bearer " + token_for(user_id)}};
}

std::string Api::token_for(const std::string& user_id) const {
    auto [it, inserted] = tokens_.try_emplace(user_id);
    if (inserted) it->second = jwt::mint(server_.options().jwt_secret, user_id);
    return it->second;
}

HttpResponse Api::create_sale(const boost::json::object& body) const {
    return http().post("/api/v1/admin/sales", boost::json::serialize(body), admin_headers());
}

HttpResponse Api::patch_sale(const std::string& sale_id, const boost::json::object& body) const {
    return http().patch("/api/v1/admin/sales/" + sale_id, boost::json::serialize(body),
                        admin_headers());
}

HttpResponse Api::start_sale(const std::string& sale_id) const {
    return http().post("/api/v1/admin/sales/" + sale_id + "/start", {}, admin_headers());
}

HttpResponse Api::stop_sale(const std::string& sale_id) const {
    return http().post("/api/v1/admin/sales/" + sale_id + "/stop", {}, admin_headers());
}

HttpResponse Api::stats(const std::string& sale_id) const {
    return http().get("/api/v1/admin/sales/" + sale_id + "/stats", admin_headers());
}

HttpResponse Api::get_sale(const std::string& sale_id) const {
    return http().get("/api/v1/sales/" + sale_id);
}

HttpResponse Api::purchase(const std::string& user_id, const std::string& sale_id,
                           std::optional<std::int64_t> quantity,
                           const std::string& idempotency_key) const {
    Headers headers = user_headers(user_id);
    if (!idempotency_key.empty()) headers.emplace_back("Idempotency-Key", idempotency_key);
    std::string body;
    if (quantity) body = boost::json::serialize(boost::json::object{{"quantity", *quantity}});
    return http().post("/api/v1/sales/" + sale_id + "/purchase", std::move(body), headers);
}

HttpResponse Api::get_order(const std::string& user_id, const std::string& order_id) const {
    return http().get("/api/v1/orders/" + order_id, user_headers(user_id));
}

HttpResponse Api::pay(const std::string& user_id, const std::string& order_id) const {
    return http().post("/api/v1/orders/" + order_id + "/pay", {}, user_headers(user_id));
}

HttpResponse Api::cancel(const std::string& user_id, const std::string& order_id) const {
    return http().post("/api/v1/orders/" + order_id + "/cancel", {}, user_headers(user_id));
}

::testing::AssertionResult has_status(const HttpResponse& response, int status) {
    if (response.status == status) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "expected HTTP " << status << ", got " << response.describe();
}

::testing::AssertionResult is_error(const HttpResponse& response, int status,
                                    std::string_view code) {
    if (response.status != status || response.error_code() != code) {
        return ::testing::AssertionFailure() << "expected HTTP " << status << " with error code \""
                                             << code << "\", got " << response.describe();
    }
    const auto& error = response.json.as_object().at("error").as_object();
    const auto* message = error.if_contains("message");
    if (message == nullptr || !message->is_string() || message->as_string().empty()) {
        return ::testing::AssertionFailure()
               << "error body without a non-empty message: " << response.describe();
    }
    return ::testing::AssertionSuccess();
}

std::optional<std::int64_t> int_at(const HttpResponse& response,
                                   std::initializer_list<std::string_view> path) {
    const boost::json::value* at = &response.json;
    for (std::string_view key : path) {
        if (!at->is_object()) return std::nullopt;
        at = at->as_object().if_contains(key);
        if (at == nullptr) return std::nullopt;
    }
    if (at->is_int64()) return at->as_int64();
    if (at->is_uint64()) return static_cast<std::int64_t>(at->as_uint64());
    return std::nullopt;
}

}  // namespace flashsale::testing
