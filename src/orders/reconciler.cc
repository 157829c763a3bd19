#include "orders/reconciler.h"

#include <thread>
#include <unordered_map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "stock/redis_layout.h"

namespace flashsale::orders {

using clients::RedisReply;
namespace layout = stock::redis_layout;

namespace {

constexpr std::size_t kRestoreChunk = 200;  // orders per function call while rebuilding
constexpr auto kDrainDeadline = std::chrono::seconds(30);

// An order status's place in the status machine: reserved comes before every other.
bool is_older(domain::OrderStatus redis, domain::OrderStatus database) {
    return redis == domain::OrderStatus::kReserved && database != domain::OrderStatus::kReserved;
}

}  // namespace

Reconciler::Reconciler(clients::BlockingRedis& redis, OrderStore& store, OrderPipeline& pipeline,
                       Gauge* drift)
    : redis_(redis), store_(store), pipeline_(pipeline), drift_(drift) {}

void Reconciler::expect_ok(const Result<RedisReply>& reply, const char* what) {
    if (!reply) throw StoreError(fmt::format("{}: {}", what, reply.error().message));
    if (reply->is_error()) throw StoreError(fmt::format("{}: {}", what, reply->text));
}

std::vector<SaleReconciliation> Reconciler::run() {
    std::vector<SaleReconciliation> reports;
    std::int64_t total_drift = 0;
    for (const auto& sale : store_.load_sales()) {
        reports.push_back(reconcile(sale));
        total_drift += reports.back().drift;
    }
    if (drift_) drift_->set(static_cast<double>(total_drift));
    return reports;
}

SaleReconciliation Reconciler::reconcile(const domain::Sale& sale) {
    expect_ok(redis_.execute({"SADD", std::string(layout::kSalesKey), sale.id}), "listing a sale");
    while (pipeline_.pass() > 0) {
    }
    SaleReconciliation report{.sale_id = sale.id};
    report.drift = drift_of(sale, report.reason);
    if (report.reason.empty()) return report;
    spdlog::warn("sale {}: {}; rebuilding it from the database", sale.id, report.reason);
    rebuild(sale);
    report.rebuilt = true;
    return report;
}

// How far Redis is behind the database for this sale; `reason` says why it needs a rebuild.
std::int64_t Reconciler::drift_of(const domain::Sale& sale, std::string& reason) {
    auto keys = layout::keys_of(sale.id);
    auto state = redis_.execute({"HGET", keys.sale, "state"});
    expect_ok(state, "reading a sale's state");
    auto stored = store_.load_orders(sale.id);
    if (state->is_nil()) {
        reason = "missing from Redis";
        return static_cast<std::int64_t>(stored.size());
    }
    if (state->text != "ready") reason = "left half rebuilt";

    auto in_redis = redis_orders(sale.id);
    std::int64_t drift = 0;
    for (const auto& order : stored) {
        auto found = in_redis.find(order.id);
        if (found == in_redis.end()) {
            ++drift;
            continue;
        }
        auto redis_order = layout::order_from_json(found->second);
        if (!redis_order || is_older(redis_order->status, order.status)) ++drift;
    }
    if (drift > 0 && reason.empty()) {
        reason = fmt::format("Redis is behind the database by {} orders", drift);
    }
    return drift;
}

// Order id -> order JSON, as Redis holds them.
std::unordered_map<std::string, std::string> Reconciler::redis_orders(const std::string& sale_id) {
    auto held = redis_.execute({"HGETALL", layout::keys_of(sale_id).orders});
    expect_ok(held, "reading a sale's orders");
    std::unordered_map<std::string, std::string> orders;
    for (std::size_t i = 0; i + 1 < held->elements.size(); i += 2) {
        orders.emplace(held->elements[i].text, held->elements[i + 1].text);
    }
    return orders;
}

std::vector<Violation> Reconciler::compare(std::optional<std::string> sale_id) {
    std::vector<Violation> violations;
    for (const auto& sale : store_.load_sales()) {
        if (sale_id && sale.id != *sale_id) continue;
        drain_stream(sale.id);
        compare_sale(sale, violations);
    }
    return violations;
}

void Reconciler::compare_sale(const domain::Sale& sale, std::vector<Violation>& violations) {
    auto add = [&](std::string detail) { violations.push_back({"I3", sale.id, std::move(detail)}); };
    auto in_redis = redis_orders(sale.id);
    std::unordered_map<std::string, domain::OrderStatus> stored;
    for (const auto& order : store_.load_orders(sale.id)) stored.emplace(order.id, order.status);
    for (const auto& [id, json] : in_redis) {
        auto order = layout::order_from_json(json);
        auto found = stored.find(id);
        if (!order) {
            add(fmt::format("order {} in Redis is unreadable", id));
        } else if (found == stored.end()) {
            add(fmt::format("order {} accepted in Redis is not in the database", id));
        } else if (found->second != order->status) {
            add(fmt::format("order {} is {} in Redis but {} in the database", id,
                            to_string(order->status), to_string(found->second)));
        }
    }
    for (const auto& [id, status] : stored) {
        if (!in_redis.contains(id)) add(fmt::format("order {} in the database is not in Redis", id));
    }
    auto parked = redis_.execute({"XLEN", layout::keys_of(sale.id).dead});
    expect_ok(parked, "reading the dead letters");
    if (parked->integer > 0) {
        add(fmt::format("{} stream entries were refused by the database and parked in {}",
                        parked->integer, layout::keys_of(sale.id).dead));
    }
}

void Reconciler::rebuild(const domain::Sale& sale) {
    expect_ok(redis_.execute(layout::function_call("fs_begin_rebuild", sale.id)),
              "taking a sale out");
    drain_stream(sale.id);

    // The definition too may have changed in the stream just drained.
    domain::Sale definition = sale;
    for (auto& stored : store_.load_sales()) {
        if (stored.id == sale.id) definition = std::move(stored);
    }
    expect_ok(redis_.execute(layout::function_call("fs_restore_sale", sale.id,
                                                   layout::function_args(definition))),
              "restoring a sale");

    auto orders = store_.load_orders(sale.id);
    for (std::size_t first = 0; first < orders.size(); first += kRestoreChunk) {
        std::vector<std::string> chunk;
        for (std::size_t i = first; i < std::min(orders.size(), first + kRestoreChunk); ++i) {
            chunk.push_back(layout::order_to_json(orders[i]));
        }
        expect_ok(redis_.execute(layout::function_call("fs_restore_orders", sale.id, chunk)),
                  "restoring orders");
    }
    expect_ok(redis_.execute(layout::function_call("fs_end_rebuild", sale.id)), "reopening a sale");
    spdlog::info("sale {} rebuilt from the database: {} orders", sale.id, orders.size());
}

// Waits until every entry of the sale's stream is in the database (the stream is trimmed
// below what is acknowledged, so an empty stream means none is left), applying them itself
// when this node holds the sale's lease. An empty stream is checked before a pipeline pass:
// a pass visits every sale, so passing once per sale made verify quadratic in the number of
// sales (10,000 sales took over ten minutes in bench/run); one pass drains them all.
void Reconciler::drain_stream(const std::string& sale_id) {
    auto events = layout::keys_of(sale_id).events;
    auto deadline = std::chrono::steady_clock::now() + kDrainDeadline;
    while (true) {
        auto length = redis_.execute({"XLEN", events});
        expect_ok(length, "reading a stream's length");
        if (length->integer == 0) return;
        pipeline_.pass();
        length = redis_.execute({"XLEN", events});
        expect_ok(length, "reading a stream's length");
        if (length->integer == 0) return;
        if (std::chrono::steady_clock::now() > deadline) {
            throw StoreError("sale " + sale_id + ": its stream did not drain into the database");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

ReconcileWatch::ReconcileWatch(clients::RedisOptions redis, OrderStore& store,
                               PipelineOptions pipeline, std::chrono::milliseconds interval,
                               Gauge* drift)
    : redis_(redis),
      store_(store),
      pipeline_(std::move(redis), store, std::move(pipeline)),
      reconciler_(redis_, store, pipeline_, drift),
      interval_(interval) {}

ReconcileWatch::~ReconcileWatch() { stop(); }

void ReconcileWatch::start() {
    thread_ = std::thread([this] { run(); });
}

void ReconcileWatch::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void ReconcileWatch::run() {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
        lock.unlock();
        try {
            check_once();
        } catch (const StoreError& e) {
            spdlog::warn("reconcile watch: {}; trying again later", e.what());
        }
        lock.lock();
    }
}

void ReconcileWatch::check_once() {
    for (const auto& sale : store_.load_sales()) {
        auto exists = redis_.execute({"EXISTS", layout::keys_of(sale.id).sale});
        if (!exists || exists->is_error() || exists->integer == 1) continue;
        auto report = reconciler_.reconcile(sale);
        if (report.rebuilt) spdlog::warn("sale {} was lost from Redis; rebuilt", sale.id);
    }
}

}  // namespace flashsale::orders
