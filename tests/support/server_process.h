// ServerProcess: the real `flashsale` binary as a child process, the way operators run it:
// `serve --listen 127.0.0.1:0 --data-dir DIR --workers 2`, secrets in the environment, output
// appended to a log file. It knows the port once the server printed its listening line, and
// can stop it gracefully (SIGTERM), kill it (SIGKILL) and start it again on the same data.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "services/process.h"

namespace flashsale::testing {

// Secrets every test server gets unless a test overrides them.
inline constexpr const char* kAdminToken = "test-admin-token-0123456789";
inline constexpr const char* kJwtSecret = "test-jwt-secret-0123456789abcdef";

// The binary under test: $FLASHSALE_TEST_BINARY when set, else the one this build produced.
std::string flashsale_binary();

struct ServerOptions {
    std::filesystem::path data_dir;
    std::filesystem::path log_path;  // stdout and stderr of every run, appended
    int workers = 2;
    std::vector<std::string> extra_args;
    EnvOverrides env;  // applied after the two secrets below, so a test may replace them
    std::string admin_token = kAdminToken;
    std::string jwt_secret = kJwtSecret;
    std::chrono::milliseconds start_timeout{10'000};
    std::chrono::milliseconds stop_timeout{10'000};
};

class ServerProcess {
public:
    explicit ServerProcess(ServerOptions options);
    ~ServerProcess();  // kills a server that is still running

    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;

    // Starts the server and waits until it prints its listening line. The failure message
    // carries the tail of the log.
    [[nodiscard]] ::testing::AssertionResult start();

    // SIGTERM, then waits (bounded) for the exit. A server that does not exit in time is
    // killed, and the status says timed_out.
    ExitStatus stop();

    // stop(), expecting exit code 0; the failure message carries the log tail.
    [[nodiscard]] ::testing::AssertionResult stop_gracefully();

    // SIGKILL: a crash without any chance to flush or commit.
    void kill9();

    // start() again on the same data dir (the port changes).
    [[nodiscard]] ::testing::AssertionResult restart() { return start(); }

    bool running() const { return pid_ > 0; }
    pid_t pid() const { return pid_; }
    std::uint16_t port() const { return port_; }
    const ServerOptions& options() const { return options_; }
    std::string log_tail(std::size_t lines = 40) const;

private:
    std::vector<std::string> command_line() const;
    ::testing::AssertionResult wait_until_listening(std::uintmax_t log_offset);

    ServerOptions options_;
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
};

}  // namespace flashsale::testing
