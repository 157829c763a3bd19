// GET /api/v1/ws: the buyer's live channel. The upgrade is authenticated with the buyer's JWT
// (header, or access_token for browsers); the connection then hears every change of the
// buyer's orders, the changes of the sales it watches ({"type":"watch","sale":ID}), and the
// server time. Anything else from the client closes the connection with 1008.
#include <unordered_set>

#include <boost/json.hpp>

#include "api/auth.h"
#include "api/errors.h"
#include "api/handlers.h"
#include "api/push_messages.h"
#include "domain/sale.h"

namespace flashsale::api {

namespace json = boost::json;
using net::CloseCode;

namespace {

// One buyer's connection: a subscriber of the hub and the handler of its socket. Lives on its
// worker; the socket session owns it, the hub only points to it while it is subscribed.
class PushConnection final : public net::WebSocketHandler, public push::Subscriber {
public:
    PushConnection(ApiContext& context, std::size_t worker, std::string user_id)
        : context_(context), worker_(worker), user_id_(std::move(user_id)) {}

    void on_open(std::weak_ptr<net::WebSocketPeer> peer) override {
        peer_ = std::move(peer);
        context_.hub->subscribe_user(worker_, user_id_, this);
        context_.pushes.connections.add(1);
        push(hello_message(user_id_, context_.clock.now()));
    }

    void on_message(std::string_view text) override {
        auto command = read_command(text);
        if (!command) {
            close(CloseCode::kPolicyViolation, command.error().message);
            return;
        }
        auto [type, sale_id] = *command;
        if (type == "watch") {
            watch(sale_id);
        } else {
            unwatch(sale_id);
        }
    }

    void on_close() override {
        context_.hub->unsubscribe_user(worker_, user_id_, this);
        for (const auto& sale_id : watched_) context_.hub->unwatch_sale(worker_, sale_id, this);
        watched_.clear();
        context_.pushes.connections.add(-1);
    }

    void push(const std::string& text) override {
        auto peer = peer_.lock();
        if (!peer) return;
        if (peer->send(text)) {
            context_.pushes.sent.inc();
        } else if (!dropped_) {
            dropped_ = true;  // counted once: later pushes find the socket closing
            context_.pushes.dropped.inc();
        }
    }

private:
    struct Command {
        std::string type;  // "watch" or "unwatch"
        std::string sale_id;
    };

    static Result<Command> read_command(std::string_view text) {
        boost::system::error_code ec;
        auto value = json::parse(text, ec);
        if (ec || !value.is_object()) return make_error(Errc::kBadRequest, "not a JSON object");
        const auto& object = value.as_object();
        const auto* type = object.if_contains("type");
        const auto* sale = object.if_contains("sale");
        if (!type || !type->is_string() || (type->as_string() != "watch" &&
                                            type->as_string() != "unwatch")) {
            return make_error(Errc::kBadRequest, "type must be watch or unwatch");
        }
        if (!sale || !sale->is_string() || !domain::is_valid_id(sale->as_string())) {
            return make_error(Errc::kBadRequest, "sale must be a sale id");
        }
        return Command{std::string(type->as_string()), std::string(sale->as_string())};
    }

    void watch(const std::string& sale_id) {
        if (watched_.contains(sale_id)) return;
        if (watched_.size() >= context_.watches_max) {
            close(CloseCode::kPolicyViolation, "too many sales watched");
            return;
        }
        watched_.insert(sale_id);
        context_.hub->watch_sale(worker_, sale_id, this);
    }

    void unwatch(const std::string& sale_id) {
        if (watched_.erase(sale_id) > 0) context_.hub->unwatch_sale(worker_, sale_id, this);
    }

    void close(CloseCode code, std::string_view reason) {
        if (!dropped_) context_.pushes.dropped.inc();
        dropped_ = true;
        if (auto peer = peer_.lock()) peer->close(code, reason);
    }

    ApiContext& context_;
    std::size_t worker_;
    std::string user_id_;
    std::weak_ptr<net::WebSocketPeer> peer_;
    std::unordered_set<std::string> watched_;
    bool dropped_ = false;
};

}  // namespace

Awaitable<net::WebSocketUpgrade> open_websocket(ApiContext& context, RequestContext request) {
    auto user = authenticate_websocket_user(request.request, context);
    if (!user) co_return net::WebSocketUpgrade{nullptr, error_response(user.error())};
    if (context.hub == nullptr) {
        co_return net::WebSocketUpgrade{
            nullptr, error_response(Errc::kUnavailable, "pushes are not enabled")};
    }
    co_return net::WebSocketUpgrade{
        std::make_shared<PushConnection>(context, request.worker, std::move(*user)), {}};
}

}  // namespace flashsale::api
