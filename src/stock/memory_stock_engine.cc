#include "stock/memory_stock_engine.h"

#include <functional>
#include <queue>
#include <stdexcept>
#include <unordered_map>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace flashsale::stock {

namespace asio = boost::asio;

// Everything below is touched on the shard's executor only (or before the engine starts).
struct MemoryStockEngine::Shard {
    explicit Shard(asio::any_io_executor executor) : executor(executor), sweeper(executor) {}

    // Books by their earliest reservation deadline, so that a sweep visits only the books with
    // something due: with 10,000 sales, a walk over every book ten times a second cost a few
    // percent of the core in cache misses. The heap holds an entry at each book's current
    // earliest deadline, pushed whenever that deadline moves; older entries are only early
    // visits that find nothing due.
    using Due = std::pair<TimePoint, SaleBook*>;  // books are never removed, so never dangle
    void schedule_if_moved(SaleBook& book, std::optional<TimePoint> before) {
        auto after = book.next_deadline();
        if (after && after != before) due.emplace(*after, &book);
    }

    asio::any_io_executor executor;
    asio::steady_timer sweeper;
    std::unordered_map<std::string, std::unique_ptr<SaleBook>> books;
    std::priority_queue<Due, std::vector<Due>, std::greater<>> due;
};

MemoryStockEngine::MemoryStockEngine(std::vector<asio::any_io_executor> shard_executors,
                                     domain::OrderJournal& journal, const Clock& clock,
                                     MemoryEngineOptions options)
    : journal_(journal), clock_(clock), options_(options) {
    FS_CHECK(!shard_executors.empty());
    for (auto& executor : shard_executors) shards_.push_back(std::make_unique<Shard>(executor));
}

MemoryStockEngine::~MemoryStockEngine() = default;

MemoryStockEngine::Shard& MemoryStockEngine::shard_for(const std::string& sale_id) {
    return *shards_[std::hash<std::string>{}(sale_id) % shards_.size()];
}

void MemoryStockEngine::restore(domain::Sale sale) {
    auto& books = shard_for(sale.id).books;
    FS_CHECK(!books.contains(sale.id));  // the store holds each sale once
    const auto id = sale.id;
    books[id] = std::make_unique<SaleBook>(std::move(sale));
}

void MemoryStockEngine::restore(const domain::Order& order) {
    auto& shard = shard_for(order.sale_id);
    const auto found = shard.books.find(order.sale_id);
    if (found == shard.books.end()) {
        throw std::runtime_error(fmt::format("order {} belongs to sale {}, which is not stored",
                                             order.id, order.sale_id));
    }
    auto& book = *found->second;
    const auto deadline = book.next_deadline();
    book.restore(order);
    shard.schedule_if_moved(book, deadline);
}

// Runs `decide` on the shard's thread; when the decision carries a journal entry, appends it
// there (so the journal keeps the shard's order) and completes once the entry is durable.
// A plain function, not a coroutine: the returned awaitable owns `decide` until it runs.
template <class T, class Decide>
Awaitable<Result<T>> MemoryStockEngine::decide_on_shard(Shard& shard, Decide decide) {
    auto initiate = [this, &shard, decide = std::move(decide)](auto handler) mutable {
        asio::post(shard.executor, [this, decide = std::move(decide),
                                    handler = std::move(handler)]() mutable {
            Decision<T> decision = decide();
            auto shared = std::make_shared<decltype(handler)>(std::move(handler));
            auto answer = [shared, result = std::move(decision.result)]() mutable {
                auto executor = asio::get_associated_executor(*shared);
                asio::dispatch(executor, [shared, result = std::move(result)]() mutable {
                    std::move (*shared)(std::move(result));
                });
            };
            if (decision.entry) {
                journal_.append(std::move(*decision.entry), std::move(answer));
            } else {
                answer();
            }
        });
    };
    return asio::async_initiate<decltype(asio::use_awaitable), void(Result<T>)>(
        std::move(initiate), asio::use_awaitable);
}

// Finds the sale's book on its shard and lets `act` decide with it; kNotFound when unknown.
template <class T, class Act>
Awaitable<Result<T>> MemoryStockEngine::with_book(std::string sale_id, Act act) {
    auto& shard = shard_for(sale_id);
    auto decide = [&shard, sale_id = std::move(sale_id), act = std::move(act)]() mutable {
        auto found = shard.books.find(sale_id);
        if (found == shard.books.end()) {
            return Decision<T>{make_error(Errc::kNotFound, "no such sale"), std::nullopt};
        }
        auto& book = *found->second;
        const auto deadline = book.next_deadline();
        auto decision = act(book);
        shard.schedule_if_moved(book, deadline);
        return decision;
    };
    return decide_on_shard<T>(shard, std::move(decide));
}

Awaitable<Result<domain::Order>> MemoryStockEngine::reserve(ReserveRequest request) {
    auto sale_id = request.sale_id;
    auto act = [this, request = std::move(request)](SaleBook& book) {
        return book.reserve(request, clock_.now());
    };
    return with_book<domain::Order>(std::move(sale_id), std::move(act));
}

Awaitable<Result<domain::Order>> MemoryStockEngine::pay(std::string sale_id,
                                                        std::string order_id) {
    auto act = [this, order_id = std::move(order_id)](SaleBook& book) {
        return book.pay(order_id, clock_.now());
    };
    return with_book<domain::Order>(std::move(sale_id), std::move(act));
}

Awaitable<Result<domain::Order>> MemoryStockEngine::cancel(std::string sale_id,
                                                           std::string order_id) {
    auto act = [this, order_id = std::move(order_id)](SaleBook& book) {
        return book.cancel(order_id, clock_.now());
    };
    return with_book<domain::Order>(std::move(sale_id), std::move(act));
}

Awaitable<Result<domain::Order>> MemoryStockEngine::find_order(std::string) {
    co_return make_error(Errc::kNotFound, "the order store holds the orders");
}

Awaitable<Result<domain::Sale>> MemoryStockEngine::create_sale(domain::Sale sale) {
    auto& shard = shard_for(sale.id);
    auto decide = [&shard, sale = std::move(sale)]() mutable -> Decision<domain::Sale> {
        if (auto valid = domain::validate(sale); !valid) return {valid.error(), std::nullopt};
        if (shard.books.contains(sale.id)) {
            return {make_error(Errc::kConflict, "a sale with this id exists"), std::nullopt};
        }
        shard.books[sale.id] = std::make_unique<SaleBook>(sale);
        return {sale, domain::SaleSaved{sale}};
    };
    return decide_on_shard<domain::Sale>(shard, std::move(decide));
}

Awaitable<Result<domain::Sale>> MemoryStockEngine::update_sale(std::string sale_id,
                                                               domain::SalePatch patch) {
    auto act = [patch = std::move(patch)](SaleBook& book) { return book.update(patch); };
    return with_book<domain::Sale>(std::move(sale_id), std::move(act));
}

Awaitable<Result<SaleView>> MemoryStockEngine::view(std::string sale_id) {
    auto act = [this](SaleBook& book) {
        auto view = book.view();
        view.engine_now = clock_.now();
        return Decision<SaleView>{std::move(view), std::nullopt};
    };
    return with_book<SaleView>(std::move(sale_id), std::move(act));
}

Awaitable<std::vector<SaleView>> MemoryStockEngine::list() {
    std::vector<SaleView> views;
    for (auto& shard : shards_) {
        auto collect = [this, &shard = *shard] {
            std::vector<SaleView> found;
            for (auto& [id, book] : shard.books) {
                found.push_back(book->view());
                found.back().engine_now = clock_.now();
            }
            return Decision<std::vector<SaleView>>{std::move(found), std::nullopt};
        };
        auto part = co_await decide_on_shard<std::vector<SaleView>>(*shard, std::move(collect));
        views.insert(views.end(), std::make_move_iterator(part->begin()),
                     std::make_move_iterator(part->end()));
    }
    co_return views;
}

void MemoryStockEngine::start() {
    for (auto& shard : shards_) {
        asio::co_spawn(shard->executor, sweep_expired(*shard), [](std::exception_ptr error) {
            if (!error) return;
            try {
                std::rethrow_exception(error);
            } catch (const std::exception& e) {
                spdlog::critical("expiry sweeper failed: {}", e.what());
            }
        });
    }
}

void MemoryStockEngine::stop() {
    stopping_ = true;
    for (auto& shard : shards_) {
        asio::post(shard->executor, [&shard = *shard] { shard.sweeper.cancel(); });
    }
}

// The buyer hears of the expiry once it is on disk, like every other change.
void MemoryStockEngine::append_expiry(domain::JournalEntry entry) {
    const auto* change = std::get_if<domain::OrderTransitioned>(&entry);
    if (!observer_ || change == nullptr) {
        journal_.append(std::move(entry), [] {});
        return;
    }
    auto order = order_of(*change);  // before the entry moves into the journal
    journal_.append(std::move(entry), [observer = observer_, order = std::move(order)] {
        observer("expired", order);
    });
}

// Every interval, expires the shard's due reservations; the journal persists them in order
// with everything else the shard decided.
Awaitable<void> MemoryStockEngine::sweep_expired(Shard& shard) {
    while (!stopping_) {
        shard.sweeper.expires_after(options_.expiry_sweep_interval);
        auto [error] = co_await shard.sweeper.async_wait(asio::as_tuple(asio::use_awaitable));
        if (error || stopping_) break;
        expire_due(shard, clock_.now());
    }
}

void MemoryStockEngine::expire_due(Shard& shard, TimePoint now) {
    while (!shard.due.empty() && shard.due.top().first <= now) {
        auto& book = *shard.due.top().second;
        shard.due.pop();
        const auto deadline = book.next_deadline();
        for (auto& entry : book.expire_due(now)) append_expiry(std::move(entry));
        shard.schedule_if_moved(book, deadline);
    }
}

}  // namespace flashsale::stock
