#include "api/admission.h"

#include <array>
#include <unordered_map>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "api/errors.h"
#include "api/push_messages.h"
#include "api/views.h"

namespace flashsale::api {

namespace asio = boost::asio;

admission::SaleFacts facts_of(const stock::SaleView& view) {
    const auto& sale = view.sale;
    return {.starts_at = sale.starts_at,
            .ends_at = sale.ends_at,
            .paused = sale.paused,
            .require_token = sale.require_token,
            .pow_difficulty_bits = sale.pow_difficulty_bits,
            .rate_limit_per_s = sale.rate_limit_per_s,
            .rate_limit_burst = sale.rate_limit_burst,
            .remaining = view.remaining(),
            .engine_now = view.engine_now};
}

TimePoint view_time(const ApiContext& context, const stock::SaleView& view) {
    return view.engine_now == TimePoint{} ? context.clock.now() : view.engine_now;
}

const admission::SaleEntry& learn(ApiContext& context, const stock::SaleView& view) {
    auto facts = facts_of(view);
    facts.engine_now = view_time(context, view);
    return context.admission.directory().learn(view.sale.id, facts, context.clock.now());
}

Awaitable<Status> learn_sale(ApiContext& context, std::string sale_id) {
    if (context.admission.directory().find(sale_id) != nullptr) co_return Ok{};
    auto op = context.stock.view(sale_id);
    auto view = co_await std::move(op);
    if (!view) co_return view.error();
    learn(context, *view);
    co_return Ok{};
}

admission::RequestView request_view(ApiContext& context, admission::Action action,
                                    std::string_view sale_id, std::string_view user_id,
                                    std::string_view ip, BuyerPasses passes) {
    return {.action = action,
            .sale_id = sale_id,
            .user_id = user_id,
            .client_ip = ip,
            .purchase_token = passes.purchase_token,
            .queue_ticket = passes.queue_ticket,
            .local_now = context.clock.now(),
            .monotonic_us = context.admission.monotonic_us()};
}

admission::Verdict check_sale_early(ApiContext& context, const RequestContext& request,
                                    admission::Action action) {
    auto view = request_view(context, action, request.params.get("id"), {}, {});
    return context.admission.check_sale(view);
}

boost::json::object public_sale_json(ApiContext& context, const stock::SaleView& view) {
    auto sale = sale_json(view, view_time(context, view));
    const auto* entry = context.admission.directory().find(view.sale.id);
    sale["waiting_room"] = entry != nullptr && context.admission.waiting_room().active_for(*entry);
    return sale;
}

namespace {

// Each reason's refusal body, rendered once: a storm of refusals repeats a few bodies.
const std::string& refusal_body(admission::Reason reason) {
    static const auto bodies = [] {
        std::array<std::string, admission::kReasonCount> rendered;
        for (std::size_t i = 0; i < rendered.size(); ++i) {
            const auto each = static_cast<admission::Reason>(i);
            rendered[i] = error_body(admission::errc_of(each), admission::message_of(each));
        }
        return rendered;
    }();
    return bodies[static_cast<std::size_t>(reason)];
}

}  // namespace

net::Response refusal_response(const admission::Verdict& verdict) {
    auto response =
        error_response_with_body(admission::errc_of(verdict.reason), refusal_body(verdict.reason));
    if (verdict.retry_after_s > 0) {
        response.set(boost::beast::http::field::retry_after, std::to_string(verdict.retry_after_s));
    }
    return response;
}

struct SaleRefresher::State {
    explicit State(asio::any_io_executor executor) : timer(executor) {}
    asio::steady_timer timer;
    std::atomic<bool> stopping{false};
    // What the watchers were last told of each sale; touched by the loop only.
    std::unordered_map<std::string, std::pair<domain::SaleStatus, std::int64_t>> last;
    std::chrono::steady_clock::time_point last_time_push{};
};

namespace {

constexpr std::chrono::seconds kTimePushInterval{15};

// The event a change of status (or of the remaining stock alone) is, or "" for none.
std::string_view sale_event(domain::SaleStatus before, domain::SaleStatus now,
                            bool remaining_changed) {
    using domain::SaleStatus;
    if (before == now) return remaining_changed ? "remaining" : "";
    switch (now) {
        case SaleStatus::kActive:
            return before == SaleStatus::kUpcoming ? "opened" : "stock_back";
        case SaleStatus::kSoldOut: return "sold_out";
        case SaleStatus::kEnded: return "ended";
        case SaleStatus::kPaused: return "paused";
        case SaleStatus::kUpcoming: return "remaining";
    }
    return "";
}

void tell_watchers(ApiContext& context, SaleRefresher::State& state,
                   const stock::SaleView& view) {
    const auto now = view_time(context, view);
    const auto status = view.sale.status_at(now, view.remaining());
    const auto [found, first] = state.last.try_emplace(view.sale.id, status, view.remaining());
    if (first || context.hub == nullptr) return;
    auto& [last_status, last_remaining] = found->second;
    const auto event = sale_event(last_status, status, last_remaining != view.remaining());
    last_status = status;
    last_remaining = view.remaining();
    // Nobody connected here: skip rendering (with 10,000 sales that was a tenth of the core).
    if (event.empty() || !context.hub->has_subscribers()) return;
    context.hub->deliver(push::Push{push::Audience::kSale, view.sale.id,
                                    sale_message(event, public_sale_json(context, view))});
}

void tell_time(ApiContext& context, SaleRefresher::State& state) {
    const auto now = std::chrono::steady_clock::now();
    if (context.hub == nullptr || now - state.last_time_push < kTimePushInterval) return;
    state.last_time_push = now;
    context.hub->deliver(push::Push{push::Audience::kEveryone, {},
                                    time_message(context.admission.directory()
                                                     .engine_now(context.clock.now())
                                                     .value_or(context.clock.now()))});
}

void observe(ApiContext& context, SaleRefresher::State& state, const stock::SaleView& view) {
    const auto& entry = learn(context, view);
    context.admission.waiting_room().observe(view.sale.id, entry, view_time(context, view));
    tell_watchers(context, state, view);
}

Awaitable<void> refresh_loop(ApiContext& context, std::chrono::milliseconds interval,
                             std::shared_ptr<SaleRefresher::State> state) {
    while (!state->stopping) {
        state->timer.expires_after(interval);
        auto [error] = co_await state->timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (error || state->stopping) break;
        auto op = context.stock.list();
        auto views = co_await std::move(op);
        for (const auto& view : views) observe(context, *state, view);
        tell_time(context, *state);
    }
}

}  // namespace

void SaleRefresher::start(asio::any_io_executor executor) {
    state_ = std::make_shared<State>(executor);
    asio::co_spawn(executor,
                   refresh_loop(context_, interval_, state_),
                   [](std::exception_ptr error) {
                       if (!error) return;
                       try {
                           std::rethrow_exception(error);
                       } catch (const std::exception& e) {
                           spdlog::critical("sale refresher failed: {}", e.what());
                       }
                   });
}

void SaleRefresher::stop() {
    if (!state_) return;
    state_->stopping = true;
    asio::post(state_->timer.get_executor(), [state = state_] { state->timer.cancel(); });
}

}  // namespace flashsale::api
