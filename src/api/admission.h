// Glue between the handlers and the admission funnel: what the node learns from the stock
// engine's views, the request view the gates read, the answer to a refusal, and the periodic
// refresh that keeps every node's sale directory (window, pause, sold-out flag) current.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/json/object.hpp>

#include "admission/funnel.h"
#include "api/api_context.h"
#include "api/handlers.h"
#include "net/http_types.h"

namespace flashsale::api {

admission::SaleFacts facts_of(const stock::SaleView& view);
// Records the view in the directory (and the engine clock offset with it); returns the entry.
const admission::SaleEntry& learn(ApiContext& context, const stock::SaleView& view);
// The time a view was taken on the engine's clock (this node's clock if the engine gives none).
TimePoint view_time(const ApiContext& context, const stock::SaleView& view);

// Makes sure the directory knows the sale: one engine view on a miss. kNotFound passes on.
Awaitable<Status> learn_sale(ApiContext& context, std::string sale_id);

// What a buyer presents besides its JWT; each may be empty.
struct BuyerPasses {
    std::string_view purchase_token;
    std::string_view queue_ticket;
};

// The view of one request; `ip` and the passes outlive the view.
admission::RequestView request_view(ApiContext& context, admission::Action action,
                                    std::string_view sale_id, std::string_view user_id,
                                    std::string_view ip, BuyerPasses passes = {});

// The gates that need no buyer, for the sale named in the path, before authentication: the
// cheapest refusal of a storm against a sold-out or closed sale (Funnel::check_sale).
admission::Verdict check_sale_early(ApiContext& context, const RequestContext& request,
                                    admission::Action action);

// The public view of a sale (views.h) plus what this node adds: whether it has a waiting room.
boost::json::object public_sale_json(ApiContext& context, const stock::SaleView& view);

// The error answer of a refusal, with Retry-After for rate limits.
net::Response refusal_response(const admission::Verdict& verdict);

// Every interval, reads every sale from the engine into the directory, so that changes made
// elsewhere (other nodes, expiries that return stock) reach this node's gates.
// Each pass also tells the watchers of each sale what changed since the last one (opened,
// sold out, stock back, remaining, paused, ended), and every connection the server time now
// and then: every node refreshes, so every node tells its own connections.
class SaleRefresher {
public:
    SaleRefresher(ApiContext& context, std::chrono::milliseconds interval)
        : context_(context), interval_(interval) {}
    void start(boost::asio::any_io_executor executor);
    void stop();  // returns at once; the loop ends at its next wake-up

    struct State;  // shared with the loop, which may outlive stop() by one wake-up

private:
    ApiContext& context_;
    std::chrono::milliseconds interval_;
    std::shared_ptr<State> state_;
};

}  // namespace flashsale::api
