// NginxServer: see nginx_server.h.
#include "services/nginx_server.h"

#include <signal.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "services/process.h"

namespace flashsale::testing {

namespace {

constexpr const char* kNginx = "/usr/sbin/nginx";

std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read " + path.string());
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// The shipped config with the test's listen port and upstream servers.
std::string test_config(const std::string& shipped, std::uint16_t port,
                        const std::vector<std::uint16_t>& upstream_ports) {
    std::string servers;
    for (auto upstream : upstream_ports) {
        servers += "        server 127.0.0.1:" + std::to_string(upstream) + " max_fails=0;\n";
    }
    // The shipped upstream lists its servers on consecutive "server ...;" lines.
    std::string config = std::regex_replace(
        shipped, std::regex(R"((        server 127\.0\.0\.1:\d+[^\n]*\n)+)"), servers);
    config = std::regex_replace(config, std::regex(R"(listen \d+)"),
                                "listen 127.0.0.1:" + std::to_string(port));
    return std::regex_replace(config, std::regex(R"(worker_processes auto;)"),
                              "worker_processes 1;");
}

}  // namespace

NginxServer::NginxServer(const std::filesystem::path& shipped_config,
                         const std::vector<std::uint16_t>& upstream_ports)
    : dir_("nginx") {
    std::filesystem::create_directories(dir_ / "logs");
    port_ = free_port();
    const auto config = dir_ / "nginx.conf";
    std::ofstream(config) << test_config(read_text(shipped_config), port_, upstream_ports);
    pid_ = spawn_process({kNginx, "-p", dir_.path().string(), "-c", config.string()},
                         make_environment({}), dir_ / "nginx.stdout");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!port_accepts(port_)) {
        if (std::chrono::steady_clock::now() > deadline) {
            throw std::runtime_error("nginx did not start:\n" + file_tail(error_log()) +
                                     file_tail(dir_ / "nginx.stdout"));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

NginxServer::~NginxServer() {
    if (pid_ <= 0) return;
    // SIGTERM: the master stops its workers before it exits (SIGKILL would orphan them).
    ::kill(pid_, SIGTERM);
    if (wait_for_exit(pid_, std::chrono::seconds(10)).timed_out) {
        ::kill(pid_, SIGKILL);
        wait_for_exit(pid_, std::chrono::seconds(10));
    }
}

}  // namespace flashsale::testing
