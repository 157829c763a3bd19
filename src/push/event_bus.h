// How a push reaches the buyer's connection, whichever node holds it. The local bus hands it to
// this node's hub (one node: the embedded default). The Redis bus publishes it on one pub/sub
// channel that every node subscribes to, so a change decided on one node (a purchase, a pay,
// the order pipeline persisting or expiring an order) reaches the buyer's socket on any node.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "clients/redis_client.h"
#include "clients/redis_subscriber.h"
#include "common/metrics.h"
#include "push/push_hub.h"

namespace flashsale::push {

class EventBus {
public:
    virtual ~EventBus() = default;
    // Any thread; never blocks.
    virtual void publish(Push push) = 0;
    // False when nobody could hear a push: the caller need not render it (one node with no
    // buyer connected). With several nodes someone elsewhere may, so the Redis bus says true.
    virtual bool has_listeners() const { return true; }
    virtual void start() {}
    virtual void stop() {}
};

class LocalEventBus final : public EventBus {
public:
    explicit LocalEventBus(PushHub& hub) : hub_(hub) {}
    void publish(Push push) override { hub_.deliver(std::move(push)); }
    bool has_listeners() const override { return hub_.has_subscribers(); }

private:
    PushHub& hub_;
};

// Pushes published together (before the flush ran) travel in one PUBLISH, so a storm of
// purchases costs Redis a few publishes per millisecond, not one per order.
//
// Nobody renders a push that no node could deliver: a node with buyers connected holds a
// subscription to kListeningChannel (Redis drops it with the node's connection, so a node that
// dies stops counting at once), and every node asks Redis how many hold one, every
// kListenersPollInterval. A buyer who connects is heard cluster-wide within two intervals; a
// push in between is lost like any other best-effort push, and the page polls as a fallback.
class RedisEventBus final : public EventBus {
public:
    static constexpr const char* kChannel = "flashsale:push";
    static constexpr const char* kListeningChannel = "flashsale:push:listening";
    static constexpr std::chrono::milliseconds kListenersPollInterval{250};

    // `redis` (for PUBLISH) and `hub` outlive the bus; the subscribers run on `executor`.
    // `listening_nodes` shows how many nodes have buyers connected (-1 while Redis is away).
    RedisEventBus(PushHub& hub, clients::RedisClient& redis, clients::RedisOptions options,
                  boost::asio::any_io_executor executor, Gauge& listening_nodes);

    void publish(Push push) override;
    bool has_listeners() const override;
    void start() override;
    void stop() override;

    // The wire format of one batch, shared with the subscriber side.
    static std::string encode(const std::vector<Push>& pushes);
    static std::vector<Push> decode(std::string_view payload);

    struct ListenerWatch;  // shared with its loop, which may outlive the bus by one wake-up

private:
    void flush();

    PushHub& hub_;
    clients::RedisClient& redis_;
    boost::asio::any_io_executor executor_;
    clients::RedisSubscriber subscriber_;
    std::shared_ptr<ListenerWatch> watch_;
    std::mutex mutex_;  // held only to append to or swap the batch
    std::vector<Push> pending_;
};

}  // namespace flashsale::push
