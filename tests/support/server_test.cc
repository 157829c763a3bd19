// ServerTest: see server_test.h.
#include "support/server_test.h"

namespace flashsale::testing {

void ServerTest::SetUp() {
    temp_dir_ = std::make_unique<TempDir>();
    backend_ = std::make_unique<TestBackend>();
    ServerOptions options;
    options.env = backend_->env();
    options.data_dir = *temp_dir_ / "data";
    options.log_path = *temp_dir_ / "server.log";
    std::filesystem::create_directories(options.data_dir);
    customize(options);
    server_ = std::make_unique<ServerProcess>(std::move(options));
    api_ = std::make_unique<Api>(*server_);
    ASSERT_TRUE(server_->start());
}

void ServerTest::TearDown() {
    if (server_ && server_->running()) {
        if (HasFailure()) std::cerr << server_->log_tail(60);
        server_->kill9();
    }
}

::testing::AssertionResult ServerTest::stop_and_verify() {
    if (auto stopped = server_->stop_gracefully(); !stopped) return stopped;
    return verify_is_clean(data_dir());
}

}  // namespace flashsale::testing
