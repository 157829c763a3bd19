// The messages pushed to buyers over WebSocket, one function per kind, and the helper that
// publishes an order's change to its buyer (through the bus, so any node's socket hears it).
//   {"type":"hello","user":..,"server_time_ms":..}    {"type":"time","server_time_ms":..}
//   {"type":"order","event":"reserved|persisted|paid|cancelled|expired","order":{..}}
//   {"type":"sale","event":"opened|sold_out|stock_back|remaining|ended|paused","sale":{..}}
#pragma once

#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "api/api_context.h"
#include "common/clock.h"
#include "domain/order.h"

namespace flashsale::api {

std::string hello_message(std::string_view user_id, TimePoint now);
std::string time_message(TimePoint now);
// `order_json_text`: the order as order_json renders it.
std::string order_message(std::string_view event, std::string_view order_json_text);
std::string sale_message(std::string_view event, boost::json::object sale);

// Tells the order's buyer; `event` is the new status, or "persisted".
void publish_order(ApiContext& context, std::string_view event, const domain::Order& order);
// An order change known only by its ids and status (expiries decided by an engine or seen by
// the order pipeline): the buyer hears the status, and fetches the rest if it wants it.
void publish_order_change(push::EventBus& events, std::string_view event,
                          const domain::Order& partial);

}  // namespace flashsale::api
