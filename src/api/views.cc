#include "api/views.h"

#include "api/json_body.h"
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
            {"paused", sale.paused},
            {"pow_difficulty_bits", sale.pow_difficulty_bits},
            {"rate_limit_per_s", sale.rate_limit_per_s},
            {"rate_limit_burst", sale.rate_limit_burst},
            {"server_time", format_rfc3339(now)}};
}

namespace {

// The gates' refusals of one sale on this node: {"window": {"not_started": n, ...}, ...}.
json::object admission_json(const admission::SaleEntry* entry) {
    json::object by_gate;
    for (std::size_t i = 0; i < admission::kReasonCount; ++i) {
        const auto reason = static_cast<admission::Reason>(i);
        const auto gate = admission::to_string(admission::gate_of(reason));
        if (!by_gate.contains(gate)) by_gate[gate] = json::object{};
        by_gate[gate].as_object()[admission::to_string(reason)] =
            entry == nullptr ? 0 : entry->refusals().value(reason);
    }
    return by_gate;
}

std::uint64_t gate_count(const admission::SaleEntry* entry,
                         std::initializer_list<admission::Reason> reasons) {
    std::uint64_t sum = 0;
    for (auto reason : reasons) sum += entry == nullptr ? 0 : entry->refusals().value(reason);
    return sum;
}

}  // namespace

json::object sale_stats_json(const stock::SaleView& view, TimePoint now,
                             const admission::SaleEntry* entry) {
    using admission::Reason;
    const auto& engine = view.refusals;
    json::object refusals{
        {"sold_out", engine.sold_out + gate_count(entry, {Reason::kSoldOut})},
        {"limit_reached", engine.limit_reached},
        {"not_started", engine.not_started + gate_count(entry, {Reason::kNotStarted,
                                                                 Reason::kPaused})},
        {"ended", engine.ended + gate_count(entry, {Reason::kEnded})},
        {"blocked", gate_count(entry, {Reason::kBlockedUser, Reason::kBlockedIp})},
        {"rate_limited", gate_count(entry, {Reason::kRateIp, Reason::kRateUser, Reason::kRateSale,
                                            Reason::kRateGlobal})},
        {"overloaded", gate_count(entry, {Reason::kOverloaded, Reason::kPowBusy})},
        {"forbidden", gate_count(entry, {Reason::kTokenMissing, Reason::kTokenInvalid,
                                         Reason::kTokenExpired, Reason::kTokenWrongUser,
                                         Reason::kTokenWrongSale, Reason::kPowInvalid,
                                         Reason::kPowReused})},
        {"precondition_required", gate_count(entry, {Reason::kPowRequired})},
        {"queue_required", gate_count(entry, {Reason::kQueueRequired, Reason::kQueueInvalid,
                                              Reason::kQueueNotYet, Reason::kQueueExpired})}};
    auto stats = sale_json(view, now);
    stats["sale_id"] = view.sale.id;
    stats["sold"] = view.sold();
    stats["reserved"] = view.reserved;
    stats["paid"] = view.paid;
    stats["cancelled"] = view.cancelled;
    stats["expired"] = view.expired;
    stats["refusals"] = std::move(refusals);
    stats["admission"] = admission_json(entry);
    return stats;
}

// Rendered straight to text: the accepted purchase's 202 carries it, and a json::object built
// and then serialized cost about a tenth of the purchase.
std::string order_json(const domain::Order& order) {
    std::string out;
    out.reserve(320);
    const auto field = [&out](std::string_view name) {
        out += out.empty() ? "{\"" : ",\"";
        out += name;
        out += "\":";
    };
    const auto time_field = [&](std::string_view name, TimePoint at) {
        field(name);
        out += '"';
        append_rfc3339(out, at);
        out += '"';
    };
    field("id");
    append_json_string(out, order.id);
    field("order_id");
    append_json_string(out, order.id);
    field("sale_id");
    append_json_string(out, order.sale_id);
    field("user_id");
    append_json_string(out, order.user_id);
    field("quantity");
    out += std::to_string(order.quantity);
    field("status");
    append_json_string(out, domain::to_string(order.status));
    time_field("created_at", order.created_at);
    time_field("expires_at", order.expires_at);
    time_field("updated_at", order.updated_at);
    out += '}';
    return out;
}

}  // namespace flashsale::api
