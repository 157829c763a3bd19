#include "app/server.h"

#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <future>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_future.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "admission/funnel.h"
#include "api/admission.h"
#include "api/push_messages.h"
#include "api/routes.h"
#include "common/time_format.h"
#include "net/http_server.h"
#include "net/worker_pool.h"
#include "push/event_bus.h"
#include "app/backends.h"

namespace flashsale::app {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

// Many buyers means many sockets: use every file descriptor the hard limit allows.
void raise_file_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

std::size_t worker_count(const Config& config) {
    if (config.server.workers > 0) return static_cast<std::size_t>(config.server.workers);
    return std::max(1u, std::thread::hardware_concurrency());
}

net::ServerLimits limits_of(const ServerConfig& server) {
    net::ServerLimits limits;
    limits.body_max_bytes = server.body_max_bytes;
    limits.header_max_bytes = server.header_max_bytes;
    limits.idle_timeout = std::chrono::milliseconds(server.idle_timeout_ms);
    limits.request_timeout = std::chrono::milliseconds(server.request_timeout_ms);
    limits.max_connections = server.max_connections;
    limits.websocket.message_max_bytes = server.ws_message_max_bytes;
    limits.websocket.send_queue_max = server.ws_send_queue_max;
    limits.websocket.socket_send_buffer_bytes = server.ws_socket_send_buffer_bytes;
    limits.websocket.idle_timeout = std::chrono::milliseconds(server.ws_idle_timeout_ms);
    limits.websocket.handshake_timeout = limits.request_timeout;
    return limits;
}

admission::WaitingRoomOptions waiting_room_options(const WaitingRoomConfig& config) {
    return {.enabled = config.mode != "off",
            .order = config.mode == "random" ? admission::QueueOrder::kRandom
                                             : admission::QueueOrder::kFifo,
            .pass_ttl = std::chrono::seconds(config.pass_ttl_s)};
}

admission::FunnelOptions funnel_options(const AdmissionConfig& config) {
    using admission::RateLimit;
    admission::FunnelOptions options;
    options.rates = {
        .ip = RateLimit::per_second(config.ip_rate_per_s, config.ip_burst),
        .user = RateLimit::per_second(config.user_rate_per_s, config.user_burst),
        .sale = RateLimit::per_second(config.sale_rate_per_s, config.sale_burst),
        .global = RateLimit::per_second(config.global_rate_per_s, config.global_burst),
        .keyed_slots = config.limiter_slots,
        .auto_block_strikes = config.auto_block_strikes,
        .auto_block_s = config.auto_block_s};
    options.shed_inflight_max = config.shed_inflight;
    options.shed_percent = config.shed_percent;
    options.token_key = config.token_key;
    options.token_key_previous = config.token_key_previous;
    options.token_ttl = std::chrono::seconds(config.token_ttl_s);
    options.pow = {.challenge_ttl = std::chrono::seconds(config.pow_challenge_ttl_s),
                   .seen_max = config.pow_seen_max,
                   .raise_per_s = config.pow_raise_per_s,
                   .raise_bits_max = config.pow_raise_bits_max};
    return options;
}

// One node hands pushes to its own hub; nodes sharing Redis spread them through it, so the
// buyer hears a change wherever their socket is.
std::unique_ptr<push::EventBus> make_event_bus(const Config& config, push::PushHub& hub,
                                               Backends& backends, net::WorkerPool& workers,
                                               MetricsRegistry& metrics) {
    if (auto* redis = backends.redis()) {
        auto& listening_nodes =
            metrics.gauge("flashsale_push_listening_nodes",
                          "Nodes with buyers' WebSockets connected, as Redis last said (-1: "
                          "unknown); none means no push is rendered");
        return std::make_unique<push::RedisEventBus>(hub, *redis, redis_options(config),
                                                     workers.executor(0), listening_nodes);
    }
    return std::make_unique<push::LocalEventBus>(hub);
}

// The demo sale of `make run`: opens a minute after start, for an hour.
domain::Sale create_demo_sale(stock::StockEngine& engine, asio::any_io_executor executor,
                              TimePoint now) {
    domain::Sale sale{.id = fmt::format("demo-{}", to_unix_ms(now) / 1000),
                      .name = "Demo flash sale",
                      .stock = 100,
                      .per_user_limit = 2,
                      .price_cents = 1999,
                      .starts_at = now + 60s,
                      .ends_at = now + 3600s,
                      .reservation_ttl_s = 300};
    auto created = asio::co_spawn(executor, engine.create_sale(sale), asio::use_future).get();
    if (!created) throw std::runtime_error("demo sale: " + created.error().message);
    return sale;
}

void print_banner(const ServeOptions& options, const std::string& host, std::uint16_t port,
                  const std::optional<domain::Sale>& demo_sale) {
    const Config& config = options.config;
    auto base = fmt::format("http://{}:{}", host.find(':') != std::string::npos
                                                ? "[" + host + "]" : host, port);
    std::printf("flashsale listening on %s\n", base.c_str());
    auto token_file = std::filesystem::path(config.storage.data_dir) / "admin_token";
    if (options.show_admin_token) {
        std::printf("admin token: %s (kept in %s)\n", config.auth.admin_token.c_str(),
                    token_file.c_str());
        std::printf("sales: curl -H \"Authorization: Bearer $(cat %s)\" %s/api/v1/admin/sales\n",
                    token_file.c_str(), base.c_str());
    }
    std::printf("metrics: %s/metrics   health: %s/healthz   dashboard: %s/admin\n", base.c_str(),
                base.c_str(), base.c_str());
    if (demo_sale) {
        std::printf("demo sale: %s/api/v1/sales/%s (%lld units, opens at %s)\n", base.c_str(),
                    demo_sale->id.c_str(), static_cast<long long>(demo_sale->stock),
                    format_rfc3339(demo_sale->starts_at).c_str());
        std::printf("demo sale page: %s/sale/%s#token=<a buyer JWT from `flashsale mint-token`>\n",
                    base.c_str(), demo_sale->id.c_str());
    }
    std::fflush(stdout);
}

}  // namespace

// Blocks until SIGINT or SIGTERM arrives.
void wait_for_signal() {
    asio::io_context signals_context;
    asio::signal_set signals(signals_context, SIGINT, SIGTERM);
    signals.async_wait([](const boost::system::error_code&, int signal) {
        spdlog::info("received signal {}, shutting down", signal);
    });
    signals_context.run();
}

int serve(const ServeOptions& options) {
    const Config& config = options.config;
    raise_file_limit();
    std::filesystem::create_directories(config.storage.data_dir);
    SystemClock clock;  // the engine's clock: the one that decides sale windows
    // This node's own clock, skewed on purpose only by the test setting clock_skew_ms.
    OffsetClock node_clock(clock, std::chrono::milliseconds(config.admission.clock_skew_ms));
    MetricsRegistry metrics;

    net::WorkerPool workers(worker_count(config));
    auto backends = make_backends(config, workers, clock, metrics);
    auto& engine = backends->engine();

    auto admission_options = funnel_options(config.admission);
    admission_options.waiting_room = waiting_room_options(config.waiting_room);
    admission::Funnel funnel(std::move(admission_options), metrics);
    push::PushHub hub(workers.executors());
    auto events = make_event_bus(config, hub, *backends, workers, metrics);
    backends->observe_orders([&events](std::string_view event, const domain::Order& order) {
        api::publish_order_change(*events, event, order);
    });
    api::ApiContext context{engine,
                            backends->reader(),
                            node_clock,
                            config.auth.admin_token,
                            JwtVerifier(config.auth.jwt_secret,
                                        config.auth.verified_tokens_cached),
                            metrics,
                            funnel,
                            [&backends] { return backends->stock_ready(); }};
    context.hub = &hub;
    context.events = events.get();
    context.engine_persists_orders = config.stock.engine != "redis";
    api::SaleRefresher refresher(context,
                                 std::chrono::milliseconds(config.admission.sale_refresh_ms));
    net::HttpServer server(workers, api::make_router(context), limits_of(config.server),
                           api::make_hooks(context));
    auto [host, port] = split_listen(config.server.listen);
    server.listen({asio::ip::make_address(host), port});

    backends->start();
    workers.start();
    events->start();
    backends->wait_until_ready();
    refresher.start(workers.executor(0));
    server.start();
    std::optional<domain::Sale> demo_sale;
    if (options.demo_sale) demo_sale = create_demo_sale(engine, workers.executor(0), clock.now());
    print_banner(options, host, server.port(), demo_sale);

    wait_for_signal();
    server.stop_accepting();
    bool drained = server.drain(std::chrono::milliseconds(config.server.shutdown_timeout_ms));
    if (!drained) spdlog::warn("shutdown deadline passed with connections still open");
    refresher.stop();
    backends->stop_serving();
    events->stop();
    workers.stop();
    workers.join();
    backends->stop();
    spdlog::info("stopped cleanly");
    return 0;
}

}  // namespace flashsale::app
