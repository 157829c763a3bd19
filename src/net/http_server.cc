#include "net/http_server.h"

#include <sys/socket.h>

#include <thread>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detail/socket_option.hpp>
#include <boost/asio/post.hpp>

#include "common/check.h"
#include "net/http_session.h"

namespace flashsale::net {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
constexpr std::chrono::milliseconds kDrainPoll{2};

// Throws boost::system::system_error.
tcp::acceptor open_acceptor(asio::io_context& context, const tcp::endpoint& endpoint) {
    tcp::acceptor acceptor(context);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.set_option(ReusePort(true));
    acceptor.bind(endpoint);
    acceptor.listen(asio::socket_base::max_listen_connections);
    return acceptor;
}

}  // namespace

HttpServer::HttpServer(WorkerPool& workers, Router router, ServerLimits limits, HttpHooks hooks)
    : workers_(workers),
      state_(std::make_shared<detail::ServerState>(std::move(router), limits, std::move(hooks),
                                                   workers.size())) {
    FS_CHECK(state_->hooks.error_response);
}

HttpServer::~HttpServer() { stop_accepting(); }

void HttpServer::listen(const tcp::endpoint& endpoint) {
    FS_CHECK(!started_ && acceptors_.empty());
    std::vector<tcp::acceptor> acceptors;  // all or none: a failure closes those opened so far
    tcp::endpoint bound = endpoint;
    for (std::size_t i = 0; i < workers_.size(); ++i) {
        acceptors.push_back(open_acceptor(workers_.context(i), bound));
        if (i == 0) {
            bound = acceptors[0].local_endpoint();  // port 0 -> the one picked
        }
    }
    acceptors_ = std::move(acceptors);
    port_ = bound.port();
}

void HttpServer::start() {
    FS_CHECK(!started_ && acceptors_.size() == workers_.size());
    started_ = true;
    for (std::size_t i = 0; i < workers_.size(); ++i) {
        auto state = state_;
        asio::co_spawn(workers_.executor(i),
                       detail::accept_loop(state_, i, std::move(acceptors_[i])),
                       [state](std::exception_ptr e) { state->on_coroutine_exit("accept", e); });
    }
    acceptors_.clear();
}

void HttpServer::stop_accepting() {
    state_->accepting.store(false);
    acceptors_.clear();  // listen() without start(): no loop owns them yet
    if (!started_) {
        return;
    }
    for (std::size_t i = 0; i < workers_.size(); ++i) {
        // Acceptors are used on their worker's thread only: close them there.
        asio::post(workers_.executor(i), [state = state_, i] {
            if (state->acceptors[i] != nullptr) {
                boost::system::error_code ec;
                state->acceptors[i]->close(ec);
            }
        });
    }
}

bool HttpServer::drain(std::chrono::milliseconds deadline) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    // Set before the posts: a session that misses the close below sees the flag at its next
    // wait for a request, and answers an in-flight request with Connection: close.
    state_->draining.store(true);
    for (std::size_t i = 0; i < workers_.size(); ++i) {
        asio::post(workers_.executor(i),
                   [state = state_, i] { detail::close_idle_sessions(*state, i); });
    }
    while (connection_count() > 0) {
        if (std::chrono::steady_clock::now() >= until) {
            return false;
        }
        std::this_thread::sleep_for(kDrainPoll);
    }
    return true;
}

std::size_t HttpServer::connection_count() const { return state_->connections.load(); }

std::uint64_t HttpServer::failure_count() const { return state_->failures.value(); }

}  // namespace flashsale::net
