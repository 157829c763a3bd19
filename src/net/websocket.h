// The WebSocket vocabulary of the edge: what an upgrade handler answers, and the two sides of an
// accepted connection (the peer the application sends through, the handler it receives with).
// The edge knows nothing of what the messages mean; the api layer gives them their meaning.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "net/http_types.h"

namespace flashsale::net {

struct WebSocketLimits {
    std::size_t message_max_bytes = 4096;  // a bigger client message closes with 1009
    std::size_t send_queue_max = 256;      // messages waiting for a slow reader; more drops it
    // The socket's kernel send buffer (SO_SNDBUF; 0 = the kernel's autotuning, up to megabytes
    // per socket): with the queue, it bounds what one slow reader can hold on the server.
    std::size_t socket_send_buffer_bytes = 64 * 1024;
    // Silence this long (no frame, no pong) closes the connection; a ping goes out at half.
    std::chrono::milliseconds idle_timeout{30000};
    std::chrono::milliseconds handshake_timeout{10000};
};

// Close codes of RFC 6455 that the edge and the api use.
enum class CloseCode : std::uint16_t {
    kNormal = 1000,
    kGoingAway = 1001,      // the server is stopping
    kUnsupportedData = 1003,  // a binary frame where only text is spoken
    kPolicyViolation = 1008,  // a message the protocol does not allow, or a reader too slow
    kTooBig = 1009,
    kTryAgainLater = 1013,
};

// The application's handle on one connection. Every call on the connection's worker thread;
// the peer may outlive the connection, and then calls do nothing.
class WebSocketPeer {
public:
    virtual ~WebSocketPeer() = default;
    // Queues a text message. False when the connection is closing, or when the queue already
    // holds send_queue_max messages: the reader is too slow, and the connection is dropped.
    virtual bool send(std::string text) = 0;
    virtual void close(CloseCode code, std::string_view reason) = 0;
};

// Receives one connection's events, on its worker thread, in order: on_open once, then
// on_message per text message, then on_close once (also when on_open was the last).
class WebSocketHandler {
public:
    virtual ~WebSocketHandler() = default;
    // The handler keeps only a weak reference, so that a peer and its handler never keep each
    // other alive.
    virtual void on_open(std::weak_ptr<WebSocketPeer> peer) = 0;
    virtual void on_message(std::string_view text) = 0;
    virtual void on_close() = 0;
};

// The answer to an upgrade request: a handler accepts it; otherwise `refusal` is the HTTP answer
// (401, 403, ...), sent instead of the handshake.
struct WebSocketUpgrade {
    std::shared_ptr<WebSocketHandler> handler;
    std::optional<Response> refusal;
};

// Runs on the connection's worker; must not block it.
using UpgradeHandler = std::function<boost::asio::awaitable<WebSocketUpgrade>(RequestContext)>;

}  // namespace flashsale::net
