// The command line: --help, --version, configuration errors that stop `serve` at startup with
// a message naming the culprit, mint-token output the server accepts, and verify's exit codes:
// 2 on data dirs it cannot check, 1 with the violation listed when a store was broken on purpose.
#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <fstream>
#include <string>

#include "support/jwt.h"
#include "support/server_test.h"
#include "support/store_tamper.h"

namespace flashsale::testing {
namespace {

std::string trimmed(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
        text.pop_back();
    }
    return text;
}

std::string lowercase(std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

std::int64_t unix_now_s() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// `serve` that is expected to refuse to start: it must exit on its own, non-zero, quickly.
CommandResult serve_expecting_failure(const TempDir& dir, std::vector<std::string> extra,
                                      const EnvOverrides& env = {}) {
    std::vector<std::string> args{"serve", "--listen", "127.0.0.1:0", "--data-dir",
                                  (dir / "data").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_flashsale(std::move(args), env, std::chrono::seconds(10));
}

TEST(CliTest, HelpListsTheSubcommands) {
    const CommandResult help = run_flashsale({"--help"});
    EXPECT_TRUE(help.status.clean()) << help.describe();
    for (const char* word : {"serve", "verify", "mint-token"}) {
        EXPECT_NE(help.output.find(word), std::string::npos) << word << " in " << help.output;
    }
    const CommandResult serve_help = run_flashsale({"serve", "--help"});
    EXPECT_TRUE(serve_help.status.clean()) << serve_help.describe();
    for (const char* flag : {"--listen", "--data-dir", "--config", "--workers"}) {
        EXPECT_NE(serve_help.output.find(flag), std::string::npos)
            << flag << " in " << serve_help.output;
    }
}

TEST(CliTest, VersionPrintsTheProjectVersion) {
    const CommandResult version = run_flashsale({"--version"});
    EXPECT_TRUE(version.status.clean()) << version.describe();
    EXPECT_NE(version.output.find(FLASHSALE_VERSION), std::string::npos) << version.output;
}

TEST(CliTest, UnknownSubcommandFails) {
    const CommandResult result = run_flashsale({"frobnicate"});
    EXPECT_TRUE(result.status.exited && result.status.code != 0) << result.describe();
}

TEST(CliTest, UnknownConfigKeyStopsServeAndIsNamed) {
    TempDir dir;
    const auto config = dir / "flashsale.toml";
    std::ofstream(config) << "# a typo must not be ignored\nsurely_not_a_config_key = 42\n";
    const CommandResult result = serve_expecting_failure(dir, {"--config", config.string()});
    EXPECT_FALSE(result.status.timed_out) << "serve started despite an unknown key";
    EXPECT_TRUE(result.status.exited && result.status.code != 0) << result.describe();
    EXPECT_NE(result.output.find("surely_not_a_config_key"), std::string::npos)
        << result.describe();
}

TEST(CliTest, BadFlagValuesStopServe) {
    TempDir dir;
    const CommandResult workers = serve_expecting_failure(dir, {"--workers", "many"});
    EXPECT_TRUE(workers.status.exited && workers.status.code != 0) << workers.describe();
    const CommandResult listen = serve_expecting_failure(dir, {"--listen", "not-an-address"});
    EXPECT_TRUE(listen.status.exited && listen.status.code != 0) << listen.describe();
    const CommandResult config = serve_expecting_failure(dir, {"--config", "/no/such/file.toml"});
    EXPECT_TRUE(config.status.exited && config.status.code != 0) << config.describe();
}

TEST(CliTest, ShortJwtSecretStopsServe) {
    TempDir dir;
    const CommandResult result =
        serve_expecting_failure(dir, {}, {{"FLASHSALE_JWT_SECRET", "short"}});
    EXPECT_TRUE(result.status.exited && result.status.code != 0) << result.describe();
    // Named as the environment variable or as the setting (auth.jwt_secret): either is clear.
    EXPECT_NE(lowercase(result.output).find("jwt_secret"), std::string::npos) << result.describe();
}

TEST(CliTest, VerifyOnMissingOrEmptyDataDirIsExitTwo) {
    TempDir dir;
    const auto missing = dir / "missing";
    const CommandResult on_missing = run_verify(missing);
    EXPECT_TRUE(on_missing.status.exited && on_missing.status.code == 2) << on_missing.describe();
    EXPECT_FALSE(trimmed(on_missing.output).empty()) << "exit 2 without a message";
    const auto empty = dir / "empty";
    std::filesystem::create_directories(empty);
    const CommandResult on_empty = run_verify(empty);
    EXPECT_TRUE(on_empty.status.exited && on_empty.status.code == 2) << on_empty.describe();
    EXPECT_FALSE(trimmed(on_empty.output).empty()) << "exit 2 without a message";
    EXPECT_FALSE(std::filesystem::exists(missing)) << "verify created the data dir it checks";
    const CommandResult usage = run_flashsale({"verify"});
    EXPECT_TRUE(usage.status.exited && usage.status.code == 2) << usage.describe();
}

class MintTokenTest : public ServerTest {};

TEST_F(MintTokenTest, MintedTokenIsAcceptedByTheServer) {
    ASSERT_TRUE(has_status(api().create_sale(open_sale("minted", 5, 1)), 201));
    const CommandResult minted =
        run_flashsale({"mint-token", "--user", "cli-user", "--ttl-s", "600"});
    ASSERT_TRUE(minted.status.clean()) << minted.describe();
    const std::string token = trimmed(minted.output);
    const auto claims = jwt::decode_claims(token);
    ASSERT_TRUE(claims.has_value()) << "not a JWT: " << minted.output;
    EXPECT_EQ(claims->at("sub"), "cli-user") << minted.output;
    ASSERT_TRUE(claims->contains("exp")) << minted.output;
    EXPECT_NEAR(static_cast<double>(claims->at("exp").to_number<std::int64_t>()),
                static_cast<double>(unix_now_s() + 600), 30.0);

    const HttpResponse bought =
        api().http().post("/api/v1/sales/minted/purchase", R"({"quantity":1})",
                          {{"Authorization", "Bearer " + token}});
    ASSERT_TRUE(has_status(bought, 202));
    const HttpResponse order =
        api().get_order("cli-user", bought.string_field("order_id").value_or(""));
    ASSERT_TRUE(has_status(order, 200));
    EXPECT_EQ(order.string_field("user_id"), "cli-user") << order.describe();

    // A token minted with another secret is refused: mint-token really uses the env secret.
    const CommandResult foreign =
        run_flashsale({"mint-token", "--user", "cli-user"},
                      {{"FLASHSALE_JWT_SECRET", "a-different-secret-123456"}});
    ASSERT_TRUE(foreign.status.clean()) << foreign.describe();
    EXPECT_TRUE(
        is_error(api().http().post("/api/v1/sales/minted/purchase", R"({"quantity":1})",
                                   {{"Authorization", "Bearer " + trimmed(foreign.output)}}),
                 401, "unauthorized"));
    EXPECT_TRUE(stop_and_verify());
}

class VerifyTest : public ServerTest {};

// The other tests' "verify is clean" checks only mean something if verify can fail.
TEST_F(VerifyTest, BrokenStoreIsReportedWithExitOne) {
    ASSERT_TRUE(has_status(api().create_sale(open_sale("tampered", 5, 2)), 201));
    ASSERT_TRUE(has_status(api().create_sale(open_sale("untouched", 5, 2)), 201));
    ASSERT_TRUE(has_status(api().purchase("alice", "tampered", 2), 202));
    ASSERT_TRUE(has_status(api().purchase("bob", "tampered", 1), 202));
    ASSERT_TRUE(has_status(api().purchase("alice", "untouched", 2), 202));
    ASSERT_TRUE(stop_and_verify());
    auto tamper = [this](const std::string& sql) { return tamper_store(backend(), data_dir(), sql); };

    // I2: alice holds 2 units of a sale whose limit is now 1.
    ASSERT_TRUE(tamper("UPDATE sales SET per_user_limit = 1 WHERE id = 'tampered'"));
    const CommandResult over_limit = run_verify(data_dir());
    EXPECT_TRUE(over_limit.status.exited && over_limit.status.code == 1) << over_limit.describe();
    EXPECT_NE(over_limit.output.find("I2"), std::string::npos) << over_limit.output;
    EXPECT_NE(over_limit.output.find("tampered"), std::string::npos) << over_limit.output;
    EXPECT_TRUE(verify_is_clean(data_dir(), "untouched")) << "--sale must limit the check";

    // I1: 3 live units in a sale of 2, with the sale's own counter made to look consistent.
    ASSERT_TRUE(tamper("UPDATE sales SET per_user_limit = 2, stock = 2, sold = 2 "
                       "WHERE id = 'tampered'"));
    const CommandResult oversold = run_verify(data_dir(), "tampered");
    EXPECT_TRUE(oversold.status.exited && oversold.status.code == 1) << oversold.describe();
    EXPECT_NE(oversold.output.find("I1"), std::string::npos) << oversold.output;
}

// With Redis, verify also holds Redis and the database to the same orders (I3): an order Redis
// accepted but the database lost is reported.
TEST_F(VerifyTest, OrderMissingFromTheDatabaseIsReported) {
    if (backend().kind() != BackendKind::kRedis) GTEST_SKIP() << "Redis + PostgreSQL only";
    ASSERT_TRUE(has_status(api().create_sale(open_sale("lost", 5, 2)), 201));
    ASSERT_TRUE(has_status(api().purchase("alice", "lost", 1), 202));
    ASSERT_TRUE(has_status(api().purchase("bob", "lost", 1), 202));
    ASSERT_TRUE(stop_and_verify());
    ASSERT_TRUE(tamper_store(backend(), data_dir(),
                             "DELETE FROM orders WHERE user_id = 'bob' AND sale_id = 'lost'"));
    const CommandResult lost = run_verify(data_dir(), "lost");
    EXPECT_TRUE(lost.status.exited && lost.status.code == 1) << lost.describe();
    EXPECT_NE(lost.output.find("I3"), std::string::npos) << lost.output;
    EXPECT_NE(lost.output.find("not in the database"), std::string::npos) << lost.output;
}

}  // namespace
}  // namespace flashsale::testing
