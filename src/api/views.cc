#include "api/views.h"

#include "common/time_format.h"

namespace flashsale::api {

namespace json = boost::json;

json::object sale_json(const stock::SaleView& view, TimePoint now) {
    const auto& sale = view.sale;
    return {{"id", sale.id},
            {"name", sale.name},
            {"stock", sale.stock},
            {"remaining", view.remaining()},
            {"per_user_limit", sale.per_user_limit},
            {"price_cents", sale.price_cents},
            {"status", domain::to_string(sale.status_at(now, view.remaining()))},
            {"starts_at", format_rfc3339(sale.starts_at)},
            {"ends_at", format_rfc3339(sale.ends_at)},
            {"reservation_ttl_s", sale.reservation_ttl_s},
            {"require_token", sale.require_token},
            {"server_time", format_rfc3339(now)}};
}

json::object sale_stats_json(const stock::SaleView& view, TimePoint now) {
    json::object refusals{{"sold_out", view.refusals.sold_out},
                          {"limit_reached", view.refusals.limit_reached},
                          {"not_started", view.refusals.not_started},
                          {"ended", view.refusals.ended}};
    auto stats = sale_json(view, now);
    stats["sale_id"] = view.sale.id;
    stats["sold"] = view.sold();
    stats["reserved"] = view.reserved;
    stats["paid"] = view.paid;
    stats["cancelled"] = view.cancelled;
    stats["expired"] = view.expired;
    stats["refusals"] = std::move(refusals);
    return stats;
}

json::object order_json(const domain::Order& order) {
    return {{"id", order.id},
            {"order_id", order.id},
            {"sale_id", order.sale_id},
            {"user_id", order.user_id},
            {"quantity", order.quantity},
            {"status", domain::to_string(order.status)},
            {"created_at", format_rfc3339(order.created_at)},
            {"expires_at", format_rfc3339(order.expires_at)},
            {"updated_at", format_rfc3339(order.updated_at)}};
}

}  // namespace flashsale::api
