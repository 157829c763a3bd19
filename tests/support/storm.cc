// Storms: see storm.h.
#include "support/storm.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <exception>
#include <iostream>

#include "support/jwt.h"
#include "services/process.h"

namespace flashsale::testing {
namespace asio = boost::asio;

namespace {

// Shared by all buyer coroutines of one storm; run_storm keeps it alive until they all end.
struct StormState {
    const StormOptions* options = nullptr;
    const std::vector<Buyer>* buyers = nullptr;
    std::vector<Answer> answers;
    std::size_t arrived = 0;  // buyers that finished connecting (or failed to)
    bool gate_open = false;
    std::chrono::steady_clock::time_point opened_at;
    asio::steady_timer gate;

    explicit StormState(asio::io_context& context)
        : gate(context, asio::steady_timer::time_point::max()) {}
};

Request purchase_request(const StormOptions& options, const Buyer& buyer) {
    Headers headers{{"Authorization", "Bearer " + buyer.token}};
    if (!buyer.idempotency_key.empty())
        headers.emplace_back("Idempotency-Key", buyer.idempotency_key);
    boost::json::object fields{{"quantity", buyer.quantity}};
    if (!buyer.purchase_token.empty()) fields["token"] = buyer.purchase_token;
    const std::string body = boost::json::serialize(fields);
    return make_request(http::verb::post, "/api/v1/sales/" + options.sale_id + "/purchase", body,
                        headers, options.port);
}

HttpResponse thrown(std::exception_ptr error) {
    HttpResponse out;
    try {
        std::rethrow_exception(std::move(error));
    } catch (const std::exception& e) {
        out.transport_error = std::string("buyer threw: ") + e.what();
    } catch (...) {
        out.transport_error = "buyer threw a non-standard exception";
    }
    return out;
}

void record(StormState* state, Answer answer) {
    state->answers.push_back(std::move(answer));
    if (state->options->on_answer) state->options->on_answer(state->answers.back());
}

// Everyone waits until the last buyer has connected; single-threaded, so no buyer can arrive
// between the count check and its wait.
asio::awaitable<void> wait_at_gate(StormState* state) {
    ++state->arrived;
    if (state->arrived == state->buyers->size()) {
        state->gate_open = true;
        state->opened_at = std::chrono::steady_clock::now();
        state->gate.cancel();
        co_return;
    }
    if (!state->gate_open) co_await state->gate.async_wait(asio::as_tuple(asio::use_awaitable));
}

// With a spread, buyer i leaves at opened_at + spread * i / n.
asio::awaitable<void> wait_for_turn(StormState* state, std::size_t index) {
    const auto spread = state->options->spread;
    if (spread.count() == 0) co_return;
    const auto offset = spread * static_cast<std::int64_t>(index) /
                        static_cast<std::int64_t>(state->buyers->size());
    asio::steady_timer turn(co_await asio::this_coro::executor, state->opened_at + offset);
    co_await turn.async_wait(asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<void> run_buyer(StormState* state, std::size_t index) {
    const Buyer& buyer = (*state->buyers)[index];
    AsyncHttpConnection connection(co_await asio::this_coro::executor, state->options->port);
    co_await connection.connect();  // a failure shows as a closed connection below
    co_await wait_at_gate(state);
    co_await wait_for_turn(state, index);
    for (int attempt = 0; attempt < buyer.attempts; ++attempt) {
        if (!connection.is_open()) {
            // The first connect failed, or the server closed the keep-alive connection.
            if (const auto ec = co_await connection.connect(); ec) {
                Answer failed{index, attempt, {}};
                failed.response.transport_error = "connect: " + ec.message();
                record(state, std::move(failed));
                continue;
            }
        }
        HttpResponse response =
            co_await connection.exchange(purchase_request(*state->options, buyer));
        record(state, Answer{index, attempt, std::move(response)});
    }
}

}  // namespace

std::vector<Answer> run_storm(const StormOptions& options, const std::vector<Buyer>& buyers) {
    raise_fd_limit();
    asio::io_context context;
    StormState state(context);
    state.options = &options;
    state.buyers = &buyers;
    state.answers.reserve(buyers.size() * 2);
    for (std::size_t i = 0; i < buyers.size(); ++i) {
        // The one catch-all per buyer: an exception becomes an answer without a response.
        asio::co_spawn(context, run_buyer(&state, i), [&state, i](std::exception_ptr error) {
            if (error) record(&state, Answer{i, -1, thrown(error)});
        });
    }
    context.run_for(options.deadline);
    if (!context.stopped()) {
        std::cerr << "[ storm    ] deadline passed with buyers still waiting; "
                  << state.answers.size() << " answers\n";
    }
    return std::move(state.answers);
}

std::vector<Buyer> make_buyers(const std::string& prefix, std::size_t count,
                               const std::string& jwt_secret, int attempts) {
    std::vector<Buyer> buyers;
    buyers.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        Buyer buyer;
        buyer.user_id = prefix + "-" + std::to_string(i);
        buyer.token = jwt::mint(jwt_secret, buyer.user_id);
        buyer.attempts = attempts;
        buyers.push_back(std::move(buyer));
    }
    return buyers;
}

StormTally tally(const std::vector<Answer>& answers) {
    StormTally out;
    for (const auto& answer : answers) {
        const HttpResponse& r = answer.response;
        if (!r.answered()) {
            if (out.no_answer++ == 0) out.first_transport_error = r.transport_error;
        } else if (r.status == 202) {
            ++out.accepted;
            out.accepted_units += r.int_field("quantity").value_or(0);
        } else if (r.status == 409 && r.error_code() == "sold_out") {
            ++out.sold_out;
        } else if (r.status == 409 && r.error_code() == "limit_reached") {
            ++out.limit_reached;
        } else {
            out.others.push_back(r.describe());
        }
    }
    return out;
}

}  // namespace flashsale::testing
