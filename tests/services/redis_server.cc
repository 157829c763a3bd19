// RedisServer: see redis_server.h. A free port is found by binding port 0 and closing the
// socket; if another process takes it before redis-server binds it, the server exits and the
// constructor tries again with another port.
#include "services/redis_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "services/process.h"

namespace flashsale::testing {

namespace {

constexpr int kPortAttempts = 5;

std::string bulk_command(const std::vector<std::string>& arguments) {
    std::string out = "*" + std::to_string(arguments.size()) + "\r\n";
    for (const auto& argument : arguments) {
        out += "$" + std::to_string(argument.size()) + "\r\n" + argument + "\r\n";
    }
    return out;
}

// True when the process is gone (reaped here).
bool exited(int pid) {
    int status = 0;
    return ::waitpid(pid, &status, WNOHANG) == pid;
}

}  // namespace

RedisServer::RedisServer(RedisServerOptions options)
    : options_(std::move(options)), dir_("redis") {
    for (int attempt = 1;; ++attempt) {
        port_ = free_port();
        try {
            spawn();
            return;
        } catch (const std::runtime_error&) {
            if (attempt == kPortAttempts) throw;
        }
    }
}

RedisServer::~RedisServer() { kill(); }

void RedisServer::spawn() {
    std::vector<std::string> argv = {options_.binary.string()};
    // The shipped configuration first; the flags after it override what a test must own.
    if (!options_.config_file.empty()) argv.push_back(options_.config_file.string());
    argv.insert(argv.end(), {"--port", std::to_string(port_), "--bind", host_,
        "--dir", dir_.path().string(), "--logfile", log_path().string(),
        "--daemonize", "no", "--save", "", "--appendonly", options_.appendonly ? "yes" : "no",
        "--appendfsync", options_.appendfsync, "--enable-debug-command", "local"});
    if (!options_.password.empty()) {
        argv.insert(argv.end(), {"--requirepass", options_.password});
    }
    argv.insert(argv.end(), options_.extra_args.begin(), options_.extra_args.end());
    const std::string output = (dir_ / "redis.stdout").string();
    const int pid = spawn_process(argv, make_environment({}), output);
    pid_ = pid;
    const auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
    while (!answers_ping()) {
        const bool gone = exited(pid_);
        if (gone) pid_ = -1;  // reaped already: never signal a pid that may be reused
        if (gone || std::chrono::steady_clock::now() >= deadline) {
            kill();
            throw std::runtime_error("redis-server on port " + std::to_string(port_) +
                                     " did not start\n" + file_tail(log_path()) +
                                     file_tail(output));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

bool RedisServer::answers_ping() const {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    timeval timeout{0, 500 * 1000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port_);
    ::inet_pton(AF_INET, host_.c_str(), &address.sin_addr);
    bool pong = false;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
        std::string request;
        if (!options_.password.empty()) request += bulk_command({"AUTH", options_.password});
        request += bulk_command({"PING"});
        if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(request.size())) {
            std::string reply;
            char buffer[256];
            while (!pong) {
                const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
                if (n <= 0) break;
                reply.append(buffer, static_cast<std::size_t>(n));
                pong = reply.find("+PONG\r\n") != std::string::npos;
            }
        }
    }
    ::close(fd);
    return pong;
}

void RedisServer::kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    wait_for_exit(pid_, std::chrono::seconds(10));
    pid_ = -1;
}

void RedisServer::stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    if (wait_for_exit(pid_, std::chrono::seconds(10)).timed_out) {
        ::kill(pid_, SIGKILL);
        wait_for_exit(pid_, std::chrono::seconds(10));
    }
    pid_ = -1;
}

void RedisServer::restart() {
    stop();
    start();
}

void RedisServer::start() {
    if (pid_ > 0) return;
    spawn();
}

}  // namespace flashsale::testing
