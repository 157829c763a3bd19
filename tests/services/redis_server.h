// RedisServer: a real redis-server for tests, on 127.0.0.1 and a free port, with its data and
// log in a fresh TempDir. The constructor returns once the server answers PING; the destructor
// kills it (SIGKILL) and removes the directory (kept when the test failed, see TempDir). The
// child dies with the test process (PR_SET_PDEATHSIG), so a crashed test leaves none behind.
//
//     flashsale::testing::RedisServer redis;              // appendonly yes, appendfsync always
//     options.port = redis.port();
//     redis.kill();    // crash: SIGKILL, no shutdown work
//     redis.restart(); // same port, same data dir (the AOF is replayed)
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "services/temp_dir.h"

namespace flashsale::testing {

struct RedisServerOptions {
    std::filesystem::path config_file;   // e.g. deploy/redis.conf; empty: none
    bool appendonly = true;
    std::string appendfsync = "always";  // always, everysec or no
    std::string password;                // non-empty: requirepass
    std::vector<std::string> extra_args; // more "--name value" arguments, e.g. {"--maxclients", "64"}
    std::chrono::milliseconds start_timeout{10000};
    std::filesystem::path binary = "/usr/bin/redis-server";
};

class RedisServer {
public:
    // Starts the server; throws std::runtime_error (with the log's tail) when it does not
    // answer PING within start_timeout.
    explicit RedisServer(RedisServerOptions options = {});
    ~RedisServer();

    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;

    std::uint16_t port() const { return port_; }
    const std::string& host() const { return host_; }
    const std::filesystem::path& dir() const { return dir_.path(); }
    std::filesystem::path log_path() const { return dir_ / "redis.log"; }
    bool running() const { return pid_ > 0; }

    // SIGKILL and wait: the server gets no chance to flush or to answer anyone.
    void kill();
    // SIGTERM and wait (a clean shutdown); SIGKILL after 10 s.
    void stop();
    // Starts again on the same port with the same data dir (stopping it first if running).
    void restart();
    // Starts it when it is not running (after kill() or stop()).
    void start();

private:
    void spawn();
    bool answers_ping() const;

    RedisServerOptions options_;
    TempDir dir_;
    std::string host_ = "127.0.0.1";
    std::uint16_t port_ = 0;
    int pid_ = -1;
};

}  // namespace flashsale::testing
