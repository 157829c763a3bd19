// The shop's admin API for sales: create, list, change, start, stop, and stats. routes.cc
// checks the admin token before any of these runs. Fields are checked here for type; the
// domain checks their ranges.
#include <boost/json/array.hpp>
#include <fmt/format.h>

#include "api/admission.h"
#include "api/errors.h"
#include "api/handlers.h"
#include "api/json_body.h"
#include "api/views.h"
#include "domain/order.h"

namespace flashsale::api {

namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

const std::initializer_list<std::string_view> kSaleFields = {
    "id", "name", "stock", "per_user_limit", "price_cents", "starts_at", "ends_at",
    "reservation_ttl_s", "require_token", "paused", "pow_difficulty_bits", "rate_limit_per_s",
    "rate_limit_burst"};

// Stores a read field into the patch, when present and valid.
template <class Field, class Value>
Status assign(std::optional<Field>& target, Result<std::optional<Value>> read) {
    if (!read) return read.error();
    if (*read) target = static_cast<Field>(**read);
    return Ok{};
}

// Reads each optional field of `body` into `patch`; the first invalid field is the answer.
Status read_patch(const json::object& body, domain::SalePatch& patch) {
    constexpr std::int64_t kInt32Max = 2'147'483'647;
    constexpr std::int64_t kInt64Big = 4'000'000'000'000'000'000;
    const Status checks[] = {
        reject_unknown_fields(body, kSaleFields),
        assign(patch.name, read_string(body, "name")),
        assign(patch.stock, read_integer(body, "stock", -kInt64Big, kInt64Big)),
        assign(patch.per_user_limit, read_integer(body, "per_user_limit", -kInt32Max, kInt32Max)),
        assign(patch.price_cents, read_integer(body, "price_cents", -kInt64Big, kInt64Big)),
        assign(patch.starts_at, read_time(body, "starts_at")),
        assign(patch.ends_at, read_time(body, "ends_at")),
        assign(patch.reservation_ttl_s,
               read_integer(body, "reservation_ttl_s", -kInt32Max, kInt32Max)),
        assign(patch.require_token, read_bool(body, "require_token")),
        assign(patch.paused, read_bool(body, "paused")),
        assign(patch.pow_difficulty_bits,
               read_integer(body, "pow_difficulty_bits", -kInt32Max, kInt32Max)),
        assign(patch.rate_limit_per_s, read_integer(body, "rate_limit_per_s", -kInt32Max, kInt32Max)),
        assign(patch.rate_limit_burst, read_integer(body, "rate_limit_burst", -kInt32Max, kInt32Max)),
    };
    for (const auto& check : checks) {
        if (!check) return check;
    }
    return Ok{};
}

Result<domain::Sale> read_new_sale(const json::object& body, TimePoint now) {
    domain::SalePatch patch;
    if (auto read = read_patch(body, patch); !read) return read.error();
    for (auto field : {"name", "stock", "starts_at", "ends_at"}) {
        if (!body.contains(field)) {
            return make_error(Errc::kBadRequest, fmt::format("'{}' is required", field));
        }
    }
    domain::Sale sale = domain::apply(domain::Sale{}, patch);
    auto id = read_string(body, "id");
    if (!id) return id.error();
    // Without an id, the sale gets a fresh one (lower case, like the rest of the URL).
    if (id->has_value()) {
        sale.id = **id;
    } else {
        sale.id = domain::new_order_id(now);
        for (char& c : sale.id) c = static_cast<char>(std::tolower(c));
    }
    return sale;
}

Awaitable<Response> answer_sale(ApiContext& context, Result<domain::Sale> sale,
                                http::status status) {
    if (!sale) co_return error_response(sale.error());
    auto op = context.stock.view(sale->id);
    auto view = co_await std::move(op);
    if (!view) co_return error_response(view.error());
    learn(context, *view);
    co_return json_response(status, sale_json(*view, view_time(context, *view)));
}

}  // namespace

Awaitable<Response> create_sale(ApiContext& context, RequestContext request) {
    auto body = parse_object(request.request.body());
    if (!body) co_return error_response(body.error());
    auto sale = read_new_sale(*body, context.clock.now());
    if (!sale) co_return error_response(sale.error());
    auto created = co_await context.stock.create_sale(std::move(*sale));
    auto answer = answer_sale(context, std::move(created), http::status::created);
    co_return co_await std::move(answer);
}

Awaitable<Response> list_sales(ApiContext& context, RequestContext) {
    json::array sales;
    auto views = co_await context.stock.list();
    for (const auto& view : views) {
        learn(context, view);
        sales.push_back(sale_json(view, view_time(context, view)));
    }
    co_return json_response(http::status::ok, json::object{{"sales", std::move(sales)}});
}

Awaitable<Response> patch_sale(ApiContext& context, RequestContext request) {
    auto body = parse_object(request.request.body());
    if (!body) co_return error_response(body.error());
    if (body->contains("id")) co_return error_response(Errc::kBadRequest, "'id' cannot change");
    domain::SalePatch patch;
    if (auto read = read_patch(*body, patch); !read) co_return error_response(read.error());
    auto sale_id = std::string(request.params.get("id"));
    auto updated = co_await context.stock.update_sale(sale_id, std::move(patch));
    auto answer = answer_sale(context, std::move(updated), http::status::ok);
    co_return co_await std::move(answer);
}

namespace {

enum class WindowChange { kStart, kPause, kStop };

// start: the window opens now (if it was still ahead) and a pause ends. pause: purchases stop
// until the next start. stop: the window closes now. `now` is the engine's clock.
Result<domain::SalePatch> window_patch(const domain::Sale& sale, TimePoint now,
                                       WindowChange change) {
    domain::SalePatch patch;
    if (change != WindowChange::kStop && sale.ended_at(now)) {
        return make_error(Errc::kConflict, "the sale has ended; PATCH ends_at to reopen");
    }
    if (change == WindowChange::kStart) {
        if (!sale.opened_at(now)) patch.starts_at = now;
        patch.paused = false;
        return patch;
    }
    if (change == WindowChange::kPause) {
        patch.paused = true;
        return patch;
    }
    if (!sale.ended_at(now)) patch.ends_at = now;
    // A sale stopped before it opened gets an empty-but-valid window that ended now.
    if (!sale.opened_at(now)) patch.starts_at = now - std::chrono::milliseconds(1);
    return patch;
}

Awaitable<Response> change_window(ApiContext& context, RequestContext request,
                                  WindowChange change) {
    auto sale_id = std::string(request.params.get("id"));
    auto viewing = context.stock.view(sale_id);
    auto view = co_await std::move(viewing);
    if (!view) co_return error_response(view.error());
    auto patch = window_patch(view->sale, view_time(context, *view), change);
    if (!patch) co_return error_response(patch.error());
    auto updated = co_await context.stock.update_sale(sale_id, std::move(*patch));
    auto answer = answer_sale(context, std::move(updated), http::status::ok);
    co_return co_await std::move(answer);
}

}  // namespace

// Not coroutines: they hand their request to change_window's frame.
Awaitable<Response> start_sale(ApiContext& context, RequestContext request) {
    return change_window(context, std::move(request), WindowChange::kStart);
}

Awaitable<Response> stop_sale(ApiContext& context, RequestContext request) {
    return change_window(context, std::move(request), WindowChange::kStop);
}

Awaitable<Response> pause_sale(ApiContext& context, RequestContext request) {
    return change_window(context, std::move(request), WindowChange::kPause);
}

Awaitable<Response> get_sale_stats(ApiContext& context, RequestContext request) {
    auto op = context.stock.view(std::string(request.params.get("id")));
    auto view = co_await std::move(op);
    if (!view) co_return error_response(view.error());
    learn(context, *view);
    const auto* entry = context.admission.directory().find(view->sale.id);
    co_return json_response(http::status::ok,
                            sale_stats_json(*view, view_time(context, *view), entry));
}

}  // namespace flashsale::api
