// run_blocking: run a blocking function (SQLite, a file) on a bounded thread pool and resume the
// awaiting coroutine on its own executor with the result. io threads never block on storage.
#pragma once

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace flashsale {

// The function's exceptions are rethrown in the awaiting coroutine.
template <class Function>
auto run_blocking(boost::asio::thread_pool& pool, Function function)
    -> boost::asio::awaitable<std::invoke_result_t<Function>> {
    using Value = std::invoke_result_t<Function>;
    auto outcome = co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable),
                                                        void(std::exception_ptr, std::optional<Value>)>(
        [&pool, function = std::move(function)](auto handler) mutable {
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
        },
        boost::asio::use_awaitable);
    co_return std::move(*outcome);
}

}  // namespace flashsale
