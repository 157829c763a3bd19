#include "stock/redis_stock_engine.h"

#include <iterator>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

namespace flashsale::stock {

namespace asio = boost::asio;
using clients::RedisReply;
namespace layout = redis_layout;

namespace {

bool is_function_missing(const RedisReply& reply) {
    return reply.is_error() && reply.text.find("Function not found") != std::string::npos;
}

// The status word of a function's reply ("ok" or an error code), or "" when malformed.
std::string_view status_of(const RedisReply& reply) {
    if (reply.kind != RedisReply::Kind::kArray || reply.elements.empty()) return "";
    return reply.elements[0].text;
}

std::string_view detail_of(const RedisReply& reply) {
    return reply.elements.size() > 1 ? std::string_view(reply.elements[1].text) : "";
}

// A refusal code of redis/flashsale.lua as an Error (not_ready is handled by the caller).
Error refusal(const RedisReply& reply) {
    auto status = status_of(reply);
    if (status == "not_found") return make_error(Errc::kNotFound, "no such order");
    if (status == "not_started") return make_error(Errc::kNotStarted, "the sale has not started");
    if (status == "paused") return make_error(Errc::kNotStarted, "the sale is paused");
    if (status == "ended") return make_error(Errc::kEnded, "the sale has ended");
    if (status == "limit_reached") {
        return make_error(Errc::kLimitReached, "the per-user limit of this sale is reached");
    }
    if (status == "sold_out") return make_error(Errc::kSoldOut, "not enough stock left");
    if (status == "invalid_transition") {
        auto detail = detail_of(reply);
        if (detail == "expired") {
            return make_error(Errc::kInvalidTransition, "the reservation has expired");
        }
        return make_error(Errc::kInvalidTransition, "the order is " + std::string(detail));
    }
    if (status == "conflict") {
        auto detail = detail_of(reply);
        return make_error(Errc::kConflict, detail.empty() ? std::string("a sale with this id exists")
                                                          : std::string(detail));
    }
    if (reply.is_error()) return make_error(Errc::kUnavailable, "redis: " + reply.text);
    return make_error(Errc::kInternal, "unexpected reply from the stock functions");
}

// The flat name/value pairs of an HGETALL-like array, from `first` on.
std::vector<std::pair<std::string, std::string>> pairs_of(const RedisReply& reply,
                                                           std::size_t first) {
    std::vector<std::pair<std::string, std::string>> fields;
    for (std::size_t i = first; i + 1 < reply.elements.size(); i += 2) {
        fields.emplace_back(reply.elements[i].text, reply.elements[i + 1].text);
    }
    return fields;
}

std::int64_t field_or_zero(const std::vector<std::pair<std::string, std::string>>& fields,
                           std::string_view name) {
    for (const auto& [key, value] : fields) {
        if (key == name) return std::strtoll(value.c_str(), nullptr, 10);
    }
    return 0;
}

Result<SaleView> view_from_reply(const RedisReply& reply) {
    auto fields = pairs_of(reply, 1);
    auto sale = layout::sale_from_fields(fields);
    if (!sale) return sale.error();
    SaleView view{.sale = std::move(*sale),
                  .reserved = field_or_zero(fields, "reserved"),
                  .paid = field_or_zero(fields, "paid"),
                  .cancelled = field_or_zero(fields, "cancelled"),
                  .expired = field_or_zero(fields, "expired")};
    auto count = [&fields](std::string_view name) {
        return static_cast<std::uint64_t>(field_or_zero(fields, name));
    };
    view.engine_now = from_unix_ms(field_or_zero(fields, "now"));
    view.refusals = {.sold_out = count("refused_sold_out"),
                     .limit_reached = count("refused_limit_reached"),
                     .not_started = count("refused_not_started"),
                     .ended = count("refused_ended")};
    return view;
}

}  // namespace

RedisStockEngine::RedisStockEngine(clients::RedisClient& redis,
                                   asio::any_io_executor sweeper_executor, const Clock& clock,
                                   RedisEngineOptions options)
    : redis_(redis), sweeper_(sweeper_executor), clock_(clock), options_(options) {}

RedisStockEngine::~RedisStockEngine() = default;

Status RedisStockEngine::load_functions(clients::BlockingRedis& redis) {
    auto loaded = redis.execute(
        {"FUNCTION", "LOAD", "REPLACE", std::string(layout::function_library())});
    if (!loaded) return loaded.error();
    if (loaded->is_error()) return make_error(Errc::kUnavailable, "FUNCTION LOAD: " + loaded->text);
    return Ok{};
}

void RedisStockEngine::know_sale(const std::string& sale_id) {
    std::lock_guard lock(known_mutex_);
    known_sales_.insert(sale_id);
}

// One function call on the sale's keys. A Redis that lost its functions (restarted empty, a
// failover to a replica without them) gets them again, and the call is retried once.
Awaitable<Result<RedisReply>> RedisStockEngine::call(std::string function, std::string sale_id,
                                                     std::vector<std::string> args) {
    auto command = layout::function_call(function, sale_id, std::move(args));
    auto first = redis_.execute(command);  // a copy: the command is sent again on a retry
    auto reply = co_await std::move(first);
    if (!reply || !is_function_missing(*reply)) co_return reply;

    spdlog::warn("redis lost the stock functions; loading them again");
    clients::Command load{"FUNCTION", "LOAD", "REPLACE", std::string(layout::function_library())};
    auto reload = redis_.execute(std::move(load));
    auto loaded = co_await std::move(reload);
    if (!loaded) co_return loaded.error();
    auto again = redis_.execute(std::move(command));
    co_return co_await std::move(again);
}

// A sale Redis does not have ready: not found when nobody knows it, else not ready (it is
// missing from Redis or being rebuilt from the database, and will come back).
Awaitable<Error> RedisStockEngine::not_ready(std::string sale_id) {
    bool known = false;
    {
        std::lock_guard lock(known_mutex_);
        known = known_sales_.contains(sale_id);
    }
    if (!known) {
        clients::Command member{"SISMEMBER", std::string(layout::kSalesKey), sale_id};
        auto ask = redis_.execute(std::move(member));
        auto answer = co_await std::move(ask);
        known = answer && answer->integer == 1;
    }
    if (!known) co_return make_error(Errc::kNotFound, "no such sale");
    co_return make_error(Errc::kUnavailable, "the sale is not ready; try again shortly");
}

// A call whose reply must be "ok": any other answer becomes the error it stands for.
Awaitable<Result<RedisReply>> RedisStockEngine::checked_call(std::string function,
                                                             std::string sale_id,
                                                             std::vector<std::string> args) {
    auto pending = call(std::move(function), sale_id, std::move(args));
    auto reply = co_await std::move(pending);
    if (!reply) co_return reply.error();
    auto status = status_of(*reply);
    if (status == "ok") co_return reply;
    if (status == "not_ready") {
        auto refused = not_ready(std::move(sale_id));
        co_return co_await std::move(refused);
    }
    co_return refusal(*reply);
}

// A call whose success carries an order as JSON.
Awaitable<Result<domain::Order>> RedisStockEngine::order_call(std::string function,
                                                              std::string sale_id,
                                                              std::vector<std::string> args) {
    auto pending = checked_call(std::move(function), std::move(sale_id), std::move(args));
    auto reply = co_await std::move(pending);
    if (!reply) co_return reply.error();
    if (reply->elements.size() < 2) co_return make_error(Errc::kInternal, "reply without order");
    co_return layout::order_from_json(reply->elements[1].text);
}

Awaitable<Result<domain::Order>> RedisStockEngine::reserve(ReserveRequest request) {
    auto order_id = layout::new_order_id(clock_.now(), request.sale_id);
    std::vector<std::string> args{request.user_id, std::to_string(request.quantity),
                                  request.idempotency_key, std::move(order_id)};
    return order_call("fs_reserve", std::move(request.sale_id), std::move(args));
}

Awaitable<Result<domain::Order>> RedisStockEngine::pay(std::string sale_id,
                                                       std::string order_id) {
    std::vector<std::string> args{std::move(order_id)};
    return order_call("fs_pay", std::move(sale_id), std::move(args));
}

Awaitable<Result<domain::Order>> RedisStockEngine::cancel(std::string sale_id,
                                                          std::string order_id) {
    std::vector<std::string> args{std::move(order_id)};
    return order_call("fs_cancel", std::move(sale_id), std::move(args));
}

Awaitable<Result<domain::Order>> RedisStockEngine::find_order(std::string order_id) {
    auto sale_id = layout::sale_of_order(order_id);
    if (!sale_id) co_return make_error(Errc::kNotFound, "no such order");
    clients::Command get{"HGET", layout::keys_of(*sale_id).orders, order_id};
    auto pending = redis_.execute(std::move(get));
    auto reply = co_await std::move(pending);
    if (!reply) co_return reply.error();
    if (reply->is_nil()) co_return make_error(Errc::kNotFound, "no such order");
    co_return layout::order_from_json(reply->text);
}

Awaitable<Result<domain::Sale>> RedisStockEngine::create_sale(domain::Sale sale) {
    if (auto valid = domain::validate(sale); !valid) co_return valid.error();
    // Listed first: a listed sale without keys is harmless, keys nobody lists would never
    // reach the order pipeline.
    clients::Command list{"SADD", std::string(layout::kSalesKey), sale.id};
    auto listing = redis_.execute(std::move(list));
    auto listed = co_await std::move(listing);
    if (!listed) co_return listed.error();

    auto pending = checked_call("fs_create_sale", sale.id, layout::function_args(sale));
    auto created = co_await std::move(pending);
    if (!created) co_return created.error();
    know_sale(sale.id);
    co_return sale;
}

Awaitable<Result<domain::Sale>> RedisStockEngine::update_sale(std::string sale_id,
                                                              domain::SalePatch patch) {
    auto current = view(sale_id);
    auto now = co_await std::move(current);
    if (!now) co_return now.error();
    auto next = domain::apply(now->sale, patch);
    if (auto valid = domain::validate(next); !valid) co_return valid.error();

    auto pending = checked_call("fs_update_sale", sale_id, layout::function_args(next));
    auto updated = co_await std::move(pending);
    if (!updated) co_return updated.error();
    co_return next;
}

Awaitable<Result<SaleView>> RedisStockEngine::view(std::string sale_id) {
    auto pending = checked_call("fs_view", std::move(sale_id), {});
    auto reply = co_await std::move(pending);
    if (!reply) co_return reply.error();
    co_return view_from_reply(*reply);
}

Awaitable<std::vector<std::string>> RedisStockEngine::sale_ids() {
    clients::Command members{"SMEMBERS", std::string(layout::kSalesKey)};
    auto pending = redis_.execute(std::move(members));
    auto reply = co_await std::move(pending);
    std::vector<std::string> ids;
    if (reply) {
        for (const auto& element : reply->elements) ids.push_back(element.text);
    }
    co_return ids;
}

Awaitable<std::vector<SaleView>> RedisStockEngine::list() {
    std::vector<SaleView> views;
    auto listing = sale_ids();
    auto ids = co_await std::move(listing);
    for (auto& id : ids) {
        auto pending = view(id);
        auto one = co_await std::move(pending);
        if (one) views.push_back(std::move(*one));
    }
    co_return views;
}

// Every node sweeps every sale: each expiry is one atomic function call, so two sweepers
// cannot expire an order twice, and any live node keeps deadlines moving.
Awaitable<void> RedisStockEngine::sweep_expired() {
    while (!stopping_) {
        sweeper_.expires_after(options_.expiry_sweep_interval);
        auto [error] = co_await sweeper_.async_wait(asio::as_tuple(asio::use_awaitable));
        if (error || stopping_) break;
        auto listing = sale_ids();
        auto ids = co_await std::move(listing);
        for (auto& id : ids) {
            std::vector<std::string> args{std::to_string(options_.expiry_batch)};
            auto pending = call("fs_expire", id, std::move(args));
            auto expired = co_await std::move(pending);
            if (expired && expired->is_error()) spdlog::warn("expiry of {}: {}", id, expired->text);
        }
    }
}

void RedisStockEngine::start() {
    asio::co_spawn(sweeper_.get_executor(), sweep_expired(), asio::detached);
}

void RedisStockEngine::stop() {
    stopping_ = true;
    asio::post(sweeper_.get_executor(), [this] { sweeper_.cancel(); });
}

}  // namespace flashsale::stock
