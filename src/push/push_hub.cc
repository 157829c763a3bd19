#include "push/push_hub.h"

#include <boost/asio/post.hpp>

namespace flashsale::push {

PushHub::PushHub(std::vector<boost::asio::any_io_executor> executors)
    : executors_(std::move(executors)), tables_(executors_.size()) {}

void PushHub::subscribe_user(std::size_t worker, const std::string& user_id,
                             Subscriber* subscriber) {
    tables_.at(worker).users.emplace(user_id, subscriber);
    buyers_.fetch_add(1, std::memory_order_relaxed);
}

void PushHub::unsubscribe_user(std::size_t worker, const std::string& user_id,
                               Subscriber* subscriber) {
    if (erase(tables_.at(worker).users, user_id, subscriber)) {
        buyers_.fetch_sub(1, std::memory_order_relaxed);
    }
}

void PushHub::watch_sale(std::size_t worker, const std::string& sale_id, Subscriber* subscriber) {
    tables_.at(worker).sales.emplace(sale_id, subscriber);
}

void PushHub::unwatch_sale(std::size_t worker, const std::string& sale_id,
                           Subscriber* subscriber) {
    erase(tables_.at(worker).sales, sale_id, subscriber);
}

bool PushHub::erase(Table& table, const std::string& key, Subscriber* subscriber) {
    auto [first, last] = table.equal_range(key);
    for (auto it = first; it != last; ++it) {
        if (it->second == subscriber) {
            table.erase(it);
            return true;
        }
    }
    return false;
}

void PushHub::deliver(Push push) {
    auto shared = std::make_shared<const Push>(std::move(push));
    for (std::size_t worker = 0; worker < executors_.size(); ++worker) {
        boost::asio::post(executors_[worker],
                          [this, worker, shared] { deliver_on(worker, *shared); });
    }
}

// Subscribers only queue the text here (a slow one is dropped later, on its own write path),
// so the tables do not change while the loop runs.
void PushHub::deliver_on(std::size_t worker, const Push& push) {
    auto& tables = tables_[worker];
    if (push.audience == Audience::kEveryone) {
        for (auto& [user, subscriber] : tables.users) subscriber->push(push.text);
        return;
    }
    auto& table = push.audience == Audience::kUser ? tables.users : tables.sales;
    auto [first, last] = table.equal_range(push.key);
    for (auto it = first; it != last; ++it) it->second->push(push.text);
}

}  // namespace flashsale::push
