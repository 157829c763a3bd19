#include "stock/memory_stock_engine.h"

#include <functional>
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

struct MemoryStockEngine::Shard {
    explicit Shard(asio::any_io_executor executor) : executor(executor), sweeper(executor) {}
    asio::any_io_executor executor;
    asio::steady_timer sweeper;
    std::unordered_map<std::string, std::unique_ptr<SaleBook>> books;  // touched on executor only
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
    const auto id = sale.id;
    books[id] = std::make_unique<SaleBook>(std::move(sale));
}

void MemoryStockEngine::restore(const domain::Order& order) {
    auto& books = shard_for(order.sale_id).books;
    const auto book = books.find(order.sale_id);
    if (book == books.end()) {
        throw std::runtime_error(fmt::format("order {} belongs to sale {}, which is not stored",
                                             order.id, order.sale_id));
    }
    book->second->restore(order);
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
        return act(*found->second);
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
        views.insert(views.end(), part->begin(), part->end());
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
        auto now = clock_.now();
        for (auto& [id, book] : shard.books) {
            for (auto& entry : book->expire_due(now)) append_expiry(std::move(entry));
        }
    }
}

}  // namespace flashsale::stock
