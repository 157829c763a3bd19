// Bad input of every kind gets the documented error (status and JSON code), never a crash, a
// reset connection or a changed stock; afterwards the server still answers and its data dir
// still verifies clean.
#include <gtest/gtest.h>

#include <string>

#include "support/jwt.h"
#include "support/server_test.h"

namespace flashsale::testing {
namespace {

const std::string kSaleId = "bad-input";
constexpr std::int64_t kStock = 10;

class BadInputTest : public ServerTest {
protected:
    void SetUp() override {
        ServerTest::SetUp();
        if (HasFatalFailure()) return;
        ASSERT_TRUE(has_status(api().create_sale(open_sale(kSaleId, kStock, 2)), 201));
    }

    // A purchase with a raw body and raw headers (no token added).
    HttpResponse raw_purchase(const std::string& body, const Headers& headers,
                              const std::string& sale_id = kSaleId) {
        return api().http().post("/api/v1/sales/" + sale_id + "/purchase", body, headers);
    }

    HttpResponse purchase_with_token(const std::string& token) {
        return raw_purchase(R"({"quantity":1})", {{"Authorization", "Bearer " + token}});
    }

    HttpResponse purchase_with_body(const std::string& body) {
        return raw_purchase(body, api().user_headers("mallory"));
    }

    // What every test ends with: nothing was sold by the bad requests, the server is healthy and
    // a graceful stop leaves a clean data dir.
    void expect_unharmed(std::int64_t sold = 0) {
        EXPECT_EQ(int_at(api().get_sale(kSaleId), {"remaining"}), kStock - sold);
        EXPECT_TRUE(has_status(api().http().get("/healthz"), 200));
        EXPECT_TRUE(has_status(api().http().get("/readyz"), 200));
        EXPECT_TRUE(stop_and_verify());
    }
};

TEST_F(BadInputTest, MalformedBodiesAreBadRequests) {
    for (const char* body : {R"({"quantity": )", "not json", R"(["quantity", 1])",
                             R"({"quantity": 0})", R"({"quantity": -1})", R"({"quantity": 1.5})",
                             R"({"quantity": "2"})", R"({"quantity": true})"}) {
        EXPECT_TRUE(is_error(purchase_with_body(body), 400, "bad_request")) << "body: " << body;
    }
    expect_unharmed();
}

// An error message quoting the client's input stays valid JSON, whatever the input holds.
TEST_F(BadInputTest, AnErrorMessageEscapesTheInputItQuotes) {
    const auto response = purchase_with_body(R"({"quantity":1,"a\"b\\c\u0001\u00e9":2})");
    ASSERT_TRUE(is_error(response, 400, "bad_request"));
    const auto message = response.json.at("error").at("message").as_string();
    EXPECT_EQ(std::string_view(message), "unknown field 'a\"b\\c\x01\xc3\xa9'");
    expect_unharmed();
}

TEST_F(BadInputTest, OversizedBodyGets413NotAReset) {
    const std::string body = R"({"quantity":1,"padding":")" + std::string(2 << 20, 'x') + "\"}";
    EXPECT_TRUE(is_error(purchase_with_body(body), 413, "payload_too_large"));
    // The connection-level trouble did not spill over to other clients.
    EXPECT_TRUE(has_status(api().purchase("alice", kSaleId), 202));
    expect_unharmed(1);
}

TEST_F(BadInputTest, MissingOrInvalidTokensAreUnauthorized) {
    const std::string& secret = server().options().jwt_secret;
    EXPECT_TRUE(is_error(raw_purchase(R"({"quantity":1})", {}), 401, "unauthorized"))
        << "no Authorization header";
    EXPECT_TRUE(is_error(purchase_with_token("not-a-jwt"), 401, "unauthorized"));
    EXPECT_TRUE(is_error(
        raw_purchase(R"({"quantity":1})", {{"Authorization", "Basic " + jwt::mint(secret, "eve")}}),
        401, "unauthorized"))
        << "not a Bearer credential";
    EXPECT_TRUE(is_error(purchase_with_token(jwt::forge_wrong_secret("eve")), 401, "unauthorized"))
        << "signed with another secret";
    EXPECT_TRUE(is_error(purchase_with_token(jwt::forge_tampered(secret, "eve", "victim")), 401,
                         "unauthorized"))
        << "payload changed after signing";
    EXPECT_TRUE(
        is_error(purchase_with_token(jwt::forge_expired(secret, "eve")), 401, "unauthorized"))
        << "expired an hour ago";
    EXPECT_TRUE(is_error(purchase_with_token(jwt::forge_alg_none("eve")), 401, "unauthorized"))
        << "alg none";
    EXPECT_TRUE(is_error(purchase_with_token(jwt::forge_hs512(secret, "eve")), 401, "unauthorized"))
        << "HS512";
    // The same checks guard the order routes.
    EXPECT_TRUE(is_error(api().http().get("/api/v1/orders/anything"), 401, "unauthorized"));
    // A genuine token still works: the refusals above were about the tokens.
    EXPECT_TRUE(has_status(purchase_with_token(jwt::mint(secret, "eve")), 202));
    expect_unharmed(1);
}

TEST_F(BadInputTest, UnknownSaleAndRouteAreNotFound) {
    EXPECT_TRUE(is_error(api().purchase("alice", "no-such-sale"), 404, "not_found"));
    EXPECT_TRUE(is_error(api().get_sale("no-such-sale"), 404, "not_found"));
    EXPECT_TRUE(is_error(api().stats("no-such-sale"), 404, "not_found"));
    EXPECT_TRUE(has_status(api().http().get("/api/v1/no-such-route"), 404));
    EXPECT_TRUE(has_status(api().http().get("/nothing/here"), 404));
    expect_unharmed();
}

TEST_F(BadInputTest, QuantityAboveTheLimitIsLimitReached) {
    EXPECT_TRUE(is_error(api().purchase("alice", kSaleId, 3), 409, "limit_reached"));
    // Two units are within the limit of 2; a third one afterwards is not.
    EXPECT_TRUE(has_status(api().purchase("alice", kSaleId, 2), 202));
    EXPECT_TRUE(is_error(api().purchase("alice", kSaleId, 1), 409, "limit_reached"));
    expect_unharmed(2);
}

TEST_F(BadInputTest, PurchasesOutsideTheWindowAreRefused) {
    ASSERT_TRUE(has_status(api().create_sale(upcoming_sale("later", 5, 1)), 201));
    EXPECT_TRUE(is_error(api().purchase("alice", "later"), 425, "not_started"));
    ASSERT_TRUE(has_status(api().create_sale(open_sale("closed", 5, 1)), 201));
    const HttpResponse stopped = api().stop_sale("closed");
    ASSERT_TRUE(has_status(stopped, 200));
    EXPECT_EQ(stopped.string_field("status"), "ended") << stopped.describe();
    EXPECT_TRUE(is_error(api().purchase("alice", "closed"), 410, "ended"));
    EXPECT_EQ(int_at(api().get_sale("later"), {"remaining"}), 5);
    EXPECT_EQ(int_at(api().get_sale("closed"), {"remaining"}), 5);
    expect_unharmed();
}

TEST_F(BadInputTest, AdminRoutesNeedTheAdminToken) {
    const std::string body = R"({"id":"sneaky","name":"x","stock":1,"per_user_limit":1,)"
                             R"("price_cents":1,"starts_at":"2020-01-01T00:00:00Z",)"
                             R"("ends_at":"2099-01-01T00:00:00Z","reservation_ttl_s":60})";
    const HttpClient http = api().http();
    const Headers wrong{{"Authorization", "Bearer wrong-admin-token"}};
    const Headers user = api().user_headers("alice");  // a user's JWT is no admin token
    for (const Headers& headers : {Headers{}, wrong, user}) {
        EXPECT_TRUE(is_error(http.post("/api/v1/admin/sales", body, headers), 401, "unauthorized"));
        EXPECT_TRUE(is_error(http.get("/api/v1/admin/sales/" + kSaleId + "/stats", headers), 401,
                             "unauthorized"));
        EXPECT_TRUE(is_error(http.post("/api/v1/admin/sales/" + kSaleId + "/stop", {}, headers),
                             401, "unauthorized"));
        EXPECT_TRUE(
            is_error(http.patch("/api/v1/admin/sales/" + kSaleId, R"({"stock":0})", headers), 401,
                     "unauthorized"));
    }
    EXPECT_TRUE(is_error(api().get_sale("sneaky"), 404, "not_found")) << "created without auth";
    EXPECT_EQ(api().get_sale(kSaleId).string_field("status"), "active") << "stopped without auth";
    expect_unharmed();
}

TEST_F(BadInputTest, InvalidSaleFieldsAreBadRequests) {
    SaleSpec negative = open_sale("negative-stock", -1, 1);
    EXPECT_TRUE(is_error(api().create_sale(negative), 400, "bad_request"));
    SaleSpec backwards = open_sale("backwards", 5, 1);
    backwards.ends_at = backwards.starts_at - std::chrono::hours(1);
    EXPECT_TRUE(is_error(api().create_sale(backwards), 400, "bad_request"));
    for (const char* when :
         {"yesterday", "2025-13-01T00:00:00Z", "2025-01-01T25:00:00Z", "2025-01-01T00:00:00"}) {
        boost::json::object body = open_sale("bad-time", 5, 1).to_json();
        body["starts_at"] = when;
        EXPECT_TRUE(is_error(api().create_sale(body), 400, "bad_request")) << when;
    }
    boost::json::object wrong_type = open_sale("wrong-type", 5, 1).to_json();
    wrong_type["stock"] = "ten";
    EXPECT_TRUE(is_error(api().create_sale(wrong_type), 400, "bad_request"));
    for (const char* id : {"negative-stock", "backwards", "bad-time", "wrong-type"}) {
        EXPECT_TRUE(is_error(api().get_sale(id), 404, "not_found")) << id << " was created";
    }
    EXPECT_TRUE(is_error(api().patch_sale(kSaleId, {{"stock", -5}}), 400, "bad_request"));
    expect_unharmed();
}

TEST_F(BadInputTest, DuplicateSaleIdIsAConflict) {
    SaleSpec again = open_sale(kSaleId, 999, 5);
    again.name = "impostor";
    EXPECT_TRUE(is_error(api().create_sale(again), 409, "conflict"));
    const HttpResponse sale = api().get_sale(kSaleId);
    EXPECT_EQ(int_at(sale, {"stock"}), kStock) << "the original sale was overwritten";
    EXPECT_EQ(sale.string_field("name"), open_sale(kSaleId, kStock, 2).name) << sale.describe();
    expect_unharmed();
}

TEST_F(BadInputTest, StockBelowWhatIsSoldIsAConflict) {
    EXPECT_TRUE(has_status(api().purchase("alice", kSaleId, 2), 202));
    EXPECT_TRUE(has_status(api().purchase("bob", kSaleId, 2), 202));
    EXPECT_TRUE(is_error(api().patch_sale(kSaleId, {{"stock", 3}}), 409, "conflict"));
    const HttpResponse patched = api().patch_sale(kSaleId, {{"stock", 4}});
    EXPECT_TRUE(has_status(patched, 200));
    EXPECT_EQ(int_at(patched, {"stock"}), 4) << patched.describe();
    EXPECT_TRUE(is_error(api().purchase("carol", kSaleId), 409, "sold_out"));
    EXPECT_EQ(int_at(api().get_sale(kSaleId), {"remaining"}), 0);
    EXPECT_TRUE(has_status(api().http().get("/healthz"), 200));
    EXPECT_TRUE(stop_and_verify());
}

TEST_F(BadInputTest, MalformedIdempotencyKeysAreBadRequests) {
    // The contract allows 1-128 visible ASCII characters.
    for (const std::string& key : {std::string(129, 'k'), std::string("has space")}) {
        EXPECT_TRUE(is_error(api().purchase("alice", kSaleId, 1, key), 400, "bad_request"))
            << "key: '" << key << "'";
    }
    EXPECT_TRUE(has_status(api().purchase("alice", kSaleId, 1, std::string(128, 'k')), 202));
    expect_unharmed(1);
}

}  // namespace
}  // namespace flashsale::testing
