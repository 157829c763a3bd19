// ReadCoalescer: concurrent reads of one key share one fetch, and no read gets an answer older
// than its request. Under a refresh storm of one sale, GET sale asks the engine (an FCALL or a
// SELECT on the Redis and database engines) a few times per round trip, not once per request.
//
// A read that finds no fetch of its key under way starts one. A read that finds one under way
// does not take that fetch's answer: the fetch may have been sent before the read's request
// arrived, and miss a purchase whose 202 the buyer has already seen. It waits for the next
// fetch instead, which starts when the current one ends and is shared by every read that
// arrived meanwhile. So a key has at most one fetch under way and one waiting to start.
//
// Flights are per thread: every read of a flight runs on the io thread that started it, so
// waiting and waking need no more than a timer of that thread's executor.
#pragma once

#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace flashsale::api {

template <class T>
class ReadCoalescer {
public:
    // `fetch` is called as `fetch()` and returns an awaitable of T; it is called at most once
    // per read, and only by the read that leads a flight. Throws what a shared fetch threw.
    // The caller keeps `key` and `fetch`'s captures alive until the awaitable completes.
    template <class Fetch>
    boost::asio::awaitable<T> read(const std::string& key, Fetch fetch) {
        auto executor = co_await boost::asio::this_coro::executor;
        Joined joined = join(key, executor);
        const auto& flight = joined.flight;
        if (!joined.leads) {
            auto waiting = wait(*flight);
            co_await std::move(waiting);
            co_return flight->take();
        }
        if (joined.after) {  // a fetch is under way: ours starts once it has ended
            auto waiting = wait(*joined.after);
            co_await std::move(waiting);
        }
        try {
            auto fetching = fetch();
            flight->answer.emplace(co_await std::move(fetching));
        } catch (...) {
            flight->error = std::current_exception();
        }
        land(key, flight);
        co_return flight->take();
    }

    // Keys with a flight under way or waiting, on every thread (for tests).
    std::size_t flights() const {
        std::lock_guard lock(mutex_);
        return flights_.size();
    }

private:
    struct Flight {
        explicit Flight(const boost::asio::any_io_executor& executor)
            : landed(executor, boost::asio::steady_timer::time_point::max()) {}
        T take() const {
            if (error) std::rethrow_exception(error);
            return *answer;
        }
        bool done() const { return answer.has_value() || error != nullptr; }

        boost::asio::steady_timer landed;  // cancelled, waking every waiter, once done()
        std::optional<T> answer;
        std::exception_ptr error;
    };
    // The fetch under way and the one waiting for it to end (null when none waits).
    struct Flights {
        std::shared_ptr<Flight> current, next;
    };
    using Key = std::pair<std::thread::id, std::string>;

    struct Joined {
        std::shared_ptr<Flight> flight;
        std::shared_ptr<Flight> after;  // for the leader of the next flight: the one under way
        bool leads = true;              // false: another read fetches, this one waits
    };

    Joined join(const std::string& key, const boost::asio::any_io_executor& executor) {
        std::lock_guard lock(mutex_);
        auto& flights = flights_[Key{std::this_thread::get_id(), key}];
        if (!flights.current) {
            flights.current = std::make_shared<Flight>(executor);
            return {flights.current, nullptr, true};
        }
        if (!flights.next) {
            flights.next = std::make_shared<Flight>(executor);
            return {flights.next, flights.current, true};
        }
        return {flights.next, nullptr, false};
    }

    static boost::asio::awaitable<void> wait(Flight& flight) {
        if (flight.done()) co_return;
        auto waiting = flight.landed.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
        co_await std::move(waiting);
    }

    // The leader's fetch has ended: the waiting flight becomes the one under way, and the
    // flight's readers wake.
    void land(const std::string& key, const std::shared_ptr<Flight>& flight) {
        {
            std::lock_guard lock(mutex_);
            auto found = flights_.find(Key{std::this_thread::get_id(), key});
            if (found->second.next) {
                found->second.current = std::move(found->second.next);
            } else {
                flights_.erase(found);
            }
        }
        flight->landed.cancel();
    }

    mutable std::mutex mutex_;
    std::map<Key, Flights> flights_;  // guarded by mutex_
};

}  // namespace flashsale::api
