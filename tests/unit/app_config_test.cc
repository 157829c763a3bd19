// Configuration precedence (defaults < file < environment < flags) and the start-up errors for
// unknown keys, wrong types, out-of-range values and malformed files. Uses real temporary files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "app/config.h"
#include "services/temp_dir.h"

namespace flashsale::app {
namespace {

namespace fs = std::filesystem;

class ConfigTest : public ::testing::Test {
protected:
    fs::path write(const std::string& text, const std::string& name = "flashsale.toml") {
        const fs::path path = dir_.path() / name;
        std::ofstream(path) << text;
        return path;
    }

    // The ConfigError message, or a failure if load_config accepted the sources.
    static std::string error_of(const ConfigSources& sources) {
        try {
            load_config(sources);
        } catch (const ConfigError& error) {
            return error.what();
        }
        ADD_FAILURE() << "load_config accepted the sources";
        return {};
    }

    std::string file_error(const std::string& text) { return error_of({.file = write(text)}); }

    flashsale::testing::TempDir dir_;
};

// Every piece must appear in the message.
void expect_mentions(const std::string& message, std::initializer_list<std::string_view> pieces) {
    for (std::string_view piece : pieces) {
        EXPECT_NE(message.find(piece), std::string::npos)
            << "message '" << message << "' lacks '" << piece << "'";
    }
}

TEST_F(ConfigTest, DefaultsWithoutAnySource) {
    const Config config = load_config({});
    EXPECT_EQ(config.server.listen, "127.0.0.1:8080");
    EXPECT_EQ(config.server.workers, 0);
    EXPECT_EQ(config.server.body_max_bytes, 16384u);
    EXPECT_EQ(config.server.header_max_bytes, 8192u);
    EXPECT_EQ(config.server.idle_timeout_ms, 30000);
    EXPECT_EQ(config.server.request_timeout_ms, 10000);
    EXPECT_EQ(config.server.max_connections, 10000u);
    EXPECT_EQ(config.server.shutdown_timeout_ms, 5000);
    EXPECT_EQ(config.storage.data_dir, "./data");
    EXPECT_EQ(config.storage.writer_batch_max, 1024u);
    EXPECT_EQ(config.storage.reader_threads, 2);
    EXPECT_EQ(config.auth.admin_token, "");
    EXPECT_EQ(config.auth.jwt_secret, "");
    EXPECT_EQ(config.sales.expiry_sweep_ms, 100);
    EXPECT_EQ(config.log.level, "info");
}

TEST_F(ConfigTest, ReadsEveryKindFromTheFile) {
    const Config config = load_config({.file = write(R"(
[server]
listen = "0.0.0.0:9000"
workers = 4
body_max_bytes = "64KiB"
header_max_bytes = 4096
max_connections = 50
[storage]
data_dir = "/var/lib/flashsale"
[auth]
jwt_secret = "a-secret-from-the-file"
[sales]
expiry_sweep_ms = 250
[log]
level = "debug"
)")});
    EXPECT_EQ(config.server.listen, "0.0.0.0:9000");
    EXPECT_EQ(config.server.workers, 4);
    EXPECT_EQ(config.server.body_max_bytes, 65536u);
    EXPECT_EQ(config.server.header_max_bytes, 4096u);
    EXPECT_EQ(config.server.max_connections, 50u);
    EXPECT_EQ(config.server.idle_timeout_ms, 30000);  // untouched keys keep their defaults
    EXPECT_EQ(config.storage.data_dir, "/var/lib/flashsale");
    EXPECT_EQ(config.auth.jwt_secret, "a-secret-from-the-file");
    EXPECT_EQ(config.sales.expiry_sweep_ms, 250);
    EXPECT_EQ(config.log.level, "debug");
}

TEST_F(ConfigTest, DottedKeysAndInlineTablesWork) {
    const Config config =
        load_config({.file = write("server.workers = 3\nlog = { level = \"warn\" }\n")});
    EXPECT_EQ(config.server.workers, 3);
    EXPECT_EQ(config.log.level, "warn");
}

TEST_F(ConfigTest, EnvironmentOverridesFile) {
    const Config config = load_config({
        .file = write("[server]\nworkers = 4\nlisten = \"0.0.0.0:9000\"\n"),
        .environment = {{"FLASHSALE_WORKERS", "8"},
                        {"FLASHSALE_BODY_MAX_BYTES", "1MiB"},
                        {"FLASHSALE_ADMIN_TOKEN", "token-from-the-environment"},
                        {"PATH", "/usr/bin"},
                        {"HOME", "/root"}},
    });
    EXPECT_EQ(config.server.workers, 8);
    EXPECT_EQ(config.server.listen, "0.0.0.0:9000");
    EXPECT_EQ(config.server.body_max_bytes, 1048576u);
    EXPECT_EQ(config.auth.admin_token, "token-from-the-environment");
}

TEST_F(ConfigTest, OverridesBeatEnvironmentAndFile) {
    const Config config = load_config({
        .file = write("[server]\nworkers = 4\n[log]\nlevel = \"error\"\n"),
        .environment = {{"FLASHSALE_WORKERS", "8"}, {"FLASHSALE_LOG_LEVEL", "debug"}},
        .overrides = {{"server.workers", "16"}, {"storage.data_dir", "/tmp/x"}},
    });
    EXPECT_EQ(config.server.workers, 16);
    EXPECT_EQ(config.log.level, "debug");
    EXPECT_EQ(config.storage.data_dir, "/tmp/x");
}

TEST_F(ConfigTest, UnknownKeyInFileIsNamedWithItsLine) {
    const std::string message = file_error("[server]\nlisten = \"127.0.0.1:1\"\nwokers = 4\n");
    expect_mentions(message, {"flashsale.toml", "line 3", "server.wokers", "unknown key"});
}

TEST_F(ConfigTest, UnknownSectionAndTopLevelKeyAreRefused) {
    expect_mentions(file_error("[sever]\nworkers = 4\n"), {"sever", "unknown section"});
    expect_mentions(file_error("workers = 4\n"), {"workers", "unknown key"});
    expect_mentions(file_error("[server.tls]\ncert = \"x\"\n"), {"server.tls", "unknown section"});
    expect_mentions(file_error("server = 4\n"), {"server", "expected a table, got an integer"});
}

TEST_F(ConfigTest, UnknownFlashsaleVariableIsRefused) {
    const std::string message =
        error_of({.environment = {{"FLASHSALE_WORKER", "4"}, {"FLASHSALES", "x"}}});
    expect_mentions(message, {"FLASHSALE_WORKER", "not a flashsale setting"});
}

TEST_F(ConfigTest, UnknownOverrideIsRefused) {
    expect_mentions(error_of({.overrides = {{"server.port", "80"}}}), {"server.port", "unknown"});
}

TEST_F(ConfigTest, WrongTypeIsRefused) {
    expect_mentions(file_error("[server]\nworkers = \"4\"\n"),
                    {"server.workers", "expected an integer, got a string"});
    expect_mentions(file_error("[server]\nlisten = 8080\n"),
                    {"server.listen", "expected a string, got an integer"});
    expect_mentions(file_error("[server]\nidle_timeout_ms = 1.5\n"), {"got a float"});
    expect_mentions(file_error("[server]\nbody_max_bytes = true\n"), {"got a boolean"});
    expect_mentions(error_of({.environment = {{"FLASHSALE_WORKERS", "four"}}}),
                    {"FLASHSALE_WORKERS", "'four' is not an integer"});
    expect_mentions(error_of({.environment = {{"FLASHSALE_WORKERS", "4 "}}}), {"not an integer"});
    expect_mentions(error_of({.overrides = {{"server.body_max_bytes", "16KB"}}}),
                    {"server.body_max_bytes", "not a size"});
}

TEST_F(ConfigTest, OutOfRangeIsRefused) {
    expect_mentions(file_error("[server]\nworkers = 257\n"),
                    {"server.workers", "257 is out of range 0..256"});
    expect_mentions(file_error("[server]\nworkers = -1\n"), {"out of range"});
    expect_mentions(error_of({.environment = {{"FLASHSALE_BODY_MAX_BYTES", "1023"}}}),
                    {"FLASHSALE_BODY_MAX_BYTES", "out of range 1024..67108864"});
    expect_mentions(error_of({.overrides = {{"server.header_max_bytes", "2MiB"}}}),
                    {"out of range"});
    expect_mentions(error_of({.overrides = {{"server.idle_timeout_ms", "0"}}}), {"out of range"});
    expect_mentions(error_of({.overrides = {{"server.request_timeout_ms", "3600001"}}}),
                    {"out of range"});
    expect_mentions(error_of({.overrides = {{"server.max_connections", "1000001"}}}),
                    {"out of range"});
    expect_mentions(error_of({.overrides = {{"storage.writer_batch_max", "0"}}}), {"out of range"});
    expect_mentions(error_of({.overrides = {{"storage.reader_threads", "65"}}}), {"out of range"});
    expect_mentions(error_of({.overrides = {{"sales.expiry_sweep_ms", "9"}}}), {"out of range"});
    expect_mentions(error_of({.overrides = {{"server.workers", "99999999999999999999"}}}),
                    {"not an integer"});
}

TEST_F(ConfigTest, RangeBoundsAreAccepted) {
    const Config config = load_config({.overrides = {{"server.workers", "256"},
                                                     {"server.body_max_bytes", "64MiB"},
                                                     {"server.header_max_bytes", "1024"},
                                                     {"server.shutdown_timeout_ms", "3600000"},
                                                     {"sales.expiry_sweep_ms", "10"}}});
    EXPECT_EQ(config.server.workers, 256);
    EXPECT_EQ(config.server.body_max_bytes, 64u * 1024 * 1024);
    EXPECT_EQ(config.server.header_max_bytes, 1024u);
    EXPECT_EQ(config.server.shutdown_timeout_ms, 3600000);
    EXPECT_EQ(config.sales.expiry_sweep_ms, 10);
}

TEST_F(ConfigTest, BadListenAddressIsRefused) {
    for (const char* listen :
         {"8080", "localhost", ":8080", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:80x",
          "::1:8080", "[::1]", "[::1]8080", "[]:80", "exa mple:80", "127.0.0.1:-1"}) {
        expect_mentions(error_of({.environment = {{"FLASHSALE_LISTEN", listen}}}),
                        {"FLASHSALE_LISTEN", "invalid listen address"});
    }
}

TEST_F(ConfigTest, UnbracketedIpv6ListenSaysBracketsAreNeeded) {
    expect_mentions(error_of({.overrides = {{"server.listen", "::1:8080"}}}),
                    {"'::1:8080'", "need brackets"});
}

TEST_F(ConfigTest, SplitListenHandlesIpv4Ipv6AndNames) {
    EXPECT_EQ(split_listen("127.0.0.1:8080"),
              (std::pair<std::string, std::uint16_t>{"127.0.0.1", 8080}));
    EXPECT_EQ(split_listen("[::1]:8080"), (std::pair<std::string, std::uint16_t>{"::1", 8080}));
    EXPECT_EQ(split_listen("localhost:0"), (std::pair<std::string, std::uint16_t>{"localhost", 0}));
    EXPECT_EQ(split_listen("0.0.0.0:65535"),
              (std::pair<std::string, std::uint16_t>{"0.0.0.0", 65535}));
    EXPECT_THROW(split_listen("[::1]:99999"), ConfigError);
    EXPECT_EQ(load_config({.overrides = {{"server.listen", "[::]:0"}}}).server.listen, "[::]:0");
}

TEST_F(ConfigTest, BadLogLevelIsRefused) {
    expect_mentions(file_error("[log]\nlevel = \"verbose\"\n"),
                    {"log.level", "unknown value 'verbose'", "trace, debug"});
    expect_mentions(error_of({.environment = {{"FLASHSALE_LOG_LEVEL", "INFO"}}}), {"INFO"});
    for (const char* level : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
        EXPECT_EQ(load_config({.overrides = {{"log.level", level}}}).log.level, level);
    }
}

TEST_F(ConfigTest, EmptyDataDirIsRefused) {
    expect_mentions(error_of({.environment = {{"FLASHSALE_DATA_DIR", ""}}}), {"must not be empty"});
}

TEST_F(ConfigTest, TomlSyntaxErrorNamesTheLine) {
    expect_mentions(file_error("[server]\nworkers = 4\nlisten = \"unterminated\n"),
                    {"flashsale.toml", "line 3", "TOML syntax error"});
    expect_mentions(file_error("[server]\nworkers = 4\nworkers = 5\n"),
                    {"line 3", "TOML syntax error"});
}

TEST_F(ConfigTest, UnreadableFileIsRefused) {
    expect_mentions(error_of({.file = dir_.path() / "missing.toml"}), {"missing.toml"});
    expect_mentions(error_of({.file = dir_.path()}), {"not a regular file"});
}

TEST_F(ConfigTest, EnvironmentFromKeepsFlashsaleEntries) {
    std::string a = "FLASHSALE_WORKERS=4", b = "PATH=/bin", c = "FLASHSALE_LISTEN=[::1]:80=x",
                d = "FLASHSALE_BROKEN";
    char* environ[] = {a.data(), b.data(), c.data(), d.data(), nullptr};
    const auto entries = environment_from(environ);
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(entries[0], (std::pair<std::string, std::string>{"FLASHSALE_WORKERS", "4"}));
    EXPECT_EQ(entries[1], (std::pair<std::string, std::string>{"FLASHSALE_LISTEN", "[::1]:80=x"}));
    EXPECT_TRUE(environment_from(nullptr).empty());
}

TEST_F(ConfigTest, HelpListsEverySettingWithEnvAndDefault) {
    const std::string help = config_help();
    EXPECT_EQ(config_settings().size(), 57u);  // 20 + 13 of the backends + 22 of the funnel + 2 of the waiting room
    for (const Setting& setting : config_settings()) {
        expect_mentions(help, {setting.key, setting.env, setting.help});
    }
    expect_mentions(help, {"FLASHSALE_LISTEN", "127.0.0.1:8080", "FLASHSALE_EXPIRY_SWEEP_MS",
                           "16384", "FLASHSALE_JWT_SECRET"});
}

TEST_F(ConfigTest, EveryDocumentedVariableIsInTheTable) {
    for (const char* env :
         {"FLASHSALE_LISTEN", "FLASHSALE_WORKERS", "FLASHSALE_BODY_MAX_BYTES",
          "FLASHSALE_HEADER_MAX_BYTES", "FLASHSALE_IDLE_TIMEOUT_MS", "FLASHSALE_REQUEST_TIMEOUT_MS",
          "FLASHSALE_MAX_CONNECTIONS", "FLASHSALE_SHUTDOWN_TIMEOUT_MS", "FLASHSALE_DATA_DIR",
          "FLASHSALE_WRITER_BATCH_MAX", "FLASHSALE_READER_THREADS", "FLASHSALE_ADMIN_TOKEN",
          "FLASHSALE_JWT_SECRET", "FLASHSALE_EXPIRY_SWEEP_MS", "FLASHSALE_LOG_LEVEL"}) {
        const auto& settings = config_settings();
        EXPECT_TRUE(std::any_of(settings.begin(), settings.end(), [&](const Setting& s) {
            return s.env == env;
        })) << env;
    }
}

// The shipped sample must parse, know every key, and state the built-in defaults.
TEST_F(ConfigTest, SampleConfigFileMatchesDefaults) {
    const fs::path sample = fs::path(__FILE__).parent_path() / "../../config/flashsale.toml";
    ASSERT_TRUE(fs::exists(sample)) << sample;
    const Config config = load_config({.file = sample});
    const Config defaults;
    for (const Setting& setting : config_settings()) {
        Config a = config, b = defaults;
        std::visit([&](auto field) { EXPECT_EQ(field(a), field(b)) << setting.key; },
                   setting.field);
    }
    std::ifstream in(sample);
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    for (const Setting& setting : config_settings()) {
        const std::string_view name = setting.key.substr(setting.key.find('.') + 1);
        EXPECT_NE(text.find(std::string(name) + " ="), std::string::npos) << setting.key;
    }
}

}  // namespace
}  // namespace flashsale::app
