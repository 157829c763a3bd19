// NginxServer: a real nginx in front of test servers, run from the shipped deploy/nginx.conf
// with only what a test must own replaced: the listen port (a free one on 127.0.0.1) and the
// upstream's servers. Everything else (keep-alive, the no-retry rule for POSTs) is what users
// deploy. The master runs in the foreground as a child of the test and dies with it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "services/temp_dir.h"

namespace flashsale::testing {

class NginxServer {
public:
    // Starts nginx balancing over 127.0.0.1:<each upstream port>; returns once it accepts
    // connections. Throws std::runtime_error with its error log when it does not start.
    NginxServer(const std::filesystem::path& shipped_config,
                const std::vector<std::uint16_t>& upstream_ports);
    ~NginxServer();  // kills it
    NginxServer(const NginxServer&) = delete;
    NginxServer& operator=(const NginxServer&) = delete;

    std::uint16_t port() const { return port_; }
    std::filesystem::path error_log() const { return dir_ / "logs" / "error.log"; }

private:
    TempDir dir_;
    std::uint16_t port_ = 0;
    int pid_ = -1;
};

}  // namespace flashsale::testing
