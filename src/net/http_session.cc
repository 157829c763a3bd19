#include "net/http_session.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "net/websocket_session.h"

namespace flashsale::net::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr auto kAwaitable = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view kUnmatched = "unmatched";
constexpr std::size_t kIdleReadBytes = 8 * 1024;
constexpr std::size_t kDiscardReadBytes = 16 * 1024;
constexpr std::chrono::milliseconds kAcceptBackoff{50};

// Version and keep-alive follow the request (write_head adds the length). An HTTP/1.1 answer
// that keeps the connection and has no Connection field is already right: Beast's keep_alive()
// would parse and rewrite the field anyway, on every request.
void finish(Response& response, unsigned version, bool keep_alive) {
    response.version(version);
    if (version != 11 || !keep_alive || response.count(http::field::connection) != 0) {
        response.keep_alive(keep_alive);
    }
}

// The head and the body as one gather write; `head` holds the head's text until the write ends.
std::array<asio::const_buffer, 2> wire_buffers(const Response& response, std::string& head) {
    write_head(response, head);
    return {asio::buffer(head), asio::buffer(payload_of(response))};
}

// Shuts down sending, then reads and discards what the client still sends for up to `linger`,
// so that the answer already written reaches it instead of being lost to a reset. The caller
// keeps `stream` alive until the awaitable completes.
asio::awaitable<void> linger_and_close(beast::tcp_stream& stream,
                                       std::chrono::milliseconds linger) {
    boost::system::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream.expires_after(linger);
    std::vector<char> scratch(kDiscardReadBytes);
    for (;;) {
        auto [read_ec, bytes] = co_await stream.async_read_some(asio::buffer(scratch), kAwaitable);
        if (read_ec) {
            break;
        }
    }
    stream.close();
}

}  // namespace

ServerState::ServerState(Router router_in, ServerLimits limits_in, HttpHooks hooks_in,
                         std::size_t worker_count)
    : router(std::move(router_in)),
      limits(limits_in),
      hooks(std::move(hooks_in)),
      acceptors(worker_count),
      sessions(worker_count) {}

Response ServerState::error_response(ProtocolError error, unsigned version) const {
    return hooks.error_response(error, version);
}

void ServerState::report(std::string_view route, unsigned status,
                         std::chrono::nanoseconds elapsed) const {
    if (hooks.on_response) {
        hooks.on_response(route, status, elapsed);
    }
}

void ServerState::on_coroutine_exit(std::string_view what, std::exception_ptr error) {
    if (!error) {
        return;
    }
    failures.inc();
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        spdlog::error("http {} coroutine failed: {}", what, e.what());
    } catch (...) {
        spdlog::error("http {} coroutine failed with a non-standard exception", what);
    }
}

// One connection. Lives in a shared_ptr held by its coroutine; the request deadline timer's
// handler holds only a weak_ptr. Every member is touched only on the connection's worker.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
public:
    // Adopts one unit of state->connections, given back by the destructor.
    HttpSession(std::shared_ptr<ServerState> state, std::size_t worker, tcp::socket socket);
    ~HttpSession();

    HttpSession(const HttpSession&) = delete;
    HttpSession& operator=(const HttpSession&) = delete;

    asio::awaitable<void> serve();
    void close_if_idle();

private:
    enum class ReadOutcome { kRequest, kClose, kError };
    struct Answer {
        Response response;
        std::string_view route;  // router-owned pattern, or kUnmatched
        bool close = false;
    };

    asio::awaitable<bool> wait_for_request();
    void begin_request();
    std::optional<ReadOutcome> parse_buffered();
    asio::awaitable<ReadOutcome> read_rest();
    asio::awaitable<ReadOutcome> read_body();
    ReadOutcome classify(boost::system::error_code ec);
    std::optional<RouteMatch> route(const Request& request, Answer& answer);
    asio::awaitable<void> upgrade(Request request);
    asio::awaitable<void> refuse_upgrade(Response response, std::string_view route);
    asio::awaitable<void> call_handler(RouteMatch& match, const Request& request,
                                       Answer& answer);
    enum class WriteOutcome { kDone, kPending, kFailed };
    WriteOutcome write_now(const Response& response, std::string_view route);
    asio::awaitable<bool> write_rest(const Response& response, std::string_view route);
    asio::awaitable<bool> write(const Response& response, std::string_view route);
    void arm_deadline(std::chrono::milliseconds timeout);
    void disarm_deadline();
    void wait_for_deadline();
    void on_deadline_timer();
    void on_deadline();

    std::shared_ptr<ServerState> state_;
    std::size_t worker_;
    beast::tcp_stream stream_;
    asio::steady_timer deadline_;
    beast::flat_buffer buffer_;
    std::string head_;  // the last response's status line and fields, kept for its capacity
    // What write_now could not send at once: views of head_ and the response's body.
    beast::buffers_suffix<std::array<asio::const_buffer, 2>> unsent_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::string remote_ip_;
    SteadyClock::time_point started_;
    ProtocolError error_ = ProtocolError::kBadRequest;  // set when a read ends in kError
    SteadyClock::time_point deadline_at_ = SteadyClock::time_point::max();  // max: disarmed
    bool deadline_waiting_ = false;  // a wait on deadline_ is pending (or its completion queued)
    bool timed_out_ = false;
    bool idle_ = false;  // waiting for the first byte of the next request
    // Set while the connection is a WebSocket: the drain closes it with 1001.
    std::weak_ptr<WebSocketSession> websocket_;
};

HttpSession::HttpSession(std::shared_ptr<ServerState> state, std::size_t worker, tcp::socket socket)
    : state_(std::move(state)),
      worker_(worker),
      stream_(std::move(socket)),
      deadline_(stream_.get_executor()) {
    boost::system::error_code ec;
    remote_ip_ = stream_.socket().remote_endpoint(ec).address().to_string();
    // Lets write() try a send at once: it then returns would_block instead of blocking.
    stream_.socket().non_blocking(true, ec);
    state_->sessions[worker_].insert(this);
}

HttpSession::~HttpSession() {
    state_->sessions[worker_].erase(this);
    state_->connections.fetch_sub(1);
}

void HttpSession::close_if_idle() {
    if (auto websocket = websocket_.lock()) {
        websocket->close(CloseCode::kGoingAway, "server stopping");
        return;
    }
    if (idle_) {
        boost::system::error_code ec;
        stream_.socket().cancel(ec);
    }
}

// The request is read, routed and answered here, with the fast paths (a request already whole
// in the buffer, an answer the edge gives itself) outside any nested coroutine: each nested
// coroutine costs a frame and a resumption, and a refusal is only some 15k instructions.
asio::awaitable<void> HttpSession::serve() {
    for (;;) {
        if (!co_await wait_for_request()) {
            co_return;
        }
        begin_request();
        auto parsed = parse_buffered();
        if (!parsed) {
            auto reading = read_rest();
            parsed = co_await std::move(reading);
        }
        const auto outcome = *parsed;
        if (outcome == ReadOutcome::kClose) {
            co_return;
        }
        Answer answer;
        unsigned version = parser_->get().version();
        bool keep_alive = false;
        if (outcome == ReadOutcome::kError) {
            answer = Answer{state_->error_response(error_, version), kUnmatched, true};
        } else {
            Request request = parser_->release();
            if (beast::websocket::is_upgrade(request)) {
                // Named before awaiting: GCC 12 mishandles temporaries in co_await.
                auto upgrading = upgrade(std::move(request));
                co_await std::move(upgrading);
                co_return;
            }
            keep_alive = request.keep_alive();
            if (auto match = route(request, answer)) {
                auto handling = call_handler(*match, request, answer);
                co_await std::move(handling);
            }
        }
        keep_alive = keep_alive && !answer.close && !state_->draining.load();
        finish(answer.response, version, keep_alive);
        auto written = write_now(answer.response, answer.route);  // write(), without its frame
        if (written == WriteOutcome::kPending) {
            auto writing = write_rest(answer.response, answer.route);
            written = co_await std::move(writing) ? WriteOutcome::kDone : WriteOutcome::kFailed;
        }
        if (written == WriteOutcome::kFailed) {
            co_return;
        }
        if (!keep_alive) {
            co_await linger_and_close(stream_, state_->limits.linger_timeout);
            co_return;
        }
    }
}

// The keep-alive wait, bounded by idle_timeout: a timeout or a drain closes silently.
asio::awaitable<bool> HttpSession::wait_for_request() {
    if (buffer_.size() > 0) {  // a pipelined request is already here
        co_return true;
    }
    if (state_->draining.load()) {
        co_return false;
    }
    idle_ = true;
    arm_deadline(state_->limits.idle_timeout);
    auto [ec, bytes] =
        co_await stream_.socket().async_read_some(buffer_.prepare(kIdleReadBytes), kAwaitable);
    idle_ = false;
    disarm_deadline();
    if (ec) {
        co_return false;
    }
    buffer_.commit(bytes);
    co_return true;
}

void HttpSession::begin_request() {
    started_ = SteadyClock::now();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(
        state_->limits.header_max_bytes, std::numeric_limits<std::uint32_t>::max())));
    parser_->body_limit(state_->limits.body_max_bytes);
}

// What parse_buffered left: the rest of the header and the body, bounded by request_timeout.
// The deadline is a timer of our own that cancels the reads: tcp_stream's own timeout would
// close the socket before a 408 is written.
asio::awaitable<HttpSession::ReadOutcome> HttpSession::read_rest() {
    arm_deadline(state_->limits.request_timeout);
    if (!parser_->is_header_done()) {
        auto [ec, bytes] =
            co_await http::async_read_header(stream_, buffer_, *parser_, kAwaitable);
        if (ec) {
            disarm_deadline();
            co_return classify(ec);
        }
    }
    started_ = SteadyClock::now();
    const auto outcome = co_await read_body();
    disarm_deadline();
    co_return outcome;
}

// Most requests arrive whole in the first read: parsing what the buffer holds saves an
// asynchronous read that would only complete at once. Empty when more bytes are needed.
std::optional<HttpSession::ReadOutcome> HttpSession::parse_buffered() {
    parser_->eager(true);
    while (buffer_.size() > 0 && !parser_->is_done()) {
        boost::system::error_code ec;
        const auto used = parser_->put(buffer_.data(), ec);
        buffer_.consume(used);
        if (ec == http::error::need_more) {
            return std::nullopt;
        }
        if (ec) {
            return classify(ec);
        }
        if (used == 0) {
            return std::nullopt;
        }
    }
    if (parser_->is_done()) {
        return ReadOutcome::kRequest;
    }
    return std::nullopt;
}

asio::awaitable<HttpSession::ReadOutcome> HttpSession::read_body() {
    if (parser_->is_done()) {
        co_return ReadOutcome::kRequest;
    }
    const auto& header = parser_->get();
    if (header.version() >= 11 && beast::iequals(header[http::field::expect], "100-continue")) {
        http::response<http::empty_body> interim{http::status::continue_, header.version()};
        auto [ec, bytes] = co_await http::async_write(stream_, interim, kAwaitable);
        if (ec) {
            co_return timed_out_ ? classify(ec) : ReadOutcome::kClose;
        }
    }
    auto [ec, bytes] = co_await http::async_read(stream_, buffer_, *parser_, kAwaitable);
    co_return ec ? classify(ec) : ReadOutcome::kRequest;
}

HttpSession::ReadOutcome HttpSession::classify(boost::system::error_code ec) {
    if (timed_out_) {
        error_ = ProtocolError::kTimeout;
        return ReadOutcome::kError;
    }
    if (ec == http::error::body_limit) {
        error_ = ProtocolError::kBodyTooLarge;
        return ReadOutcome::kError;
    }
    if (ec == http::error::header_limit) {
        error_ = ProtocolError::kHeaderTooLarge;
        return ReadOutcome::kError;
    }
    if (ec == http::error::end_of_stream || ec == http::error::partial_message) {
        return ReadOutcome::kClose;  // the client went away mid-request: nobody to answer
    }
    if (ec.category() == http::make_error_code(http::error::bad_method).category()) {
        error_ = ProtocolError::kBadRequest;
        return ReadOutcome::kError;
    }
    return ReadOutcome::kClose;  // reset, aborted and other socket errors
}

// The match for the handler to answer, or empty when the edge answers by itself: then
// `answer` holds that answer. The request lives in serve's frame until the answer is written.
std::optional<RouteMatch> HttpSession::route(const Request& request, Answer& answer) {
    const std::string_view target(request.target().data(), request.target().size());
    RouteMatch match = state_->router.match(request.method(), target);
    const unsigned version = request.version();
    const auto answer_error = [&](ProtocolError error, std::string_view route, bool close) {
        answer = Answer{state_->error_response(error, version), route, close};
    };
    switch (match.outcome) {
        case RouteMatch::Outcome::kBadRequest:
            answer_error(ProtocolError::kBadRequest, kUnmatched, true);
            return std::nullopt;
        case RouteMatch::Outcome::kNotFound:
            answer_error(ProtocolError::kNotFound, kUnmatched, false);
            return std::nullopt;
        case RouteMatch::Outcome::kMethodNotAllowed:
            answer_error(ProtocolError::kMethodNotAllowed, kUnmatched, false);
            answer.response.set(http::field::allow, match.allow);
            return std::nullopt;
        case RouteMatch::Outcome::kFound:
            break;
    }
    if (match.upgrade != nullptr) {
        answer_error(ProtocolError::kUpgradeRequired, match.pattern, false);
        return std::nullopt;
    }
    return match;
}

// The connection becomes a WebSocket, or gets the refusal and is closed: after an upgrade
// request, the connection is not reused for HTTP either way.
asio::awaitable<void> HttpSession::upgrade(Request request) {
    const std::string_view target(request.target().data(), request.target().size());
    RouteMatch match = state_->router.match(request.method(), target);
    const unsigned version = request.version();
    if (match.outcome != RouteMatch::Outcome::kFound || match.upgrade == nullptr) {
        const auto error = match.outcome == RouteMatch::Outcome::kBadRequest
                               ? ProtocolError::kBadRequest
                               : ProtocolError::kNotFound;
        auto refusing = refuse_upgrade(state_->error_response(error, version), kUnmatched);
        co_await std::move(refusing);
        co_return;
    }
    const std::string_view route = match.pattern;
    RequestContext context{request, std::move(match.params), route, remote_ip_, worker_};
    auto upgrading = (*match.upgrade)(std::move(context));
    auto accepted = co_await std::move(upgrading);
    if (!accepted.handler) {
        auto refusal = accepted.refusal ? std::move(*accepted.refusal)
                                        : state_->error_response(ProtocolError::kInternal, version);
        auto refusing = refuse_upgrade(std::move(refusal), route);
        co_await std::move(refusing);
        co_return;
    }
    state_->report(route, 101, SteadyClock::now() - started_);
    // An idle WebSocket should cost little: the HTTP read buffer and parser are done with.
    parser_.reset();
    buffer_.clear();
    buffer_.shrink_to_fit();
    auto websocket = std::make_shared<WebSocketSession>(
        std::move(stream_), state_->limits.websocket, std::move(accepted.handler));
    websocket_ = websocket;
    auto running = websocket->run(std::move(request));
    co_await std::move(running);
}

asio::awaitable<void> HttpSession::refuse_upgrade(Response response, std::string_view route) {
    finish(response, 11, false);
    const bool written = co_await write(response, route);
    if (written) co_await linger_and_close(stream_, state_->limits.linger_timeout);
}

// A handler that throws is answered 500, and the connection stays usable.
asio::awaitable<void> HttpSession::call_handler(RouteMatch& match, const Request& request,
                                                Answer& answer) {
    answer.route = match.pattern;
    RequestContext context{request, std::move(match.params), match.pattern, remote_ip_, worker_};
    try {
        auto handling = (*match.handler)(std::move(context));
        answer.response = co_await std::move(handling);
        co_return;
    } catch (const std::exception& e) {
        spdlog::error("handler for {} threw: {}", match.pattern, e.what());
    } catch (...) {
        spdlog::error("handler for {} threw a non-standard exception", match.pattern);
    }
    answer.response = state_->error_response(ProtocolError::kInternal, request.version());
}

// Most answers fit the socket's send buffer, so a non-blocking send writes them at once; only
// what is left goes through an asynchronous write (write_rest). That write's round trip
// through the reactor and the io_context cost more than the send did. The answer is reported
// once it is all sent, or has failed.
HttpSession::WriteOutcome HttpSession::write_now(const Response& response,
                                                 std::string_view route) {
    const auto wire = wire_buffers(response, head_);
    boost::system::error_code ec;
    const std::size_t sent = stream_.socket().write_some(wire, ec);
    if (ec == asio::error::would_block || (!ec && sent < asio::buffer_size(wire))) {
        unsent_ = beast::buffers_suffix<std::array<asio::const_buffer, 2>>(wire);
        unsent_.consume(sent);
        return WriteOutcome::kPending;
    }
    state_->report(route, response.result_int(), SteadyClock::now() - started_);
    return ec ? WriteOutcome::kFailed : WriteOutcome::kDone;
}

// The rest of a write_now, bounded by request_timeout; false when it failed.
asio::awaitable<bool> HttpSession::write_rest(const Response& response, std::string_view route) {
    arm_deadline(state_->limits.request_timeout);
    auto [ec, bytes] = co_await asio::async_write(stream_.socket(), unsent_, kAwaitable);
    disarm_deadline();
    state_->report(route, response.result_int(), SteadyClock::now() - started_);
    co_return !ec;
}

asio::awaitable<bool> HttpSession::write(const Response& response, std::string_view route) {
    const auto written = write_now(response, route);
    if (written != WriteOutcome::kPending) {
        co_return written == WriteOutcome::kDone;
    }
    auto writing = write_rest(response, route);
    co_return co_await std::move(writing);
}

// Our own timer rather than tcp_stream's (the session arms that one only to linger): it closes the
// socket on expiry, before a 408 can be written, and costs more per request.
//
// The deadline is lazy. Arming and disarming only move deadline_at_, and the one timer wait
// outstanding, when it fires before the deadline, waits again for what is left. Only a deadline
// earlier than the wait's expiry restarts the wait. Cancelling and restarting the timer twice
// per request (the keep-alive wait, then the write) cost more CPU than routing the request did.
void HttpSession::arm_deadline(std::chrono::milliseconds timeout) {
    timed_out_ = false;
    deadline_at_ = steady_now_upper_bound() + timeout;
    if (!deadline_waiting_ || deadline_at_ < deadline_.expiry()) {
        wait_for_deadline();
    }
}

void HttpSession::disarm_deadline() { deadline_at_ = SteadyClock::time_point::max(); }

void HttpSession::wait_for_deadline() {
    deadline_waiting_ = true;
    deadline_.expires_at(deadline_at_);  // a wait still pending completes as aborted
    deadline_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
        auto self = weak.lock();
        if (!ec && self) {
            self->on_deadline_timer();
        }
    });
}

void HttpSession::on_deadline_timer() {
    deadline_waiting_ = false;
    if (deadline_at_ == SteadyClock::time_point::max()) {
        return;  // disarmed: the next arm starts a wait
    }
    if (SteadyClock::now() < deadline_at_) {
        wait_for_deadline();  // re-armed since this wait began
        return;
    }
    on_deadline();
}

void HttpSession::on_deadline() {
    // Cancel, not close: the socket stays open for the 408.
    timed_out_ = true;
    boost::system::error_code ec;
    stream_.socket().cancel(ec);
}

namespace {

asio::awaitable<void> run_session(std::shared_ptr<HttpSession> session) {
    co_await session->serve();
}

// The connection gets a session, or a rejection above max_connections.
void admit(const std::shared_ptr<ServerState>& state, std::size_t worker, tcp::socket socket) {
    boost::system::error_code ec;
    socket.set_option(tcp::no_delay(true), ec);
    const auto executor = socket.get_executor();
    if (state->connections.fetch_add(1) >= state->limits.max_connections) {
        state->connections.fetch_sub(1);
        asio::co_spawn(executor, reject_connection(state, std::move(socket)),
                       [state](std::exception_ptr e) { state->on_coroutine_exit("reject", e); });
        return;
    }
    auto session = std::make_shared<HttpSession>(state, worker, std::move(socket));
    asio::co_spawn(executor, run_session(std::move(session)),
                   [state](std::exception_ptr e) { state->on_coroutine_exit("session", e); });
}

// Publishes the loop's acceptor to stop_accepting() for as long as the loop's frame lives, also
// when the pool destroys the frame without resuming it.
class PublishedAcceptor {
public:
    PublishedAcceptor(tcp::acceptor*& slot, tcp::acceptor& acceptor) : slot_(slot) {
        slot_ = &acceptor;
    }
    ~PublishedAcceptor() { slot_ = nullptr; }
    PublishedAcceptor(const PublishedAcceptor&) = delete;
    PublishedAcceptor& operator=(const PublishedAcceptor&) = delete;

private:
    tcp::acceptor*& slot_;
};

}  // namespace

asio::awaitable<void> accept_loop(std::shared_ptr<ServerState> state, std::size_t worker,
                                  tcp::acceptor acceptor) {
    const PublishedAcceptor published(state->acceptors[worker], acceptor);
    if (!state->accepting.load()) {
        co_return;  // stop_accepting() ran before this loop did
    }
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(kAwaitable);
        if (!acceptor.is_open() || ec == asio::error::operation_aborted) {
            co_return;
        }
        if (ec) {
            // Out of descriptors and the like: back off instead of spinning on the error.
            spdlog::warn("http accept on worker {} failed: {}", worker, ec.message());
            asio::steady_timer pause(acceptor.get_executor(), kAcceptBackoff);
            co_await pause.async_wait(kAwaitable);
            continue;
        }
        if (!state->accepting.load()) {
            continue;  // accepted just before stop_accepting(): drop it
        }
        admit(state, worker, std::move(socket));
    }
}

asio::awaitable<void> reject_connection(std::shared_ptr<ServerState> state, tcp::socket socket) {
    constexpr unsigned kVersion = 11;  // nothing was read: answer in the common version
    beast::tcp_stream stream(std::move(socket));
    Response response = state->error_response(ProtocolError::kTooManyConnections, kVersion);
    finish(response, kVersion, false);
    std::string head;
    const auto wire = wire_buffers(response, head);
    stream.expires_after(state->limits.request_timeout);
    auto [ec, bytes] = co_await asio::async_write(stream, wire, kAwaitable);
    state->report(kUnmatched, response.result_int(), std::chrono::nanoseconds{0});
    if (!ec) {
        co_await linger_and_close(stream, state->limits.linger_timeout);
    }
}

void close_idle_sessions(ServerState& state, std::size_t worker) {
    // Cancelling completes the reads later, through the io_context: the set is not changed
    // while this loop runs.
    for (auto* session : state.sessions[worker]) {
        session->close_if_idle();
    }
}

}  // namespace flashsale::net::detail
