// flashsale-bench: the load generator of bench/run. One thread, one io_context (pin it with
// taskset), C keep-alive connections, U distinct users (a JWT each, minted with the server's
// secret). Closed loop (each connection sends its next request when the answer came) or open
// loop (a constant arrival rate, latency measured from when each request was due, so a stalled
// server cannot hide its queueing: no coordinated omission). Scenarios:
//   get       GET --path (nginx `return 200`, /healthz, a sale)
//   purchase  POST purchase, users and sales taken in turn
//   sale      pre-sale refresh storm (GET sale), opening spike (every user once: token, the
//             proof-of-work when asked, purchase), post-sale polling (GET sale)
//   hold      C connections opened and kept alive for the duration (one GET every few seconds)
// Reports throughput, status counts and latency percentiles per phase as text and as JSON, then
// runs the --verify command and records its exit code.
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <charconv>
#include <cstring>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include "bench/histogram.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/jwt.h"
#include "common/time_format.h"

namespace flashsale::bench {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using asio::ip::tcp;
using Steady = std::chrono::steady_clock;
template <class T>
using Awaitable = asio::awaitable<T>;

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

struct Options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;
    std::string scenario = "purchase";
    std::string path = "/healthz";
    int connections = 64;
    std::int64_t users = 10000;
    std::string jwt_secret;
    std::string admin_token;
    std::string mode = "closed";
    double rate = 0;  // open loop: requests per second, all connections together
    double duration_s = 5;
    double warmup_s = 0;
    std::string sale_prefix = "bench";
    std::int64_t sales = 1;
    bool setup = false;  // create the sales first (needs --admin-token)
    std::int64_t stock = 1000;
    int per_user_limit = 1;
    int quantity = 1;
    double opens_in_s = 0;  // setup: the sale opens this long after setup
    bool require_token = false;
    int pow_bits = 0;
    double refresh_s = 2;
    double poll_s = 2;
    double hold_interval_s = 5;
    std::string json_path;
    std::string verify;  // shell command run at the end; its exit code is reported
};

// One phase's measurements.
struct Phase {
    std::string name;
    Histogram latency_ns;
    std::map<int, std::uint64_t> statuses;  // 0 = transport error
    std::uint64_t requests = 0;
    double seconds = 0;
    std::uint64_t connections_open = 0;  // hold: connections open at the end
};

struct Reply {
    int status = 0;  // 0: the connection failed
    std::string body;
};

// What the response head says about framing: its Content-Length and whether the server closes.
struct Framing {
    std::size_t content_length = 0;
    bool close = false;
};

// ASCII only: header names are tokens, and std::tolower's locale lookup per character was a
// quarter of this tool's instructions per request.
bool starts_with_lower(std::string_view line, std::string_view lower_name) {
    if (line.size() < lower_name.size()) return false;
    for (std::size_t i = 0; i < lower_name.size(); ++i) {
        char c = line[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != lower_name[i]) return false;
    }
    return true;
}

std::string_view value_after(std::string_view line, std::size_t name_size) {
    auto value = line.substr(name_size);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    return value;
}

// One pass over the header lines (the status line excluded) for the two headers that matter.
Framing read_framing(std::string_view head) {
    constexpr std::string_view kLength = "content-length:";
    constexpr std::string_view kConnection = "connection:";
    Framing framing;
    for (std::size_t at = head.find("\r\n"); at != std::string_view::npos;) {
        const auto start = at + 2;
        at = head.find("\r\n", start);
        const auto line = head.substr(start, at == std::string_view::npos ? head.npos : at - start);
        if (line.empty() || (line.front() | 0x20) != 'c') continue;  // neither C... header
        if (starts_with_lower(line, kLength)) {
            const auto value = value_after(line, kLength.size());
            std::from_chars(value.data(), value.data() + value.size(), framing.content_length);
        } else if (starts_with_lower(line, kConnection)) {
            framing.close = value_after(line, kConnection.size()).starts_with("close");
        }
    }
    return framing;
}

// A keep-alive HTTP/1.1 connection that reconnects when the server closed it. Its response
// parser is minimal on purpose (status line, Content-Length, Connection: close; no chunked
// bodies, which neither flashsale nor nginx `return` send): a load generator that parses as
// much as the server does would measure itself.
class Connection {
public:
    Connection(asio::io_context& io, tcp::endpoint endpoint)
        : socket_(io), endpoint_(endpoint), buffer_(16384) {}

    // The caller keeps `request` alive until the awaitable completes (no copy per request).
    // The body is copied into the reply only when `keep_body` (the spike's token answers).
    Awaitable<Reply> exchange(const std::string& request, bool keep_body) {
        if (!socket_.is_open()) {
            size_ = 0;
            auto [error] = co_await socket_.async_connect(endpoint_, kTuple);
            if (error) co_return fail();
            socket_.set_option(tcp::no_delay(true));
        }
        auto out = asio::buffer(request);
        auto [write_error, written] = co_await asio::async_write(socket_, out, kTuple);
        if (write_error) co_return fail();
        std::size_t head_end = 0;
        std::size_t total = 0;
        Framing framing;
        for (;;) {
            if (head_end == 0) {
                std::string_view seen(buffer_.data(), size_);
                auto end = seen.find("\r\n\r\n");
                if (end != std::string_view::npos) {
                    head_end = end + 4;
                    framing = read_framing(seen.substr(0, end));
                    total = head_end + framing.content_length;
                    if (total > buffer_.size()) buffer_.resize(total);
                }
            }
            if (head_end != 0 && size_ >= total) break;
            if (size_ == buffer_.size()) buffer_.resize(buffer_.size() * 2);
            auto in = asio::buffer(buffer_.data() + size_, buffer_.size() - size_);
            auto [read_error, read] = co_await socket_.async_read_some(in, kTuple);
            if (read_error) co_return fail();
            size_ += read;
        }
        std::string_view head(buffer_.data(), head_end);
        Reply reply;
        if (head.size() > 12) std::from_chars(head.data() + 9, head.data() + 12, reply.status);
        if (keep_body) reply.body.assign(buffer_.data() + head_end, total - head_end);
        std::memmove(buffer_.data(), buffer_.data() + total, size_ - total);
        size_ -= total;
        if (framing.close) socket_.close();
        co_return reply;
    }

    bool open() const { return socket_.is_open(); }

private:
    Reply fail() {
        boost::system::error_code ignored;
        socket_.close(ignored);
        size_ = 0;
        return Reply{};
    }

    tcp::socket socket_;
    tcp::endpoint endpoint_;
    std::vector<char> buffer_;
    std::size_t size_ = 0;  // bytes of buffer_ read and not yet consumed
};

class Bench {
public:
    explicit Bench(Options options) : options_(std::move(options)) {
        tcp::resolver resolver(io_);
        endpoint_ = *resolver.resolve(options_.host, std::to_string(options_.port)).begin();
        host_header_ = fmt::format("{}:{}", options_.host, options_.port);
    }

    int run();

private:
    std::string user_id(std::int64_t i) const { return fmt::format("u{}", i); }
    std::string sale_id(std::int64_t i) const {
        return options_.sales == 1 ? options_.sale_prefix
                                   : fmt::format("{}-{}", options_.sale_prefix, i);
    }
    const std::string& jwt(std::int64_t user);
    std::string get_request(const std::string& path) const;
    std::string post_request(const std::string& path, const std::string& bearer,
                             const std::string& body) const;
    std::string purchase_request(std::int64_t user, std::int64_t sale, const std::string& token);

    void setup_sales();
    Awaitable<void> create_sales(Phase& setup, TimePoint starts);
    Phase run_phase(std::string name, double duration_s, std::int64_t items);
    Awaitable<void> drive(Connection& connection, Phase& phase, int index);
    Awaitable<void> buy_once(Connection& connection, Phase& phase, std::int64_t user);
    Awaitable<void> hold(Connection& connection, Phase& phase);
    Awaitable<Reply> timed(Connection& connection, Phase& phase, const std::string& request,
                           Steady::time_point due, bool keep_body = false);
    void cache_phase_requests();
    const std::string& item_request(std::int64_t item, std::string& scratch);

    void report(const std::vector<Phase>& phases, int verify_code);

    Options options_;
    asio::io_context io_{1};
    tcp::endpoint endpoint_;
    std::string host_header_;
    std::vector<std::string> jwts_;
    std::vector<std::string> cached_requests_;  // the phase's requests, by item % their count
    std::string phase_kind_;  // get, purchase, buy_once, hold
    std::string phase_path_;
    std::int64_t next_item_ = 0;
    std::int64_t next_sale_ = 0;  // setup: the next sale to create
    std::int64_t items_ = 0;   // -1: until the deadline
    Steady::time_point deadline_;
    Steady::time_point started_;
    Steady::time_point measure_from_;
};

const std::string& Bench::jwt(std::int64_t user) {
    if (jwts_.empty()) jwts_.resize(static_cast<std::size_t>(options_.users));
    auto& token = jwts_[static_cast<std::size_t>(user)];
    if (token.empty()) {
        auto now = SystemClock().now();
        token = mint_jwt(options_.jwt_secret, user_id(user), now, now + std::chrono::hours(2));
    }
    return token;
}

std::string Bench::get_request(const std::string& path) const {
    return fmt::format("GET {} HTTP/1.1\r\nHost: {}\r\n\r\n", path, host_header_);
}

std::string Bench::post_request(const std::string& path, const std::string& bearer,
                                const std::string& body) const {
    return fmt::format("POST {} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n"
                       "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
                       path, host_header_, bearer, body.size(), body);
}

std::string Bench::purchase_request(std::int64_t user, std::int64_t sale,
                                    const std::string& token) {
    auto body = token.empty() ? fmt::format(R"({{"quantity":{}}})", options_.quantity)
                              : fmt::format(R"({{"quantity":{},"token":"{}"}})",
                                            options_.quantity, token);
    return post_request(fmt::format("/api/v1/sales/{}/purchase", sale_id(sale)), jwt(user), body);
}

// Item i is user i % U buying in sale i % S, so the same lcm(U, S) requests come round again
// and again (a GET is one request); up to kCachedRequestsMax of them are built once per phase
// and reused. Formatting each request anew was a tenth of this tool's instructions per request.
void Bench::cache_phase_requests() {
    constexpr std::int64_t kCachedRequestsMax = 1 << 16;
    cached_requests_.clear();
    const auto period = phase_kind_ == "get" ? 1 : std::lcm(options_.users, options_.sales);
    if (period > 0 && period <= kCachedRequestsMax) {
        cached_requests_.resize(static_cast<std::size_t>(period));
    }
}

// The phase's request for `item`: a cached one, or one built into `scratch`.
const std::string& Bench::item_request(std::int64_t item, std::string& scratch) {
    auto build = [this](std::int64_t i) {
        if (phase_kind_ == "get") return get_request(phase_path_);
        return purchase_request(i % options_.users, i % options_.sales, "");
    };
    if (cached_requests_.empty()) return scratch = build(item);
    auto& cached = cached_requests_[static_cast<std::size_t>(item) % cached_requests_.size()];
    if (cached.empty()) cached = build(item);
    return cached;
}

// Sends one request due at `due` and records its latency from then (open loop) and status.
Awaitable<Reply> Bench::timed(Connection& connection, Phase& phase, const std::string& request,
                              Steady::time_point due, bool keep_body) {
    auto pending = connection.exchange(request, keep_body);
    auto reply = co_await std::move(pending);
    auto done = Steady::now();
    if (due >= measure_from_) {
        phase.latency_ns.record(static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(done - due).count()));
        ++phase.statuses[reply.status];
        ++phase.requests;
    }
    co_return reply;
}

// The token (with its proof-of-work when asked), then the purchase, for one user.
Awaitable<void> Bench::buy_once(Connection& connection, Phase& phase, std::int64_t user) {
    auto sale = user % options_.sales;
    std::string token;
    if (options_.require_token || options_.pow_bits > 0) {
        auto path = fmt::format("/api/v1/sales/{}/token", sale_id(sale));
        auto ask = post_request(path, jwt(user), "{}");
        auto first = timed(connection, phase, ask, Steady::now(), true);
        auto reply = co_await std::move(first);
        if (reply.status == 428) {
            auto challenge_json = json::parse(reply.body);
            std::string challenge(challenge_json.at("challenge").as_string());
            auto bits = static_cast<int>(challenge_json.at("difficulty_bits").to_number<int>());
            std::uint64_t nonce = 0;
            for (;; ++nonce) {  // SHA-256(challenge || nonce) with `bits` leading zero bits
                auto digest = sha256(challenge + std::to_string(nonce));
                int zeros = 0;
                for (unsigned char byte : digest) {
                    if (byte == 0) {
                        zeros += 8;
                        continue;
                    }
                    zeros += std::countl_zero(byte);
                    break;
                }
                if (zeros >= bits) break;
            }
            auto answer = post_request(
                path, jwt(user),
                fmt::format(R"({{"challenge":"{}","nonce":"{}"}})", challenge, nonce));
            auto second = timed(connection, phase, answer, Steady::now(), true);
            reply = co_await std::move(second);
        }
        if (reply.status != 200) co_return;
        token = std::string(json::parse(reply.body).at("token").as_string());
    }
    auto purchase = purchase_request(user, sale, token);
    auto bought = timed(connection, phase, purchase, Steady::now());
    co_await std::move(bought);
}

// One connection's loop: take the next item until the phase ends; in open loop, each
// connection keeps its own share of the schedule (wrk2's way).
Awaitable<void> Bench::drive(Connection& connection, Phase& phase, int index) {
    bool open_loop = options_.mode == "open" && options_.rate > 0;
    auto interval = std::chrono::duration_cast<Steady::duration>(
        std::chrono::duration<double>(open_loop ? options_.connections / options_.rate : 0));
    auto due = started_ + interval * index / std::max(1, options_.connections);
    asio::steady_timer timer(io_);
    for (;;) {
        if (items_ >= 0 && next_item_ >= items_) break;
        auto now = Steady::now();
        if (items_ < 0 && now >= deadline_) break;
        if (open_loop) {
            if (due > now) {
                timer.expires_at(due);
                co_await timer.async_wait(kTuple);
            }
        } else {
            due = Steady::now();
        }
        auto item = next_item_++;
        if (phase_kind_ == "buy_once") {
            auto buying = buy_once(connection, phase, item);
            co_await std::move(buying);
        } else {
            std::string scratch;
            const auto& request = item_request(item, scratch);
            auto sending = timed(connection, phase, request, due);
            co_await std::move(sending);
        }
        due += interval;
    }
}

// Opens the connection, then sends a GET every hold_interval_s until the deadline.
Awaitable<void> Bench::hold(Connection& connection, Phase& phase) {
    asio::steady_timer timer(io_);
    auto request = get_request(phase_path_);
    while (Steady::now() < deadline_) {
        auto sending = timed(connection, phase, request, Steady::now());
        co_await std::move(sending);
        timer.expires_after(std::chrono::duration_cast<Steady::duration>(
            std::chrono::duration<double>(options_.hold_interval_s)));
        co_await timer.async_wait(kTuple);
    }
    if (connection.open()) ++phase.connections_open;
}

Phase Bench::run_phase(std::string name, double duration_s, std::int64_t items) {
    Phase phase{.name = std::move(name)};
    next_item_ = 0;
    items_ = items;
    cache_phase_requests();
    started_ = Steady::now();
    measure_from_ = started_ + std::chrono::duration_cast<Steady::duration>(
                                   std::chrono::duration<double>(items < 0 ? options_.warmup_s : 0));
    deadline_ = measure_from_ + std::chrono::duration_cast<Steady::duration>(
                                    std::chrono::duration<double>(duration_s));
    std::vector<std::unique_ptr<Connection>> connections;
    for (int i = 0; i < options_.connections; ++i) {
        connections.push_back(std::make_unique<Connection>(io_, endpoint_));
        auto task = phase_kind_ == "hold" ? hold(*connections.back(), phase)
                                          : drive(*connections.back(), phase, i);
        asio::co_spawn(io_, std::move(task), asio::detached);
    }
    io_.restart();
    io_.run();
    phase.seconds = std::chrono::duration<double>(Steady::now() - measure_from_).count();
    return phase;
}

// Creates the sales through the admin API, over up to 32 connections at once.
void Bench::setup_sales() {
    Phase setup{.name = "setup"};
    auto now = SystemClock().now();
    auto starts = now + std::chrono::milliseconds(static_cast<std::int64_t>(options_.opens_in_s * 1000));
    next_sale_ = 0;
    for (int i = 0; i < std::min(options_.connections, 32); ++i) {
        auto task = create_sales(setup, starts);
        asio::co_spawn(io_, std::move(task), asio::detached);
    }
    io_.restart();
    io_.run();
}

Awaitable<void> Bench::create_sales(Phase& setup, TimePoint starts) {
        Connection connection(io_, endpoint_);
        for (std::int64_t i = next_sale_++; i < options_.sales; i = next_sale_++) {
            json::object sale{{"id", sale_id(i)},
                              {"name", "bench sale"},
                              {"stock", options_.stock},
                              {"per_user_limit", options_.per_user_limit},
                              {"price_cents", 100},
                              {"starts_at", format_rfc3339(starts)},
                              {"ends_at", format_rfc3339(starts + std::chrono::hours(24))},
                              {"reservation_ttl_s", 3600},
                              {"require_token", options_.require_token},
                              {"pow_difficulty_bits", options_.pow_bits}};
            auto request = post_request("/api/v1/admin/sales", options_.admin_token,
                                        json::serialize(sale));
            auto sending = timed(connection, setup, request, Steady::now(), true);
            auto reply = co_await std::move(sending);
            if (reply.status != 201) {
                std::fprintf(stderr, "setup: sale %s: %d %s\n", sale_id(i).c_str(), reply.status,
                             reply.body.c_str());
                std::exit(2);
            }
        }
}

json::object to_json(const Phase& phase) {
    json::object statuses;
    for (auto [status, count] : phase.statuses) statuses[std::to_string(status)] = count;
    auto us = [&phase](double q) {
        return static_cast<double>(phase.latency_ns.percentile(q)) / 1000.0;
    };
    return {{"name", phase.name},
            {"requests", phase.requests},
            {"seconds", phase.seconds},
            {"throughput_per_s", phase.seconds > 0 ? phase.requests / phase.seconds : 0.0},
            {"statuses", statuses},
            {"latency_us",
             {{"p50", us(0.5)},
              {"p90", us(0.9)},
              {"p99", us(0.99)},
              {"p99.9", us(0.999)},
              {"max", static_cast<double>(phase.latency_ns.max()) / 1000.0}}},
            {"connections_open", phase.connections_open}};
}

void Bench::report(const std::vector<Phase>& phases, int verify_code) {
    json::array phase_list;
    for (const auto& phase : phases) {
        auto object = to_json(phase);
        std::string statuses;
        for (auto [status, count] : phase.statuses) {
            statuses += fmt::format(" {}:{}", status == 0 ? std::string("err")
                                                          : std::to_string(status), count);
        }
        auto& latency = object["latency_us"].as_object();
        std::printf("%-10s %9llu req in %6.2f s = %10.0f/s |%s\n", phase.name.c_str(),
                    static_cast<unsigned long long>(phase.requests), phase.seconds,
                    object["throughput_per_s"].to_number<double>(), statuses.c_str());
        std::printf("%-10s latency us: p50 %.0f p90 %.0f p99 %.0f p99.9 %.0f max %.0f%s\n", "",
                    latency["p50"].to_number<double>(), latency["p90"].to_number<double>(),
                    latency["p99"].to_number<double>(), latency["p99.9"].to_number<double>(),
                    latency["max"].to_number<double>(),
                    phase.name == "hold"
                        ? fmt::format(" | {} connections open", phase.connections_open).c_str()
                        : "");
        phase_list.push_back(std::move(object));
    }
    struct rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    json::object out{{"scenario", options_.scenario},
                     {"mode", options_.mode},
                     {"rate", options_.rate},
                     {"connections", options_.connections},
                     {"users", options_.users},
                     {"sales", options_.sales},
                     {"stock", options_.stock},
                     {"phases", std::move(phase_list)},
                     {"client_cpu_s", usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
                                          (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6}};
    if (!options_.verify.empty()) out["verify_exit_code"] = verify_code;
    if (!options_.json_path.empty()) {
        std::ofstream(options_.json_path) << json::serialize(out) << "\n";
    }
}

int Bench::run() {
    if (options_.scenario == "sale" || options_.scenario == "purchase") {
        for (std::int64_t user = 0; user < options_.users; ++user) jwt(user);  // mint up front
    }
    if (options_.setup) setup_sales();
    std::vector<Phase> phases;
    if (options_.scenario == "get") {
        phase_kind_ = "get";
        phase_path_ = options_.path;
        phases.push_back(run_phase("get", options_.duration_s, -1));
    } else if (options_.scenario == "purchase") {
        phase_kind_ = "purchase";
        phases.push_back(run_phase("purchase", options_.duration_s, -1));
    } else if (options_.scenario == "hold") {
        phase_kind_ = "hold";
        phase_path_ = options_.path;
        phases.push_back(run_phase("hold", options_.duration_s, -1));
    } else if (options_.scenario == "sale") {
        phase_kind_ = "get";
        phase_path_ = fmt::format("/api/v1/sales/{}", sale_id(0));
        phases.push_back(run_phase("refresh", options_.refresh_s, -1));
        phase_kind_ = "buy_once";
        phases.push_back(run_phase("spike", 0, options_.users));
        phase_kind_ = "get";
        phases.push_back(run_phase("polling", options_.poll_s, -1));
    } else {
        std::fprintf(stderr, "unknown scenario %s\n", options_.scenario.c_str());
        return 2;
    }
    int verify_code = 0;
    if (!options_.verify.empty()) {
        std::fflush(stdout);
        int status = std::system(options_.verify.c_str());
        verify_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
        std::printf("verify: exit %d\n", verify_code);
    }
    report(phases, verify_code);
    return verify_code == 0 ? 0 : 1;
}

}  // namespace
}  // namespace flashsale::bench

int main(int argc, char** argv) {
    using flashsale::bench::Options;
    Options o;
    CLI::App app{"flashsale-bench: load generator for flashsale (and any HTTP server)"};
    app.add_option("--host", o.host, "server address");
    app.add_option("--port", o.port, "server port");
    app.add_option("--scenario", o.scenario, "get | purchase | sale | hold");
    app.add_option("--path", o.path, "get and hold: the path to GET");
    app.add_option("-c,--connections", o.connections, "keep-alive connections");
    app.add_option("-u,--users", o.users, "distinct users (a JWT each)");
    app.add_option("--jwt-secret", o.jwt_secret, "the server's auth.jwt_secret");
    app.add_option("--admin-token", o.admin_token, "the server's auth.admin_token (--setup)");
    app.add_option("--mode", o.mode, "closed | open (constant arrival rate, --rate)");
    app.add_option("--rate", o.rate, "open loop: requests per second in all");
    app.add_option("-d,--duration-s", o.duration_s, "seconds measured (get, purchase, hold)");
    app.add_option("--warmup-s", o.warmup_s, "seconds of load before measuring");
    app.add_option("--sale", o.sale_prefix, "the sale id (with --sales > 1: its prefix, id-N)");
    app.add_option("--sales", o.sales, "sales the purchases are spread over");
    app.add_flag("--setup", o.setup, "create the sales first through the admin API");
    app.add_option("--stock", o.stock, "setup: stock of each sale");
    app.add_option("--per-user-limit", o.per_user_limit, "setup: per-user limit");
    app.add_option("--quantity", o.quantity, "units per purchase");
    app.add_option("--opens-in-s", o.opens_in_s, "setup: the sales open this long after setup");
    app.add_flag("--require-token", o.require_token, "setup: purchases need a token");
    app.add_option("--pow-bits", o.pow_bits, "setup: proof-of-work difficulty of the token");
    app.add_option("--refresh-s", o.refresh_s, "sale: seconds of the pre-sale refresh storm");
    app.add_option("--poll-s", o.poll_s, "sale: seconds of post-sale polling");
    app.add_option("--hold-interval-s", o.hold_interval_s, "hold: seconds between requests");
    app.add_option("--json", o.json_path, "write the report as JSON to this file");
    app.add_option("--verify", o.verify, "shell command run at the end (flashsale verify ...)");
    CLI11_PARSE(app, argc, argv);
    if (o.users < 1 || o.connections < 1 || o.sales < 1) {
        std::fprintf(stderr, "users, connections and sales must be positive\n");
        return 2;
    }
    return flashsale::bench::Bench(o).run();
}
