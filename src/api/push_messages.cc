#include "api/push_messages.h"

#include <boost/json/serialize.hpp>

#include "api/json_body.h"
#include "api/views.h"

namespace flashsale::api {

namespace json = boost::json;

std::string hello_message(std::string_view user_id, TimePoint now) {
    return json::serialize(json::object{
        {"type", "hello"}, {"user", user_id}, {"server_time_ms", to_unix_ms(now)}});
}

std::string time_message(TimePoint now) {
    return json::serialize(json::object{{"type", "time"}, {"server_time_ms", to_unix_ms(now)}});
}

std::string order_message(std::string_view event, std::string_view order_json_text) {
    std::string message = R"({"type":"order","event":)";
    append_json_string(message, event);
    message += R"(,"order":)";
    message += order_json_text;
    message += '}';
    return message;
}

std::string sale_message(std::string_view event, json::object sale) {
    return json::serialize(
        json::object{{"type", "sale"}, {"event", event}, {"sale", std::move(sale)}});
}

void publish_order(ApiContext& context, std::string_view event, const domain::Order& order) {
    if (context.events == nullptr) return;
    publish_order_change(*context.events, event, order);
}

void publish_order_change(push::EventBus& events, std::string_view event,
                          const domain::Order& order) {
    if (!events.has_listeners()) return;
    events.publish(push::Push{push::Audience::kUser, order.user_id,
                              order_message(event, order_json(order))});
}

}  // namespace flashsale::api
