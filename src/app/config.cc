#include "app/config.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include "common/result.h"

namespace flashsale::app {
namespace {

using Kind = SettingKind;

constexpr std::int64_t kKiB = 1024;
constexpr std::int64_t kMiB = 1024 * kKiB;
constexpr std::int64_t kGiB = 1024 * kMiB;
constexpr std::int64_t kTimeoutMaxMs = 3'600'000;
constexpr std::string_view kEnvPrefix = "FLASHSALE_";
constexpr std::array<std::string_view, 5> kStockEngines = {
    "memory", "redis", "pg-lock", "pg-optimistic", "pg-guarded"};
constexpr std::array<std::string_view, 2> kOrderStores = {"sqlite", "postgres"};
constexpr std::array<std::string_view, 2> kOnOff = {"on", "off"};
constexpr std::array<std::string_view, 3> kWaitingRoomModes = {"off", "fifo", "random"};
constexpr std::array<std::string_view, 7> kLogLevels = {"trace", "debug",    "info", "warn",
                                                        "error", "critical", "off"};

// Adding a setting: a field in config.h, a row here, a commented line in config/flashsale.toml.
constexpr Setting kSettings[] = {
    {"server.listen", "FLASHSALE_LISTEN", Kind::kListen, 0, 0,
     &config_field<&Config::server, &ServerConfig::listen>,
     "HOST:PORT to accept HTTP on; [::1]:8080 for IPv6; port 0 picks a free port"},
    {"server.workers", "FLASHSALE_WORKERS", Kind::kInteger, 0, 256,
     &config_field<&Config::server, &ServerConfig::workers>,
     "I/O threads, each with its own event loop; 0 = one per CPU core"},
    {"server.body_max_bytes", "FLASHSALE_BODY_MAX_BYTES", Kind::kBytes, kKiB, 64 * kMiB,
     &config_field<&Config::server, &ServerConfig::body_max_bytes>,
     "largest request body accepted; larger ones get 413 before being read"},
    {"server.header_max_bytes", "FLASHSALE_HEADER_MAX_BYTES", Kind::kBytes, kKiB, kMiB,
     &config_field<&Config::server, &ServerConfig::header_max_bytes>,
     "largest request header block accepted; larger ones get 431"},
    {"server.idle_timeout_ms", "FLASHSALE_IDLE_TIMEOUT_MS", Kind::kInteger, 1, kTimeoutMaxMs,
     &config_field<&Config::server, &ServerConfig::idle_timeout_ms>,
     "a keep-alive connection with no request for this long is closed"},
    {"server.request_timeout_ms", "FLASHSALE_REQUEST_TIMEOUT_MS", Kind::kInteger, 1, kTimeoutMaxMs,
     &config_field<&Config::server, &ServerConfig::request_timeout_ms>,
     "time allowed to receive one whole request; slower clients are cut off (slowloris)"},
    {"server.max_connections", "FLASHSALE_MAX_CONNECTIONS", Kind::kCount, 1, 1'000'000,
     &config_field<&Config::server, &ServerConfig::max_connections>,
     "open connections above this are refused at once, keeping memory bounded"},
    {"server.shutdown_timeout_ms", "FLASHSALE_SHUTDOWN_TIMEOUT_MS", Kind::kInteger, 1,
     kTimeoutMaxMs, &config_field<&Config::server, &ServerConfig::shutdown_timeout_ms>,
     "on SIGTERM, time given to in-flight requests before connections are closed"},
    {"server.ws_message_max_bytes", "FLASHSALE_WS_MESSAGE_MAX_BYTES", Kind::kBytes, 64, kMiB,
     &config_field<&Config::server, &ServerConfig::ws_message_max_bytes>,
     "largest WebSocket message a client may send; larger ones close the connection (1009)"},
    {"server.ws_send_queue_max", "FLASHSALE_WS_SEND_QUEUE_MAX", Kind::kCount, 1, 100'000,
     &config_field<&Config::server, &ServerConfig::ws_send_queue_max>,
     "messages waiting for one slow WebSocket reader; one more drops the connection"},
    {"server.ws_socket_send_buffer_bytes", "FLASHSALE_WS_SOCKET_SEND_BUFFER_BYTES", Kind::kBytes, 0,
     64 * kMiB, &config_field<&Config::server, &ServerConfig::ws_socket_send_buffer_bytes>,
     "kernel send buffer of each WebSocket (SO_SNDBUF); with the queue it bounds what a slow reader holds; 0 = kernel autotuning"},
    {"server.ws_idle_timeout_ms", "FLASHSALE_WS_IDLE_TIMEOUT_MS", Kind::kInteger, 100,
     kTimeoutMaxMs, &config_field<&Config::server, &ServerConfig::ws_idle_timeout_ms>,
     "a WebSocket silent this long is closed; a ping goes out at half of it"},
    {"storage.data_dir", "FLASHSALE_DATA_DIR", Kind::kString, 0, 0,
     &config_field<&Config::storage, &StorageConfig::data_dir>,
     "directory of the SQLite database and generated secrets; created if missing"},
    {"storage.writer_batch_max", "FLASHSALE_WRITER_BATCH_MAX", Kind::kCount, 1, 100'000,
     &config_field<&Config::storage, &StorageConfig::writer_batch_max>,
     "most writes grouped into one transaction (and one fsync) by the writer thread"},
    {"storage.reader_threads", "FLASHSALE_READER_THREADS", Kind::kInteger, 1, 64,
     &config_field<&Config::storage, &StorageConfig::reader_threads>,
     "threads serving database reads, so that no read blocks an I/O thread"},
    {"auth.admin_token", "FLASHSALE_ADMIN_TOKEN", Kind::kSecret, 0, 0,
     &config_field<&Config::auth, &AuthConfig::admin_token>,
     "bearer token of the admin API, 16+ characters; empty = read or generate "
     "data_dir/admin_token"},
    {"auth.jwt_secret", "FLASHSALE_JWT_SECRET", Kind::kSecret, 0, 0,
     &config_field<&Config::auth, &AuthConfig::jwt_secret>,
     "HS256 key of user JWTs, 16+ characters; empty = read or generate data_dir/jwt_secret"},
    {"auth.verified_tokens_cached", "FLASHSALE_VERIFIED_TOKENS_CACHED", Kind::kCount, 0,
     1'000'000, &config_field<&Config::auth, &AuthConfig::verified_tokens_cached>,
     "buyers' JWTs each I/O thread remembers as verified (exp and nbf still checked each "
     "time); 0 = verify every request"},
    {"sales.expiry_sweep_ms", "FLASHSALE_EXPIRY_SWEEP_MS", Kind::kInteger, 10, 10'000,
     &config_field<&Config::sales, &SalesConfig::expiry_sweep_ms>,
     "how often unpaid reservations past their deadline are released to stock"},
    {"stock.engine", "FLASHSALE_STOCK_ENGINE", Kind::kChoice, 0, 0,
     &config_field<&Config::stock, &StockConfig::engine>,
     "where stock lives: memory (embedded), redis (shared by every node; needs postgres), or "
     "the database baselines pg-lock, pg-optimistic, pg-guarded (need postgres)",
     kStockEngines},
    {"stock.pg_connections", "FLASHSALE_STOCK_PG_CONNECTIONS", Kind::kInteger, 1, 256,
     &config_field<&Config::stock, &StockConfig::pg_connections>,
     "pg-* engines: PostgreSQL connections (and threads) that take the stock decisions"},
    {"orders.store", "FLASHSALE_ORDERS_STORE", Kind::kChoice, 0, 0,
     &config_field<&Config::orders, &OrdersConfig::store>,
     "where orders live: sqlite (embedded, in data_dir) or postgres", kOrderStores},
    {"orders.pipeline", "FLASHSALE_ORDERS_PIPELINE", Kind::kChoice, 0, 0,
     &config_field<&Config::orders, &OrdersConfig::pipeline>,
     "redis engine: on = this node also moves the order streams into PostgreSQL", kOnOff},
    {"orders.pipeline_batch_max", "FLASHSALE_ORDERS_PIPELINE_BATCH_MAX", Kind::kCount, 1, 100'000,
     &config_field<&Config::orders, &OrdersConfig::pipeline_batch_max>,
     "redis engine: most stream entries written to PostgreSQL in one transaction"},
    {"orders.reconcile_interval_ms", "FLASHSALE_ORDERS_RECONCILE_INTERVAL_MS", Kind::kInteger, 100,
     kTimeoutMaxMs, &config_field<&Config::orders, &OrdersConfig::reconcile_interval_ms>,
     "redis engine: how often a node looks for sales Redis lost, and rebuilds them"},
    {"redis.host", "FLASHSALE_REDIS_HOST", Kind::kString, 0, 0,
     &config_field<&Config::redis, &RedisConfig::host>, "Redis server host (redis engine)"},
    {"redis.port", "FLASHSALE_REDIS_PORT", Kind::kInteger, 1, 65535,
     &config_field<&Config::redis, &RedisConfig::port>, "Redis server port"},
    {"redis.password", "FLASHSALE_REDIS_PASSWORD", Kind::kSecret, 0, 0,
     &config_field<&Config::redis, &RedisConfig::password>, "Redis AUTH password; empty = none"},
    {"redis.connect_timeout_ms", "FLASHSALE_REDIS_CONNECT_TIMEOUT_MS", Kind::kInteger, 1,
     kTimeoutMaxMs, &config_field<&Config::redis, &RedisConfig::connect_timeout_ms>,
     "time allowed to connect to Redis; reconnects back off exponentially"},
    {"redis.command_timeout_ms", "FLASHSALE_REDIS_COMMAND_TIMEOUT_MS", Kind::kInteger, 1,
     kTimeoutMaxMs, &config_field<&Config::redis, &RedisConfig::command_timeout_ms>,
     "a Redis command unanswered this long fails (503) and the connection is renewed"},
    {"redis.pipeline_max", "FLASHSALE_REDIS_PIPELINE_MAX", Kind::kCount, 1, 1'000'000,
     &config_field<&Config::redis, &RedisConfig::pipeline_max>,
     "commands in flight on one worker's Redis connection; above it purchases get 503 overloaded"},
    {"postgres.conninfo", "FLASHSALE_POSTGRES_CONNINFO", Kind::kSecret, 0, 0,
     &config_field<&Config::postgres, &PostgresConfig::conninfo>,
     "libpq connection string of the orders database (orders.store = postgres)"},
    {"admission.ip_rate_per_s", "FLASHSALE_IP_RATE_PER_S", Kind::kInteger, 0, 1'000'000,
     &config_field<&Config::admission, &AdmissionConfig::ip_rate_per_s>,
     "purchase and token requests per second from one client address; 0 = no limit"},
    {"admission.ip_burst", "FLASHSALE_IP_BURST", Kind::kInteger, 0, 1'000'000,
     &config_field<&Config::admission, &AdmissionConfig::ip_burst>,
     "requests one client address may send at once; 0 = ip_rate_per_s"},
    {"admission.user_rate_per_s", "FLASHSALE_USER_RATE_PER_S", Kind::kInteger, 0, 1'000'000,
     &config_field<&Config::admission, &AdmissionConfig::user_rate_per_s>,
     "purchase and token requests per second of one user; 0 = no limit"},
    {"admission.user_burst", "FLASHSALE_USER_BURST", Kind::kInteger, 0, 1'000'000,
     &config_field<&Config::admission, &AdmissionConfig::user_burst>,
     "requests one user may send at once; 0 = user_rate_per_s"},
    {"admission.sale_rate_per_s", "FLASHSALE_SALE_RATE_PER_S", Kind::kInteger, 0, 10'000'000,
     &config_field<&Config::admission, &AdmissionConfig::sale_rate_per_s>,
     "purchase attempts per second for a sale whose own rate_limit_per_s is 0; 0 = no limit"},
    {"admission.sale_burst", "FLASHSALE_SALE_BURST", Kind::kInteger, 0, 10'000'000,
     &config_field<&Config::admission, &AdmissionConfig::sale_burst>,
     "burst of sale_rate_per_s; 0 = the rate"},
    {"admission.global_rate_per_s", "FLASHSALE_GLOBAL_RATE_PER_S", Kind::kInteger, 0, 100'000'000,
     &config_field<&Config::admission, &AdmissionConfig::global_rate_per_s>,
     "purchase and token requests per second on this node; 0 = no limit"},
    {"admission.global_burst", "FLASHSALE_GLOBAL_BURST", Kind::kInteger, 0, 100'000'000,
     &config_field<&Config::admission, &AdmissionConfig::global_burst>,
     "burst of global_rate_per_s; 0 = the rate"},
    {"admission.limiter_slots", "FLASHSALE_LIMITER_SLOTS", Kind::kCount, 1024, 100'000'000,
     &config_field<&Config::admission, &AdmissionConfig::limiter_slots>,
     "buckets of the per-address and per-user limiters (8 bytes each): memory stays fixed however many users come"},
    {"admission.auto_block_strikes", "FLASHSALE_AUTO_BLOCK_STRIKES", Kind::kInteger, 0, 1'000'000,
     &config_field<&Config::admission, &AdmissionConfig::auto_block_strikes>,
     "a user or address refused by its own rate limit more than this often in 10 s is blacklisted; 0 = never"},
    {"admission.auto_block_s", "FLASHSALE_AUTO_BLOCK_S", Kind::kInteger, 1, 2'592'000,
     &config_field<&Config::admission, &AdmissionConfig::auto_block_s>,
     "how long an automatic blacklist entry lasts, in seconds"},
    {"admission.shed_inflight", "FLASHSALE_SHED_INFLIGHT", Kind::kInteger, 0, 10'000'000,
     &config_field<&Config::admission, &AdmissionConfig::shed_inflight>,
     "purchases in flight on this node above which a share of new ones gets 503 at once; 0 = no shedding"},
    {"admission.shed_percent", "FLASHSALE_SHED_PERCENT", Kind::kInteger, 1, 100,
     &config_field<&Config::admission, &AdmissionConfig::shed_percent>,
     "percentage of purchase attempts refused while above shed_inflight"},
    {"admission.token_key", "FLASHSALE_TOKEN_KEY", Kind::kSecret, 0, 0,
     &config_field<&Config::admission, &AdmissionConfig::token_key>,
     "HMAC key of purchase tokens and proof-of-work challenges, 16+ characters; empty = read or generate data_dir/token_key"},
    {"admission.token_key_previous", "FLASHSALE_TOKEN_KEY_PREVIOUS", Kind::kSecret, 0, 0,
     &config_field<&Config::admission, &AdmissionConfig::token_key_previous>,
     "the key before the last rotation, still accepted; empty = none"},
    {"admission.token_ttl_s", "FLASHSALE_TOKEN_TTL_S", Kind::kInteger, 1, 3600,
     &config_field<&Config::admission, &AdmissionConfig::token_ttl_s>,
     "lifetime of a purchase token in seconds"},
    {"admission.pow_challenge_ttl_s", "FLASHSALE_POW_CHALLENGE_TTL_S", Kind::kInteger, 1, 3600,
     &config_field<&Config::admission, &AdmissionConfig::pow_challenge_ttl_s>,
     "lifetime of a proof-of-work challenge in seconds"},
    {"admission.pow_seen_max", "FLASHSALE_POW_SEEN_MAX", Kind::kCount, 1000, 100'000'000,
     &config_field<&Config::admission, &AdmissionConfig::pow_seen_max>,
     "answered challenges remembered (to refuse reuse) until they expire; when full, new answers get 503"},
    {"admission.pow_raise_per_s", "FLASHSALE_POW_RAISE_PER_S", Kind::kInteger, 0, 10'000'000,
     &config_field<&Config::admission, &AdmissionConfig::pow_raise_per_s>,
     "token requests per second on this node above which the difficulty rises one bit per doubling; 0 = never"},
    {"admission.pow_raise_bits_max", "FLASHSALE_POW_RAISE_BITS_MAX", Kind::kInteger, 0, 16,
     &config_field<&Config::admission, &AdmissionConfig::pow_raise_bits_max>,
     "most bits the load may add to a sale's difficulty"},
    {"admission.sale_refresh_ms", "FLASHSALE_SALE_REFRESH_MS", Kind::kInteger, 10, 60'000,
     &config_field<&Config::admission, &AdmissionConfig::sale_refresh_ms>,
     "how often each node re-reads every sale (window, pause, sold-out flag) from the stock engine"},
    {"admission.clock_skew_ms", "FLASHSALE_CLOCK_SKEW_MS", Kind::kInteger, -86'400'000, 86'400'000,
     &config_field<&Config::admission, &AdmissionConfig::clock_skew_ms>,
     "TEST/DIAGNOSTIC ONLY: shifts this node's own clock; sale windows still follow the engine's clock"},
    {"waiting_room.mode", "FLASHSALE_WAITING_ROOM", Kind::kChoice, 0, 0,
     &config_field<&Config::waiting_room, &WaitingRoomConfig::mode>,
     "off, fifo or random: sales with a rate_limit_per_s queue the arrivals above it "
     "(random: those who came before the opening second in random order)", kWaitingRoomModes},
    {"waiting_room.pass_ttl_s", "FLASHSALE_WAITING_ROOM_PASS_TTL_S", Kind::kInteger, 1, 86'400,
     &config_field<&Config::waiting_room, &WaitingRoomConfig::pass_ttl_s>,
     "how long an admitted buyer's ticket stays good for buying"},
    {"log.level", "FLASHSALE_LOG_LEVEL", Kind::kChoice, 0, 0,
     &config_field<&Config::log, &LogConfig::level>,
     "least severe level logged: trace, debug, info, warn, error, critical or off", kLogLevels},
};

[[noreturn]] void fail(std::string_view where, std::string_view reason) {
    throw ConfigError(fmt::format("{}: {}", where, reason));
}

const Setting* find_by_key(std::string_view key) {
    for (const Setting& setting : kSettings) {
        if (setting.key == key) {
            return &setting;
        }
    }
    return nullptr;
}

const Setting* find_by_env(std::string_view env) {
    for (const Setting& setting : kSettings) {
        if (setting.env == env) {
            return &setting;
        }
    }
    return nullptr;
}

// A TOML table path ("server") that some setting lives under.
bool is_section(std::string_view path) {
    return std::any_of(std::begin(kSettings), std::end(kSettings), [&](const Setting& setting) {
        return setting.key.size() > path.size() && setting.key.starts_with(path) &&
               setting.key[path.size()] == '.';
    });
}

bool is_numeric(Kind kind) {
    return kind == Kind::kInteger || kind == Kind::kCount || kind == Kind::kBytes;
}

bool is_host_char(char c, bool bracketed) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    return bracketed ? (alnum || c == ':' || c == '.' || c == '%')
                     : (alnum || c == '.' || c == '-' || c == '_');
}

Result<std::pair<std::string, std::uint16_t>> parse_listen(std::string_view text) {
    auto bad = [&](std::string_view why) {
        return make_error(Errc::kBadRequest,
                          fmt::format("invalid listen address '{}': {}", text, why));
    };
    const bool bracketed = text.starts_with('[');
    const auto host_end = bracketed ? text.find("]:") : text.rfind(':');
    if (host_end == std::string_view::npos) {
        return bad(bracketed ? "expected [IPv6]:PORT" : "expected HOST:PORT");
    }
    const std::string_view host =
        bracketed ? text.substr(1, host_end - 1) : text.substr(0, host_end);
    const std::string_view port_text = text.substr(host_end + (bracketed ? 2 : 1));
    if (host.empty()) {
        return bad("the host is empty");
    }
    if (!bracketed && host.find(':') != std::string_view::npos) {
        return bad("IPv6 addresses need brackets, e.g. [::1]:8080");
    }
    if (!std::all_of(host.begin(), host.end(),
                     [&](char c) { return is_host_char(c, bracketed); })) {
        return bad("the host has characters no address or host name has");
    }
    unsigned port = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() ||
        port > 65535) {
        return bad("the port must be a number in 0..65535");
    }
    return std::pair{std::string(host), static_cast<std::uint16_t>(port)};
}

// Why a text value is not acceptable for a string setting, or nullopt when it is.
std::optional<std::string> string_problem(const Setting& setting, const std::string& text) {
    switch (setting.kind) {
        case Kind::kListen: {
            auto endpoint = parse_listen(text);
            return endpoint ? std::nullopt : std::optional(endpoint.error().message);
        }
        case Kind::kChoice:
            if (std::find(setting.choices.begin(), setting.choices.end(), text) ==
                setting.choices.end()) {
                return fmt::format("unknown value '{}' (expected one of {})", text,
                                   fmt::join(setting.choices, ", "));
            }
            return std::nullopt;
        case Kind::kString:
            return text.empty() ? std::optional<std::string>("must not be empty") : std::nullopt;
        default: return std::nullopt;
    }
}

// A whole decimal number, for kBytes optionally followed by KiB, MiB or GiB.
std::optional<std::int64_t> parse_number(std::string_view text, bool with_units) {
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end == text.data()) {
        return std::nullopt;
    }
    const std::string_view unit = text.substr(static_cast<std::size_t>(end - text.data()));
    std::int64_t multiplier = 1;
    if (unit.empty()) {
        return value;
    }
    if (!with_units) {
        return std::nullopt;
    }
    if (unit == "KiB") {
        multiplier = kKiB;
    } else if (unit == "MiB") {
        multiplier = kMiB;
    } else if (unit == "GiB") {
        multiplier = kGiB;
    } else {
        return std::nullopt;
    }
    if (value < 0 || value > std::numeric_limits<std::int64_t>::max() / multiplier) {
        return std::nullopt;
    }
    return value * multiplier;
}

void assign_integer(Config& config, const Setting& setting, std::int64_t value,
                    const std::string& where) {
    if (value < setting.min || value > setting.max) {
        fail(where, fmt::format("{} is out of range {}..{}", value, setting.min, setting.max));
    }
    if (auto* field = std::get_if<int& (*)(Config&)>(&setting.field)) {
        (*field)(config) = static_cast<int>(value);
    } else if (auto* size_field = std::get_if<std::size_t& (*)(Config&)>(&setting.field)) {
        (*size_field)(config) = static_cast<std::size_t>(value);
    }
}

void assign_text(Config& config, const Setting& setting, const std::string& text,
                 const std::string& where) {
    if (is_numeric(setting.kind)) {
        const auto value = parse_number(text, setting.kind == Kind::kBytes);
        if (!value) {
            fail(where, setting.kind == Kind::kBytes
                            ? fmt::format("'{}' is not a size (bytes, or a number ending in "
                                          "KiB, MiB or GiB)", text)
                            : fmt::format("'{}' is not an integer", text));
        }
        return assign_integer(config, setting, *value, where);
    }
    if (auto problem = string_problem(setting, text)) {
        fail(where, *problem);
    }
    std::get<std::string& (*)(Config&)>(setting.field)(config) = text;
}

std::string_view type_name(const toml::node& node) {
    switch (node.type()) {
        case toml::node_type::string: return "a string";
        case toml::node_type::integer: return "an integer";
        case toml::node_type::floating_point: return "a float";
        case toml::node_type::boolean: return "a boolean";
        case toml::node_type::array: return "an array";
        case toml::node_type::table: return "a table";
        default: return "a date or time";
    }
}

void apply_node(Config& config, const Setting& setting, const toml::node& node,
                const std::string& where) {
    if (is_numeric(setting.kind)) {
        if (const auto* integer = node.as_integer()) {
            return assign_integer(config, setting, integer->get(), where);
        }
        if (setting.kind == Kind::kBytes && node.is_string()) {
            return assign_text(config, setting, node.as_string()->get(), where);
        }
        fail(where,
             fmt::format("expected {}, got {}",
                         setting.kind == Kind::kBytes ? "an integer or a size such as \"64KiB\""
                                                      : "an integer",
                         type_name(node)));
    }
    if (!node.is_string()) {
        fail(where, fmt::format("expected a string, got {}", type_name(node)));
    }
    assign_text(config, setting, node.as_string()->get(), where);
}

void apply_table(Config& config, const toml::table& table, const std::string& prefix,
                 const std::string& file) {
    for (const auto& [key, node] : table) {
        const std::string path =
            prefix.empty() ? std::string(key.str()) : fmt::format("{}.{}", prefix, key.str());
        const std::string where =
            fmt::format("config file {} line {}: {}", file, key.source().begin.line, path);
        if (const Setting* setting = find_by_key(path)) {
            apply_node(config, *setting, node, where);
        } else if (node.is_table() && is_section(path)) {
            apply_table(config, *node.as_table(), path, file);
        } else if (is_section(path)) {
            fail(where, fmt::format("expected a table, got {}", type_name(node)));
        } else {
            fail(where, node.is_table() ? "unknown section" : "unknown key");
        }
    }
}

std::string read_file(const std::filesystem::path& path) {
    const std::string where = fmt::format("config file {}", path.string());
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        fail(where, ec ? ec.message() : "does not exist or is not a regular file");
    }
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in || !text) {
        fail(where, fmt::format("cannot be read: {}", std::strerror(errno)));
    }
    return text.str();
}

void apply_file(Config& config, const std::filesystem::path& path) {
    const std::string text = read_file(path);
    toml::table table;
    try {
        table = toml::parse(text, path.string());
    } catch (const toml::parse_error& error) {
        fail(fmt::format("config file {} line {} column {}", path.string(),
                         error.source().begin.line, error.source().begin.column),
             fmt::format("TOML syntax error: {}", error.description()));
    }
    apply_table(config, table, "", path.string());
}

void apply_environment(Config& config, const std::string& name, const std::string& value) {
    if (!name.starts_with(kEnvPrefix)) {
        return;
    }
    const std::string where = fmt::format("environment variable {}", name);
    const Setting* setting = find_by_env(name);
    if (setting == nullptr) {
        fail(where, "not a flashsale setting (see `flashsale serve --help`)");
    }
    assign_text(config, *setting, value, where);
}

void apply_override(Config& config, const std::string& key, const std::string& value) {
    const std::string where = fmt::format("command-line setting {}", key);
    const Setting* setting = find_by_key(key);
    if (setting == nullptr) {
        fail(where, "unknown setting (see `flashsale serve --help`)");
    }
    assign_text(config, *setting, value, where);
}

std::string default_text(const Setting& setting) {
    Config defaults;
    if (auto* text = std::get_if<std::string& (*)(Config&)>(&setting.field)) {
        const std::string& value = (*text)(defaults);
        return value.empty() ? std::string("(empty)") : value;
    }
    if (auto* integer = std::get_if<int& (*)(Config&)>(&setting.field)) {
        return std::to_string((*integer)(defaults));
    }
    return std::to_string(std::get<std::size_t& (*)(Config&)>(setting.field)(defaults));
}

std::string range_text(const Setting& setting) {
    return is_numeric(setting.kind) ? fmt::format(" ({}..{})", setting.min, setting.max) : "";
}

// Settings that are valid alone but not together.
void check_backends(const Config& config) {
    if (config.stock.engine == "redis" && config.orders.store != "postgres") {
        fail("stock.engine", "the redis engine needs orders.store = \"postgres\"");
    }
    if (config.stock.engine.starts_with("pg-") && config.orders.store != "postgres") {
        fail("stock.engine", "the " + config.stock.engine + " engine needs orders.store = \"postgres\"");
    }
    if (config.orders.store == "postgres" && config.postgres.conninfo.empty()) {
        fail("orders.store", "postgres needs postgres.conninfo");
    }
}

}  // namespace

Config load_config(const ConfigSources& sources) {
    Config config;
    if (sources.file) {
        apply_file(config, *sources.file);
    }
    for (const auto& [name, value] : sources.environment) {
        apply_environment(config, name, value);
    }
    for (const auto& [key, value] : sources.overrides) {
        apply_override(config, key, value);
    }
    check_backends(config);
    return config;
}

std::vector<std::pair<std::string, std::string>> environment_from(char** environ) {
    std::vector<std::pair<std::string, std::string>> result;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string_view text(*entry);
        const auto equals = text.find('=');
        if (text.starts_with(kEnvPrefix) && equals != std::string_view::npos) {
            result.emplace_back(text.substr(0, equals), text.substr(equals + 1));
        }
    }
    return result;
}

std::pair<std::string, std::uint16_t> split_listen(const std::string& listen) {
    auto endpoint = parse_listen(listen);
    if (!endpoint) {
        throw ConfigError(endpoint.error().message);
    }
    return std::move(endpoint).value();
}

std::string config_help() {
    std::string out =
        "Settings: TOML key, environment variable, default. Flags override the environment,\n"
        "which overrides the config file, which overrides the defaults.\n";
    for (const Setting& setting : kSettings) {
        out += fmt::format("  {:<27} {:<30} {}\n      {}{}\n", setting.key, setting.env,
                           default_text(setting), setting.help, range_text(setting));
    }
    return out;
}

std::span<const Setting> config_settings() { return kSettings; }

}  // namespace flashsale::app
