// Where pushes meet this node's WebSocket connections. Each worker keeps its own tables (user ->
// connections, sale -> watchers), touched only on that worker's thread; deliver() posts the
// push to every worker, which looks up its own subscribers. No lock anywhere. Pushes are
// best-effort: a buyer who misses one still has GET order (with its ETag) to poll.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

namespace flashsale::push {

enum class Audience {
    kUser,      // the connections of one buyer (key: user id)
    kSale,      // the connections watching one sale (key: sale id)
    kEveryone,  // every connection of the node (key unused)
};

struct Push {
    Audience audience = Audience::kUser;
    std::string key;
    std::string text;  // the message as sent, JSON text
};

// One connection as the hub sees it. Lives on one worker; unsubscribes itself before it dies.
class Subscriber {
public:
    virtual ~Subscriber() = default;
    virtual void push(const std::string& text) = 0;
};

class PushHub {
public:
    // One executor per worker, in worker order.
    explicit PushHub(std::vector<boost::asio::any_io_executor> executors);

    // On worker `worker`'s thread.
    void subscribe_user(std::size_t worker, const std::string& user_id, Subscriber* subscriber);
    void unsubscribe_user(std::size_t worker, const std::string& user_id,
                          Subscriber* subscriber);
    void watch_sale(std::size_t worker, const std::string& sale_id, Subscriber* subscriber);
    void unwatch_sale(std::size_t worker, const std::string& sale_id, Subscriber* subscriber);

    // Any thread; the push reaches the subscribers of every worker.
    void deliver(Push push);
    // Any thread: buyers connected to this node (a push nobody here can hear need not be made).
    bool has_subscribers() const { return buyers_.load(std::memory_order_relaxed) > 0; }

private:
    using Table = std::unordered_multimap<std::string, Subscriber*>;
    struct Tables {
        Table users;
        Table sales;
    };

    static bool erase(Table& table, const std::string& key, Subscriber* subscriber);
    void deliver_on(std::size_t worker, const Push& push);

    std::vector<boost::asio::any_io_executor> executors_;
    std::vector<Tables> tables_;  // one per worker
    std::atomic<std::size_t> buyers_{0};
};

}  // namespace flashsale::push
