// The HTTP/1.1 edge: one SO_REUSEPORT acceptor per worker, one coroutine per connection on the
// worker that accepted it, keep-alive and pipelining, bounded header, body, time and connection
// count. Protocol failures are answered through HttpHooks::error_response, so the api layer
// renders every error body; the server itself knows nothing of the domain.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "net/http_types.h"
#include "net/router.h"
#include "net/websocket.h"
#include "net/worker_pool.h"

namespace flashsale::net {

struct ServerLimits {
    std::size_t body_max_bytes = 16 * 1024;
    std::size_t header_max_bytes = 8 * 1024;
    std::chrono::milliseconds idle_timeout{30000};  // keep-alive wait for the next request
    // To receive a whole request once its first byte arrived, and to write a response.
    std::chrono::milliseconds request_timeout{10000};
    std::size_t max_connections = 10000;
    // After an error answer, how long to read and discard what the client still sends, so that
    // it receives the answer instead of a reset.
    std::chrono::milliseconds linger_timeout{1000};
    WebSocketLimits websocket;
};

struct HttpHooks {
    // Builds the error answer (status and body); the server sets version, keep_alive and
    // prepare_payload. Called on a worker thread. Required: the mapping from errors to HTTP
    // statuses lives in one place, the api layer.
    std::function<Response(ProtocolError, unsigned http_version)> error_response;
    // Once per response sent: the route pattern or "unmatched", the status, and the time since
    // the request header was read. Called on a worker thread; may be empty.
    std::function<void(std::string_view route, unsigned status, std::chrono::nanoseconds elapsed)>
        on_response;
};

namespace detail {
struct ServerState;
}

class HttpServer {
public:
    // The server keeps a reference to workers: the pool must outlive the server. Connections
    // share ownership of the server's state, so the pool may destroy their coroutines after the
    // server is gone. Shutdown: stop_accepting(), drain(), then workers.stop() and join().
    HttpServer(WorkerPool& workers, Router router, ServerLimits limits, HttpHooks hooks);
    ~HttpServer();

    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Throws boost::system::system_error on failure. One acceptor per worker with SO_REUSEPORT;
    // with port 0 the first acceptor picks the port and the others bind the same one.
    void listen(const boost::asio::ip::tcp::endpoint& endpoint);
    std::uint16_t port() const { return port_; }

    void start();  // accept on every worker; call after listen()
    void stop_accepting();

    // Blocking; called from a non-io thread after stop_accepting(). Closes idle keep-alive
    // connections, lets in-flight requests finish (their responses carry Connection: close).
    // True when every connection closed before the deadline.
    bool drain(std::chrono::milliseconds deadline);

    std::size_t connection_count() const;
    // Connection coroutines that ended with an exception (each one is logged).
    std::uint64_t failure_count() const;

private:
    WorkerPool& workers_;
    std::shared_ptr<detail::ServerState> state_;
    // Opened by listen(), moved into the accept loops by start().
    std::vector<boost::asio::ip::tcp::acceptor> acceptors_;
    std::uint16_t port_ = 0;
    bool started_ = false;
};

}  // namespace flashsale::net
