// ServerProcess: see server_process.h.
#include "support/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <regex>
#include <thread>

namespace flashsale::testing {

std::string flashsale_binary() {
    const char* from_env = std::getenv("FLASHSALE_TEST_BINARY");
    if (from_env != nullptr && *from_env != '\0') return from_env;
    return FLASHSALE_BINARY;
}

ServerProcess::ServerProcess(ServerOptions options) : options_(std::move(options)) {}

ServerProcess::~ServerProcess() {
    if (running()) kill9();
}

std::vector<std::string> ServerProcess::command_line() const {
    std::vector<std::string> argv{flashsale_binary(), "serve",
                                  "--listen",         "127.0.0.1:0",
                                  "--data-dir",       options_.data_dir.string(),
                                  "--workers",        std::to_string(options_.workers)};
    argv.insert(argv.end(), options_.extra_args.begin(), options_.extra_args.end());
    return argv;
}

::testing::AssertionResult ServerProcess::start() {
    if (running()) return ::testing::AssertionFailure() << "server already running";
    raise_fd_limit();  // before fork: the server inherits the limit
    std::vector<std::string> argv = command_line();
    EnvOverrides overrides{{"FLASHSALE_ADMIN_TOKEN", options_.admin_token},
                           {"FLASHSALE_JWT_SECRET", options_.jwt_secret}};
    overrides.insert(overrides.end(), options_.env.begin(), options_.env.end());
    std::vector<std::string> environment = make_environment(overrides);
    std::vector<char*> c_argv = to_c_strings(argv);
    std::vector<char*> c_env = to_c_strings(environment);

    const int log_fd =
        ::open(options_.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) {
        return ::testing::AssertionFailure()
               << "cannot open " << options_.log_path << ": " << strerror(errno);
    }
    // Only the output of this run is searched for the listening line.
    const auto log_offset = static_cast<std::uintmax_t>(::lseek(log_fd, 0, SEEK_END));
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        ::dup2(log_fd, STDOUT_FILENO);
        ::dup2(log_fd, STDERR_FILENO);
        ::execve(c_argv[0], c_argv.data(), c_env.data());
        ::_exit(127);
    }
    ::close(log_fd);
    if (pid < 0) return ::testing::AssertionFailure() << "fork: " << strerror(errno);
    pid_ = pid;
    port_ = 0;
    return wait_until_listening(log_offset);
}

::testing::AssertionResult ServerProcess::wait_until_listening(std::uintmax_t log_offset) {
    static const std::regex kListening(R"(flashsale listening on http://127\.0\.0\.1:(\d+))");
    const auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        std::ifstream log(options_.log_path);
        log.seekg(static_cast<std::streamoff>(log_offset));
        const std::string text{std::istreambuf_iterator<char>(log), {}};
        std::smatch match;
        if (std::regex_search(text, match, kListening)) {
            port_ = static_cast<std::uint16_t>(std::stoi(match[1].str()));
            return ::testing::AssertionSuccess();
        }
        const ExitStatus early = wait_for_exit(pid_, std::chrono::milliseconds(0));
        if (!early.timed_out) {
            pid_ = -1;
            return ::testing::AssertionFailure()
                   << "server " << early.describe() << " before listening\n"
                   << log_tail();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    kill9();
    return ::testing::AssertionFailure()
           << "no 'flashsale listening on http://127.0.0.1:PORT' line within "
           << options_.start_timeout.count() << " ms (is stdout flushed?)\n"
           << log_tail();
}

ExitStatus ServerProcess::stop() {
    if (!running()) return ExitStatus{};
    ::kill(pid_, SIGTERM);
    ExitStatus status = wait_for_exit(pid_, options_.stop_timeout);
    if (status.timed_out) {
        ::kill(pid_, SIGKILL);
        wait_for_exit(pid_, std::chrono::seconds(10));
    }
    pid_ = -1;
    return status;
}

::testing::AssertionResult ServerProcess::stop_gracefully() {
    const ExitStatus status = stop();
    if (status.clean()) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "SIGTERM: server " << status.describe() << ", expected exit code 0\n"
           << log_tail();
}

void ServerProcess::kill9() {
    if (!running()) return;
    ::kill(pid_, SIGKILL);
    wait_for_exit(pid_, std::chrono::seconds(10));
    pid_ = -1;
}

std::string ServerProcess::log_tail(std::size_t lines) const {
    return file_tail(options_.log_path, lines);
}

}  // namespace flashsale::testing
