// ServerTest: the fixture of the integration tests. Each test gets its own temporary directory
// (data dir + server log) and its own server, started before the test body runs and killed
// after it if the test left it running. A failed test keeps the directory (see TempDir).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>

#include "support/api.h"
#include "support/backend.h"
#include "support/flashsale_cli.h"
#include "support/server_process.h"
#include "services/temp_dir.h"

namespace flashsale::testing {

class ServerTest : public ::testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;

    // Lets a test suite add flags or environment before the server starts.
    virtual void customize(ServerOptions& /*options*/) {}

    ServerProcess& server() { return *server_; }
    const Api& api() const { return *api_; }
    const std::filesystem::path& data_dir() const { return server_->options().data_dir; }
    const TempDir& temp_dir() const { return *temp_dir_; }
    TestBackend& backend() { return *backend_; }

    // Stops the server with SIGTERM (expecting exit 0), then runs `flashsale verify` on its
    // data dir: the check most tests end with.
    ::testing::AssertionResult stop_and_verify();

private:
    std::unique_ptr<TempDir> temp_dir_;  // declared first: outlives the server and its log
    std::unique_ptr<TestBackend> backend_;
    std::unique_ptr<ServerProcess> server_;
    std::unique_ptr<Api> api_;
};

}  // namespace flashsale::testing
