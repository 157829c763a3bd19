// The flashsale HTTP API as the tests use it: sale specs, one call per route (always through
// the server's current port, so a restarted server is reached), and assertion helpers whose
// failure messages carry the status and the body that came back.
#pragma once

#include <gtest/gtest.h>

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "support/http_client.h"
#include "support/server_process.h"

namespace flashsale::testing {

using SystemTime = std::chrono::system_clock::time_point;

// "2025-06-01T12:00:00Z" (UTC, whole seconds).
std::string rfc3339(SystemTime time);
SystemTime seconds_from_now(std::int64_t seconds);

struct SaleSpec {
    std::string id;  // empty: let the server choose
    std::string name = "integration test sale";
    std::int64_t stock = 10;
    std::int64_t per_user_limit = 1;
    std::int64_t price_cents = 1999;
    SystemTime starts_at = seconds_from_now(-60);
    SystemTime ends_at = seconds_from_now(3600);
    std::int64_t reservation_ttl_s = 600;

    boost::json::object to_json() const;
};

// A sale open from a minute ago for an hour, and one that opens in an hour.
SaleSpec open_sale(std::string id, std::int64_t stock, std::int64_t per_user_limit);
SaleSpec upcoming_sale(std::string id, std::int64_t stock, std::int64_t per_user_limit);

class Api {
public:
    // The server must outlive the Api; its port is read at every call.
    explicit Api(const ServerProcess& server) : server_(server) {}

    HttpClient http() const { return HttpClient(server_.port()); }
    Headers admin_headers() const;
    Headers user_headers(const std::string& user_id) const;
    // The user's JWT, minted once per user and reused.
    std::string token_for(const std::string& user_id) const;

    HttpResponse create_sale(const SaleSpec& spec) const { return create_sale(spec.to_json()); }
    HttpResponse create_sale(const boost::json::object& body) const;
    HttpResponse patch_sale(const std::string& sale_id, const boost::json::object& body) const;
    HttpResponse start_sale(const std::string& sale_id) const;
    HttpResponse stop_sale(const std::string& sale_id) const;
    HttpResponse stats(const std::string& sale_id) const;
    HttpResponse get_sale(const std::string& sale_id) const;

    // quantity nullopt: no body at all (the server's default of 1 applies).
    HttpResponse purchase(const std::string& user_id, const std::string& sale_id,
                          std::optional<std::int64_t> quantity = 1,
                          const std::string& idempotency_key = {}) const;
    HttpResponse get_order(const std::string& user_id, const std::string& order_id) const;
    HttpResponse pay(const std::string& user_id, const std::string& order_id) const;
    HttpResponse cancel(const std::string& user_id, const std::string& order_id) const;

private:
    const ServerProcess& server_;
    mutable std::map<std::string, std::string> tokens_;
};

// Success when the response has `status`; else a message with what came back.
::testing::AssertionResult has_status(const HttpResponse& response, int status);

// Success when the response is `status` with body {"error": {"code": code, "message": "..."}}
// and a non-empty message.
::testing::AssertionResult is_error(const HttpResponse& response, int status,
                                    std::string_view code);

// A JSON member at a path of object keys ("stats.refusals.sold_out" as {"refusals",
// "sold_out"}) as an integer, or nullopt when absent or not an integer.
std::optional<std::int64_t> int_at(const HttpResponse& response,
                                   std::initializer_list<std::string_view> path);

}  // namespace flashsale::testing
