// The server's typed configuration and where it comes from: built-in defaults, then a TOML
// file, then FLASHSALE_* environment variables, then command-line flags. Every setting is one
// row of a table (config.cc), which drives parsing, validation and `serve --help` alike. Bad
// configuration is a start-up failure: load_config throws ConfigError naming source and reason.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace flashsale::app {

struct ServerConfig {
    std::string listen = "127.0.0.1:8080";
    int workers = 0;  // 0 = one per core
    std::size_t body_max_bytes = 16384;
    std::size_t header_max_bytes = 8192;
    int idle_timeout_ms = 30000;
    int request_timeout_ms = 10000;
    std::size_t max_connections = 10000;
    int shutdown_timeout_ms = 5000;
    std::size_t ws_message_max_bytes = 4096;
    std::size_t ws_send_queue_max = 256;
    std::size_t ws_socket_send_buffer_bytes = 65536;
    int ws_idle_timeout_ms = 30000;
};

struct StorageConfig {
    std::string data_dir = "./data";
    std::size_t writer_batch_max = 1024;
    int reader_threads = 2;
};

// Empty secrets are filled in by resolve_secrets (secrets.h) before the server starts.
struct AuthConfig {
    std::string admin_token;
    std::string jwt_secret;
    std::size_t verified_tokens_cached = 16384;  // per I/O thread
};

struct SalesConfig {
    int expiry_sweep_ms = 100;
};

// Where stock lives: "memory" (embedded) or "redis" (shared by every node).
struct StockConfig {
    std::string engine = "memory";  // memory, redis, pg-lock, pg-optimistic, pg-guarded
    int pg_connections = 8;         // pg-* engines: connections (and threads) deciding stock
};

// Where orders live: "sqlite" (embedded, under data_dir) or "postgres". With the Redis engine,
// the order pipeline moves each sale's stream into PostgreSQL.
struct OrdersConfig {
    std::string store = "sqlite";
    std::string pipeline = "on";  // "off": this node serves but leaves the streams to others
    std::size_t pipeline_batch_max = 512;
    int reconcile_interval_ms = 5000;
};

struct RedisConfig {
    std::string host = "127.0.0.1";
    int port = 6379;
    std::string password;
    int connect_timeout_ms = 1000;
    int command_timeout_ms = 1000;
    std::size_t pipeline_max = 8192;
};

struct PostgresConfig {
    std::string conninfo;  // libpq connection string; may hold a password
};

// The admission funnel (src/admission): rate limits, shedding, purchase tokens, proof-of-work,
// automatic blacklisting. Rates are requests per second, 0 = off; a burst of 0 = the rate.
struct AdmissionConfig {
    int ip_rate_per_s = 0;
    int ip_burst = 0;
    int user_rate_per_s = 20;
    int user_burst = 40;
    int sale_rate_per_s = 0;
    int sale_burst = 0;
    int global_rate_per_s = 0;
    int global_burst = 0;
    std::size_t limiter_slots = 262144;
    int auto_block_strikes = 0;
    int auto_block_s = 300;
    int shed_inflight = 0;
    int shed_percent = 50;
    std::string token_key;           // empty: read or generate data_dir/token_key
    std::string token_key_previous;  // empty: none
    int token_ttl_s = 30;
    int pow_challenge_ttl_s = 60;
    std::size_t pow_seen_max = 1000000;
    int pow_raise_per_s = 0;
    int pow_raise_bits_max = 4;
    int sale_refresh_ms = 500;
    int clock_skew_ms = 0;  // test and diagnostic setting: this node's clock runs ahead by this
};

// The waiting room (src/admission/waiting_room.h): off, or on with the order of admission.
struct WaitingRoomConfig {
    std::string mode = "off";  // off, fifo, random (pre-opening arrivals in random order)
    int pass_ttl_s = 120;
};

struct LogConfig {
    std::string level = "info";
};

struct Config {
    ServerConfig server;
    StorageConfig storage;
    AuthConfig auth;
    SalesConfig sales;
    StockConfig stock;
    OrdersConfig orders;
    RedisConfig redis;
    PostgresConfig postgres;
    AdmissionConfig admission;
    WaitingRoomConfig waiting_room;
    LogConfig log;
};

class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Members default to {} so that callers can name only the sources they have.
struct ConfigSources {
    std::optional<std::filesystem::path> file{};
    // name=value pairs, e.g. from environ; names without the FLASHSALE_ prefix are ignored.
    std::vector<std::pair<std::string, std::string>> environment{};
    // TOML key ("server.listen") -> value as text, from command-line flags.
    std::vector<std::pair<std::string, std::string>> overrides{};
};

// Applies the sources in order of precedence over the defaults; throws ConfigError.
Config load_config(const ConfigSources& sources);

// The FLASHSALE_* entries of a NULL-terminated environ array, split at the first '='.
std::vector<std::pair<std::string, std::string>> environment_from(char** environ);

// "HOST:PORT" or "[IPv6]:PORT" -> host (without brackets) and port; throws ConfigError.
std::pair<std::string, std::uint16_t> split_listen(const std::string& listen);

// One line per setting (key, environment name, default) followed by its help text.
std::string config_help();

// How a setting's value is read and checked. Text values (environment, flags) of numeric kinds
// are parsed; in the TOML file numbers must be TOML integers (kBytes also takes "64KiB").
enum class SettingKind {
    kString,    // any non-empty text
    kSecret,    // text, may be empty; never echoed in messages or help
    kListen,    // HOST:PORT, see split_listen
    kChoice,    // one of Setting::choices
    kInteger,   // int in min..max
    kCount,     // std::size_t in min..max
    kBytes,     // std::size_t in min..max; text may end in KiB, MiB or GiB
};

// Where a setting lives in Config: a function returning a reference to the field.
using SettingField =
    std::variant<std::string& (*)(Config&), int& (*)(Config&), std::size_t& (*)(Config&)>;

template <auto Section, auto Member>
auto& config_field(Config& config) {
    return (config.*Section).*Member;
}

struct Setting {
    std::string_view key;  // TOML "section.name"
    std::string_view env;  // FLASHSALE_NAME
    SettingKind kind;
    std::int64_t min;  // numeric kinds only
    std::int64_t max;
    SettingField field;
    std::string_view help;
    std::span<const std::string_view> choices = {};  // kChoice only
};

// The table, in the order of the sample file; lets the CLI make one flag per setting.
std::span<const Setting> config_settings();

}  // namespace flashsale::app
