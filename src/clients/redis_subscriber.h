// A Redis connection in subscribe mode: receives every message published on one channel until
// stopped, and reconnects with backoff when the connection is lost. Messages published while it
// is away are not replayed (Redis pub/sub keeps nothing): its users treat them as best-effort.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>

#include "clients/redis_client.h"

namespace flashsale::clients {

class RedisSubscriber {
public:
    // Called on the executor's thread for each message, with its payload.
    using OnMessage = std::function<void(std::string_view payload)>;

    RedisSubscriber(boost::asio::any_io_executor executor, RedisOptions options,
                    std::string channel, OnMessage on_message);
    ~RedisSubscriber();  // stop()
    RedisSubscriber(const RedisSubscriber&) = delete;
    RedisSubscriber& operator=(const RedisSubscriber&) = delete;

    void start();  // any thread
    void stop();   // any thread; the loop ends on the executor soon after
    bool subscribed() const;

    struct State;  // shared with the loop, which may outlive the subscriber by one wake-up

private:
    std::shared_ptr<State> state_;
};

}  // namespace flashsale::clients
