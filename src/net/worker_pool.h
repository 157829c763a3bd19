// The io threads: one io_context per worker thread (concurrency hint 1), so that a connection,
// and everything it touches, stays on one thread without locks. Other modules reach a worker
// by its executor (post / co_spawn); start, stop and join are called from one control thread.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace flashsale::net {

class WorkerPool {
public:
    explicit WorkerPool(std::size_t count);
    // Stops and joins the threads if the owner did not; pending handlers are destroyed with
    // the contexts, so everything they reference must outlive the pool or be owned by them.
    ~WorkerPool();

    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    std::size_t size() const { return contexts_.size(); }
    boost::asio::io_context& context(std::size_t index);
    boost::asio::any_io_executor executor(std::size_t index);
    // Every worker's executor, in worker order.
    std::vector<boost::asio::any_io_executor> executors();

    // One thread per io_context, each kept alive by a work guard until stop().
    void start();
    // Releases the work guards and stops the contexts: handlers not yet run are abandoned.
    void stop();
    void join();

private:
    using WorkGuard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;

    static void run(boost::asio::io_context& context, std::size_t index);

    std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
    std::vector<std::optional<WorkGuard>> guards_;
    std::vector<std::thread> threads_;
};

}  // namespace flashsale::net
