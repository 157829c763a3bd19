// run_blocking: run a blocking function (SQLite, a file) on a bounded thread pool and resume the
// awaiting coroutine on its own executor with the result. io threads never block on storage.
//
// GCC 12 miscompiles a capturing lambda (or any aggregate temporary holding, say, a std::string)
// created inside a co_await expression: the temporary is relocated bitwise and later freed from
// the wrong address (see chriskohlhoff/asio#1007). So name the function first:
//     auto query = [this, id = std::move(id)] { return store_.find(id); };
//     co_return co_await run_blocking(pool_, std::move(query));
// and never write co_await run_blocking(pool_, [..] { .. }). The initiation below is built in a
// plain function for the same reason.
#pragma once

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace flashsale {

namespace detail {

// Not a coroutine: moves `function` into the initiation before the caller suspends.
template <class Function>
auto async_run_blocking(boost::asio::thread_pool& pool, Function& function) {
    using Value = std::invoke_result_t<Function>;
    auto initiation = [&pool, function = std::move(function)](auto handler) mutable {
        boost::asio::post(pool, [function = std::move(function),
                                 handler = std::move(handler)]() mutable {
            std::exception_ptr error;
            std::optional<Value> value;
            try {
                value.emplace(function());
            } catch (...) {
                error = std::current_exception();
            }
            auto executor = boost::asio::get_associated_executor(handler);
            boost::asio::dispatch(executor, [handler = std::move(handler), error,
                                             value = std::move(value)]() mutable {
                std::move(handler)(error, std::move(value));
            });
        });
    };
    return boost::asio::async_initiate<decltype(boost::asio::use_awaitable),
                                       void(std::exception_ptr, std::optional<Value>)>(
        std::move(initiation), boost::asio::use_awaitable);
}

}  // namespace detail

// The function's exceptions are rethrown in the awaiting coroutine. `pool` outlives the call.
template <class Function>
auto run_blocking(boost::asio::thread_pool& pool, Function function)
    -> boost::asio::awaitable<std::invoke_result_t<Function>> {
    auto outcome = co_await detail::async_run_blocking(pool, function);
    co_return std::move(*outcome);
}

}  // namespace flashsale
