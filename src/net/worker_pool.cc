#include "net/worker_pool.h"

#include <exception>

#include <spdlog/spdlog.h>

#include "common/check.h"

namespace flashsale::net {

WorkerPool::WorkerPool(std::size_t count) {
    FS_CHECK(count > 0);
    contexts_.reserve(count);
    guards_.resize(count);
    for (std::size_t i = 0; i < count; ++i) {
        contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
    }
}

WorkerPool::~WorkerPool() {
    stop();
    join();
}

boost::asio::io_context& WorkerPool::context(std::size_t index) {
    FS_CHECK(index < contexts_.size());
    return *contexts_[index];
}

boost::asio::any_io_executor WorkerPool::executor(std::size_t index) {
    return context(index).get_executor();
}

void WorkerPool::start() {
    FS_CHECK(threads_.empty());
    for (std::size_t i = 0; i < contexts_.size(); ++i) {
        auto& context = *contexts_[i];
        context.restart();  // a no-op unless the pool ran and stopped before
        guards_[i].emplace(context.get_executor());
        threads_.emplace_back([&context, i] { run(context, i); });
    }
}

std::vector<boost::asio::any_io_executor> WorkerPool::executors() {
    std::vector<boost::asio::any_io_executor> all;
    for (std::size_t i = 0; i < size(); ++i) all.push_back(executor(i));
    return all;
}

void WorkerPool::stop() {
    for (std::size_t i = 0; i < contexts_.size(); ++i) {
        guards_[i].reset();
        contexts_[i]->stop();
    }
}

void WorkerPool::join() {
    for (auto& thread : threads_) {
        if (thread.joinable()) {
            thread.join();
        }
    }
    threads_.clear();
}

void WorkerPool::run(boost::asio::io_context& context, std::size_t index) {
    // Spawned coroutines catch their own exceptions; anything reaching here escaped a plain
    // handler. Log it and keep the worker serving its other connections.
    for (;;) {
        try {
            context.run();
            return;
        } catch (const std::exception& e) {
            spdlog::error("worker {}: handler threw: {}", index, e.what());
        } catch (...) {
            spdlog::error("worker {}: handler threw a non-standard exception", index);
        }
    }
}

}  // namespace flashsale::net
