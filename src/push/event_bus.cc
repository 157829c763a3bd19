#include "push/event_bus.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

namespace flashsale::push {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

std::string_view audience_name(Audience audience) {
    switch (audience) {
        case Audience::kUser: return "user";
        case Audience::kSale: return "sale";
        case Audience::kEveryone: return "everyone";
    }
    return "user";
}

std::optional<Audience> parse_audience(std::string_view name) {
    if (name == "user") return Audience::kUser;
    if (name == "sale") return Audience::kSale;
    if (name == "everyone") return Audience::kEveryone;
    return std::nullopt;
}

asio::awaitable<void> publish_batch(clients::RedisClient& redis, std::string payload) {
    auto publishing = redis.execute({"PUBLISH", RedisEventBus::kChannel, std::move(payload)});
    auto published = co_await std::move(publishing);
    if (!published || published->is_error()) {
        spdlog::warn("push: publish failed: {}",
                     published ? published->text : published.error().message);
    }
}

}  // namespace

struct RedisEventBus::ListenerWatch {
    PushHub& hub;
    clients::RedisClient& redis;
    clients::RedisOptions options;
    asio::any_io_executor executor;
    Gauge& listening_nodes;
    asio::steady_timer timer{executor};
    std::atomic<bool> anyone_listening{true};  // until Redis first says otherwise
    // Held while this node has buyers connected; executor only, like `stopped`.
    std::unique_ptr<clients::RedisSubscriber> listening;
    bool stopped = false;
};

namespace {

// Subscribes to the listening channel while this node has buyers connected, and leaves it when
// the last one goes.
void hold_listening(RedisEventBus::ListenerWatch& watch) {
    const bool buyers = watch.hub.has_subscribers();
    if (buyers && !watch.listening) {
        watch.listening = std::make_unique<clients::RedisSubscriber>(
            watch.executor, watch.options, RedisEventBus::kListeningChannel,
            [](std::string_view) {});  // nothing is published there: the subscription counts
        watch.listening->start();
    } else if (!buyers && watch.listening) {
        watch.listening.reset();
    }
}

// PUBSUB NUMSUB's answer, [channel, count], as the count; nullopt for anything else.
std::optional<std::int64_t> listening_count(const Result<clients::RedisReply>& reply) {
    if (!reply || reply->elements.size() != 2) return std::nullopt;
    const auto& count = reply->elements[1];
    if (count.kind != clients::RedisReply::Kind::kInteger) return std::nullopt;
    return count.integer;
}

asio::awaitable<void> watch_listeners(std::shared_ptr<RedisEventBus::ListenerWatch> watch) {
    while (!watch->stopped) {
        hold_listening(*watch);
        auto asking =
            watch->redis.execute({"PUBSUB", "NUMSUB", RedisEventBus::kListeningChannel});
        auto answer = co_await std::move(asking);
        if (watch->stopped) break;
        const auto nodes = listening_count(answer);
        // Unknown while Redis is away: render every push, so that none is skipped by mistake.
        watch->anyone_listening.store(!nodes || *nodes > 0, std::memory_order_relaxed);
        watch->listening_nodes.set(nodes.value_or(-1));
        watch->timer.expires_after(RedisEventBus::kListenersPollInterval);
        co_await watch->timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    watch->listening.reset();
}

}  // namespace

RedisEventBus::RedisEventBus(PushHub& hub, clients::RedisClient& redis,
                             clients::RedisOptions options, asio::any_io_executor executor,
                             Gauge& listening_nodes)
    : hub_(hub),
      redis_(redis),
      executor_(executor),
      subscriber_(executor, options, kChannel,
                  [this](std::string_view payload) {
                      for (auto& push : decode(payload)) hub_.deliver(std::move(push));
                  }),
      watch_(std::make_shared<ListenerWatch>(hub, redis, std::move(options), executor,
                                             listening_nodes)) {}

bool RedisEventBus::has_listeners() const {
    return hub_.has_subscribers() || watch_->anyone_listening.load(std::memory_order_relaxed);
}

void RedisEventBus::start() {
    subscriber_.start();
    asio::co_spawn(executor_, watch_listeners(watch_), asio::detached);
}

void RedisEventBus::stop() {
    subscriber_.stop();
    asio::post(executor_, [watch = watch_] {
        watch->stopped = true;
        watch->timer.cancel();
        watch->listening.reset();
    });
}

void RedisEventBus::publish(Push push) {
    bool first = false;
    {
        std::lock_guard lock(mutex_);
        first = pending_.empty();
        pending_.push_back(std::move(push));
    }
    if (first) asio::post(executor_, [this] { flush(); });
}

void RedisEventBus::flush() {
    std::vector<Push> batch;
    {
        std::lock_guard lock(mutex_);
        batch.swap(pending_);
    }
    if (batch.empty()) return;
    asio::co_spawn(executor_, publish_batch(redis_, encode(batch)), asio::detached);
}

std::string RedisEventBus::encode(const std::vector<Push>& pushes) {
    json::array batch;
    for (const auto& push : pushes) {
        batch.push_back(json::object{
            {"audience", audience_name(push.audience)}, {"key", push.key}, {"text", push.text}});
    }
    return json::serialize(batch);
}

// Anything malformed is skipped: the channel is ours, but a stray PUBLISH must not crash a node.
std::vector<Push> RedisEventBus::decode(std::string_view payload) {
    std::vector<Push> pushes;
    boost::system::error_code ec;
    auto value = json::parse(payload, ec);
    if (ec || !value.is_array()) return pushes;
    for (const auto& item : value.as_array()) {
        const auto* object = item.if_object();
        if (object == nullptr) continue;
        const auto* audience = object->if_contains("audience");
        const auto* key = object->if_contains("key");
        const auto* text = object->if_contains("text");
        if (!audience || !key || !text || !audience->is_string() || !key->is_string() ||
            !text->is_string()) {
            continue;
        }
        auto parsed = parse_audience(audience->as_string());
        if (!parsed) continue;
        pushes.push_back(Push{*parsed, std::string(key->as_string()),
                              std::string(text->as_string())});
    }
    return pushes;
}

}  // namespace flashsale::push
