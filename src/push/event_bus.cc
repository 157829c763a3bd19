#include "push/event_bus.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
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

RedisEventBus::RedisEventBus(PushHub& hub, clients::RedisClient& redis,
                             clients::RedisOptions options, asio::any_io_executor executor)
    : hub_(hub),
      redis_(redis),
      executor_(executor),
      subscriber_(executor, std::move(options), kChannel, [this](std::string_view payload) {
          for (auto& push : decode(payload)) hub_.deliver(std::move(push));
      }) {}

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
