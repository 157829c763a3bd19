// Internal to the HTTP server: the state every connection shares with the server, and the
// per-connection coroutines. The state is held by shared_ptr from the server, the accept loops
// and each connection, so it outlives whichever of them ends last.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <exception>
#include <memory>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "common/metrics.h"
#include "net/http_server.h"
#include "net/http_types.h"
#include "net/router.h"

namespace flashsale::net::detail {

class HttpSession;

struct ServerState {
    ServerState(Router router_in, ServerLimits limits_in, HttpHooks hooks_in,
                std::size_t worker_count);

    // The answer to a protocol error from the hook (or a plain-text fallback); the caller sets
    // version, keep_alive and the payload length.
    Response error_response(ProtocolError error, unsigned version) const;
    void report(std::string_view route, unsigned status, std::chrono::nanoseconds elapsed) const;
    // The catch-all of every spawned coroutine: logs and counts.
    void on_coroutine_exit(std::string_view what, std::exception_ptr error);

    const Router router;
    const ServerLimits limits;
    const HttpHooks hooks;

    std::atomic<std::size_t> connections{0};  // live sessions, across all workers
    std::atomic<bool> accepting{true};
    std::atomic<bool> draining{false};
    Counter failures;

    // Per worker, the acceptor of the running accept loop (null before and after): the loop's
    // frame owns it, so it dies with its own io_context. Touched only on its worker's thread.
    std::vector<boost::asio::ip::tcp::acceptor*> acceptors;
    // Per worker, the live sessions; each set is touched only on its worker's thread (and at
    // teardown, once the threads have stopped).
    std::vector<std::unordered_set<HttpSession*>> sessions;
};

// Accepts until the acceptor is closed (see state->acceptors) and spawns one session coroutine
// per connection on the same worker, or a rejection above max_connections. Spawn it on the
// acceptor's executor, which is worker's.
boost::asio::awaitable<void> accept_loop(std::shared_ptr<ServerState> state, std::size_t worker,
                                         boost::asio::ip::tcp::acceptor acceptor);

// Answers kTooManyConnections with Connection: close, then closes the connection.
boost::asio::awaitable<void> reject_connection(std::shared_ptr<ServerState> state,
                                               boost::asio::ip::tcp::socket socket);

// Runs on the worker's thread: closes the sessions waiting for their next request.
void close_idle_sessions(ServerState& state, std::size_t worker);

}  // namespace flashsale::net::detail
