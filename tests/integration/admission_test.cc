// The admission funnel against the real server: the window on the engine's clock (a node 5 s
// ahead does not open early), pause/start, the sold-out flag, rate limits with Retry-After,
// the blacklist API, purchase tokens (missing, forged, another user's, 100 parallel uses of
// one), proof-of-work, shedding under overload, and the refusal counters.
#include <gtest/gtest.h>

#include <chrono>
#include <openssl/sha.h>

#include <map>
#include <string>
#include <thread>

#include <boost/json/serialize.hpp>

#include "support/server_test.h"
#include "support/storm.h"

namespace flashsale::testing {
namespace {

using namespace std::chrono_literals;

HttpResponse request_token(const Api& api, const std::string& user, const std::string& sale,
                           const boost::json::object& body = {}) {
    return api.http().post("/api/v1/sales/" + sale + "/token",
                           body.empty() ? std::string() : boost::json::serialize(body),
                           api.user_headers(user));
}

HttpResponse purchase_with_token(const Api& api, const std::string& user,
                                 const std::string& sale, const std::string& token) {
    return api.http().post("/api/v1/sales/" + sale + "/purchase",
                           boost::json::serialize(boost::json::object{{"token", token}}),
                           api.user_headers(user));
}

int leading_zero_bits(const unsigned char* digest) {
    int bits = 0;
    for (int i = 0; i < SHA256_DIGEST_LENGTH; ++i) {
        if (digest[i] == 0) {
            bits += 8;
            continue;
        }
        for (int bit = 7; bit >= 0 && !(digest[i] >> bit & 1); --bit) ++bits;
        break;
    }
    return bits;
}

std::string solve(const std::string& challenge, std::int64_t bits) {
    for (std::uint64_t n = 0;; ++n) {
        const std::string data = challenge + std::to_string(n);
        unsigned char digest[SHA256_DIGEST_LENGTH];
        SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
        if (leading_zero_bits(digest) >= bits) return std::to_string(n);
    }
}

std::map<int, std::size_t> by_status(const std::vector<Answer>& answers) {
    std::map<int, std::size_t> counts;
    for (const auto& answer : answers) ++counts[answer.response.status];
    return counts;
}

// ---------------------------------------------------------------------------------------------

class ClockAheadTest : public ServerTest {
    void customize(ServerOptions& options) override {
        options.env.emplace_back("FLASHSALE_CLOCK_SKEW_MS", "5000");
    }
};

// The node's own clock is 5 s ahead of the engine's; a sale opening in 4 s must stay closed
// for 4 s: purchases get 425, tokens are not issued, the public status is upcoming.
TEST_F(ClockAheadTest, NodeFiveSecondsAheadDoesNotOpenEarly) {
    SaleSpec spec = open_sale("skewed", 10, 1);
    spec.starts_at = seconds_from_now(4);
    const auto opens_at = std::chrono::system_clock::from_time_t(
        std::chrono::system_clock::to_time_t(spec.starts_at));
    ASSERT_TRUE(has_status(api().create_sale(spec), 201));
    EXPECT_EQ(api().get_sale("skewed").string_field("status"), "upcoming");
    EXPECT_TRUE(is_error(api().purchase("a", "skewed"), 425, "not_started"));
    EXPECT_TRUE(is_error(request_token(api(), "a", "skewed"), 425, "not_started"));
    // Still closed 1.5 s before the opening, although the node's clock passed it long ago.
    std::this_thread::sleep_until(opens_at - 1500ms);
    EXPECT_TRUE(is_error(api().purchase("a", "skewed"), 425, "not_started"));

    std::this_thread::sleep_until(opens_at + 300ms);
    EXPECT_TRUE(has_status(request_token(api(), "a", "skewed"), 200));
    EXPECT_TRUE(has_status(api().purchase("a", "skewed"), 202));
    EXPECT_TRUE(stop_and_verify());
}

// ---------------------------------------------------------------------------------------------

class AdmissionTest : public ServerTest {};

TEST_F(AdmissionTest, PauseStopsPurchasesAndStartResumesThem) {
    ASSERT_TRUE(has_status(api().create_sale(open_sale("pausable", 10, 5)), 201));
    const HttpResponse paused =
        api().http().post("/api/v1/admin/sales/pausable/pause", {}, api().admin_headers());
    ASSERT_TRUE(has_status(paused, 200));
    EXPECT_EQ(paused.string_field("status"), "paused") << paused.describe();
    EXPECT_TRUE(is_error(api().purchase("a", "pausable"), 425, "not_started"));
    EXPECT_TRUE(is_error(request_token(api(), "a", "pausable"), 425, "not_started"));

    const HttpResponse started = api().start_sale("pausable");
    ASSERT_TRUE(has_status(started, 200));
    EXPECT_EQ(started.string_field("status"), "active") << started.describe();
    EXPECT_TRUE(has_status(api().purchase("a", "pausable"), 202));
    EXPECT_TRUE(stop_and_verify());
}

TEST_F(AdmissionTest, SoldOutFlagAnswersLocallyAndLearnsOfNewStock) {
    ASSERT_TRUE(has_status(api().create_sale(open_sale("flag", 1, 1)), 201));
    ASSERT_TRUE(has_status(api().purchase("a", "flag"), 202));
    EXPECT_TRUE(is_error(api().purchase("b", "flag"), 409, "sold_out"));  // the engine says so
    EXPECT_TRUE(is_error(api().purchase("c", "flag"), 409, "sold_out"));  // the flag says so
    HttpResponse stats = api().stats("flag");
    EXPECT_EQ(int_at(stats, {"admission", "sold_out", "sold_out"}), 1) << stats.describe();
    EXPECT_EQ(int_at(stats, {"refusals", "sold_out"}), 2) << stats.describe();

    ASSERT_TRUE(has_status(api().patch_sale("flag", {{"stock", 2}}), 200));
    EXPECT_TRUE(has_status(api().purchase("c", "flag"), 202));
    EXPECT_TRUE(stop_and_verify());
}

TEST_F(AdmissionTest, BlacklistApiBlocksUsersAndAddresses) {
    ASSERT_TRUE(has_status(api().create_sale(open_sale("bl", 10, 1)), 201));
    const std::string base = "/api/v1/admin/blacklist";
    EXPECT_TRUE(is_error(api().http().post(base, R"({"user": "mallory"})"), 401, "unauthorized"));
    ASSERT_TRUE(has_status(api().http().post(base, R"({"user": "mallory"})", api().admin_headers()),
                           201));
    EXPECT_TRUE(is_error(api().http().post(base, R"({"ip": "not-an-ip"})", api().admin_headers()),
                         400, "bad_request"));
    EXPECT_TRUE(is_error(api().purchase("mallory", "bl"), 403, "blocked"));
    EXPECT_TRUE(is_error(request_token(api(), "mallory", "bl"), 403, "blocked"));
    EXPECT_TRUE(has_status(api().purchase("alice", "bl"), 202));

    ASSERT_TRUE(has_status(
        api().http().post(base, R"({"ip": "127.0.0.1", "ttl_s": 60})", api().admin_headers()),
        201));
    const HttpResponse listed = api().http().get(base, api().admin_headers());
    ASSERT_TRUE(has_status(listed, 200));
    EXPECT_EQ(listed.json.at("entries").as_array().size(), 2u) << listed.describe();
    EXPECT_TRUE(is_error(api().purchase("bob", "bl"), 403, "blocked"));

    auto remove = [&](const std::string& path) {
        return api().http().request(http::verb::delete_, base + path, {}, api().admin_headers());
    };
    EXPECT_TRUE(has_status(remove("/ips/127.0.0.1"), 200));
    EXPECT_TRUE(has_status(remove("/users/mallory"), 200));
    EXPECT_TRUE(is_error(remove("/users/mallory"), 404, "not_found"));
    EXPECT_TRUE(has_status(api().purchase("bob", "bl"), 202));
    EXPECT_TRUE(has_status(api().purchase("mallory", "bl"), 202));
    EXPECT_EQ(int_at(api().stats("bl"), {"refusals", "blocked"}), 3);
    EXPECT_TRUE(stop_and_verify());
}

TEST_F(AdmissionTest, RequireTokenRefusesMissingForeignAndForgedTokens) {
    SaleSpec spec = upcoming_sale("tok", 10, 1);
    auto body = spec.to_json();
    body["require_token"] = true;
    ASSERT_TRUE(has_status(api().create_sale(body), 201));
    EXPECT_TRUE(is_error(request_token(api(), "alice", "tok"), 425, "not_started"));
    ASSERT_TRUE(has_status(api().start_sale("tok"), 200));

    const HttpResponse issued = request_token(api(), "alice", "tok");
    ASSERT_TRUE(has_status(issued, 200));
    const std::string token = issued.string_field("token").value_or("");
    ASSERT_FALSE(token.empty());
    EXPECT_TRUE(is_error(api().purchase("alice", "tok"), 403, "forbidden"));
    EXPECT_TRUE(is_error(purchase_with_token(api(), "bob", "tok", token), 403, "forbidden"));
    std::string tampered = token;
    tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
    EXPECT_TRUE(is_error(purchase_with_token(api(), "alice", "tok", tampered), 403, "forbidden"));
    EXPECT_TRUE(has_status(purchase_with_token(api(), "alice", "tok", token), 202));
    EXPECT_TRUE(stop_and_verify());
}

// ---------------------------------------------------------------------------------------------

// Abuse: no per-user rate limit, so that only the token and the sale's own limit stand.
class TokenAbuseTest : public ServerTest {
    void customize(ServerOptions& options) override {
        options.env.emplace_back("FLASHSALE_USER_RATE_PER_S", "0");
    }
};

TEST_F(TokenAbuseTest, HundredParallelPurchasesWithOneTokenGetAtMostTheLimit) {
    auto body = open_sale("one-token", 1000, 2).to_json();
    body["require_token"] = true;
    ASSERT_TRUE(has_status(api().create_sale(body), 201));
    const HttpResponse issued = request_token(api(), "eve", "one-token");
    ASSERT_TRUE(has_status(issued, 200));
    Buyer buyer{.user_id = "eve", .token = api().token_for("eve")};
    buyer.purchase_token = issued.string_field("token").value_or("");
    StormOptions options;
    options.port = server().port();
    options.sale_id = "one-token";
    const StormTally counted = tally(run_storm(options, std::vector<Buyer>(100, buyer)));
    EXPECT_EQ(counted.no_answer, 0u) << counted.first_transport_error;
    EXPECT_EQ(counted.accepted, 2u);
    EXPECT_EQ(counted.limit_reached, 98u);
    EXPECT_TRUE(stop_and_verify());
}

TEST_F(TokenAbuseTest, ForgedTokensAreNeverAccepted) {
    auto body = open_sale("forged", 1000, 1000).to_json();
    body["require_token"] = true;
    ASSERT_TRUE(has_status(api().create_sale(body), 201));
    const std::string genuine =
        request_token(api(), "victim", "forged").string_field("token").value_or("");
    ASSERT_FALSE(genuine.empty());
    std::vector<Buyer> buyers = make_buyers("forger", 500, server().options().jwt_secret, 4);
    for (std::size_t i = 0; i < buyers.size(); ++i) {
        // Another user's genuine token, or a tampered or made-up one.
        if (i % 3 == 0) buyers[i].purchase_token = genuine;
        if (i % 3 == 1) buyers[i].purchase_token = genuine.substr(0, genuine.size() - 4) + "AAAA";
        if (i % 3 == 2) buyers[i].purchase_token = "x" + std::to_string(i) + ".e30.AAAA";
    }
    StormOptions options;
    options.port = server().port();
    options.sale_id = "forged";
    const auto counts = by_status(run_storm(options, buyers));
    EXPECT_EQ(counts.size(), 1u);
    EXPECT_EQ(counts.count(403) ? counts.at(403) : 0, 2000u);
    EXPECT_EQ(int_at(api().stats("forged"), {"sold"}), 0);
    EXPECT_EQ(int_at(api().stats("forged"), {"refusals", "forbidden"}), 2000);
    EXPECT_TRUE(stop_and_verify());
}

TEST_F(TokenAbuseTest, ProofOfWorkBeforeTheToken) {
    auto body = open_sale("pow", 10, 1).to_json();
    body["require_token"] = true;
    body["pow_difficulty_bits"] = 10;
    ASSERT_TRUE(has_status(api().create_sale(body), 201));
    const HttpResponse asked = request_token(api(), "alice", "pow");
    ASSERT_TRUE(is_error(asked, 428, "precondition_required"));
    const std::string challenge = asked.string_field("challenge").value_or("");
    const auto bits = asked.int_field("difficulty_bits").value_or(0);
    ASSERT_FALSE(challenge.empty());
    EXPECT_EQ(bits, 10);

    const std::string nonce = solve(challenge, bits);
    EXPECT_TRUE(is_error(request_token(api(), "bob", "pow",
                                       {{"challenge", challenge}, {"nonce", nonce}}),
                         403, "forbidden"));
    const HttpResponse answered =
        request_token(api(), "alice", "pow", {{"challenge", challenge}, {"nonce", nonce}});
    ASSERT_TRUE(has_status(answered, 200));
    EXPECT_TRUE(is_error(request_token(api(), "alice", "pow",
                                       {{"challenge", challenge}, {"nonce", nonce}}),
                         403, "forbidden"));  // single use
    EXPECT_TRUE(has_status(
        purchase_with_token(api(), "alice", "pow", answered.string_field("token").value_or("")),
        202));
    EXPECT_TRUE(stop_and_verify());
}

// ---------------------------------------------------------------------------------------------

class RateLimitTest : public ServerTest {
    void customize(ServerOptions& options) override {
        options.env.emplace_back("FLASHSALE_USER_RATE_PER_S", "1");
        options.env.emplace_back("FLASHSALE_USER_BURST", "3");
    }
};

TEST_F(RateLimitTest, ClientPastItsRateGets429OthersAreUnaffected) {
    ASSERT_TRUE(has_status(api().create_sale(open_sale("rl", 100, 100)), 201));
    // Burst 3, then 1 per second: however slow the machine, a client that keeps asking gets
    // no more than the burst plus one per second elapsed before it is refused.
    const auto started = std::chrono::steady_clock::now();
    int accepted = 0;
    HttpResponse limited;
    for (int i = 0; i < 20 && limited.status != 429; ++i) {
        const HttpResponse answer = api().purchase("greedy", "rl", 1, "k" + std::to_string(i));
        if (answer.status == 202) ++accepted;
        else limited = answer;
    }
    const auto elapsed_s = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::steady_clock::now() - started).count();
    EXPECT_GE(accepted, 3);
    EXPECT_LE(accepted, 3 + elapsed_s + 1);
    EXPECT_TRUE(is_error(limited, 429, "rate_limited"));
    const auto retry_after = limited.headers[http::field::retry_after];
    EXPECT_FALSE(retry_after.empty());
    EXPECT_GE(std::atoi(std::string(retry_after).c_str()), 1);
    EXPECT_TRUE(has_status(api().purchase("polite", "rl"), 202));

    const HttpResponse metrics = api().http().get("/metrics");
    EXPECT_NE(metrics.body.find(
                  R"(flashsale_admission_refusals_total{gate="rate_limit",reason="rate_user"} 1)"),
              std::string::npos);
    EXPECT_EQ(int_at(api().stats("rl"), {"admission", "rate_limit", "rate_user"}), 1);
    EXPECT_TRUE(stop_and_verify());
}

// ---------------------------------------------------------------------------------------------

class SheddingTest : public ServerTest {
    void customize(ServerOptions& options) override {
        options.env.emplace_back("FLASHSALE_SHED_INFLIGHT", "2");
        options.env.emplace_back("FLASHSALE_SHED_PERCENT", "90");
    }
};

// Overload: some purchases are refused at once with 503, none fails otherwise.
TEST_F(SheddingTest, SomeRefusedWith503NoErrors) {
    ASSERT_TRUE(has_status(api().create_sale(open_sale("shed", 5000, 1)), 201));
    StormOptions options;
    options.port = server().port();
    options.sale_id = "shed";
    const auto buyers = make_buyers("crowd", 1000, server().options().jwt_secret);
    const auto answers = run_storm(options, buyers);
    const auto counts = by_status(answers);
    EXPECT_EQ(answers.size(), 1000u);
    EXPECT_GT(counts.count(503) ? counts.at(503) : 0, 0u);
    EXPECT_GT(counts.count(202) ? counts.at(202) : 0, 0u);
    for (const auto& [status, count] : counts) {
        EXPECT_TRUE(status == 202 || status == 503) << status << " x" << count;
    }
    for (const auto& answer : answers) {
        if (answer.response.status == 503) {
            EXPECT_EQ(answer.response.error_code(), "overloaded");
        }
    }
    EXPECT_TRUE(stop_and_verify());
}

}  // namespace
}  // namespace flashsale::testing
