// How sales and orders look on the wire. One function per resource, so every route that
// returns a sale or an order returns the same shape.
#pragma once

#include <string>

#include <boost/json/object.hpp>

#include "admission/sale_directory.h"
#include "common/clock.h"
#include "domain/order.h"
#include "stock/stock_engine.h"

namespace flashsale::api {

// The public view of a sale: what a buyer's page needs, with the server's clock.
boost::json::object sale_json(const stock::SaleView& view, TimePoint now);
// The admin view: the public one plus counts by status and refusals by reason: the engine's
// and the admission gates' together in "refusals", the gates' alone by gate in "admission"
// (`entry` may be nullptr: nothing refused yet on this node).
boost::json::object sale_stats_json(const stock::SaleView& view, TimePoint now,
                                    const admission::SaleEntry* entry);
// An order as JSON text.
std::string order_json(const domain::Order& order);

}  // namespace flashsale::api
