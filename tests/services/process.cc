// Child processes for tests: see process.h. fork/exec rather than posix_spawn, because the child
// asks the kernel to kill it when the test process dies (PR_SET_PDEATHSIG), so that a crashed or
// aborted test never leaves a server behind.
#include "services/process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <deque>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

extern char** environ;

namespace flashsale::testing {

std::vector<std::string> make_environment(const EnvOverrides& overrides) {
    std::map<std::string, std::string> values;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        std::string text(*entry);
        const auto equals = text.find('=');
        if (equals == std::string::npos || text.starts_with("FLASHSALE_")) continue;
        values[text.substr(0, equals)] = text.substr(equals + 1);
    }
    for (const auto& [name, value] : overrides) values[name] = value;
    std::vector<std::string> out;
    out.reserve(values.size());
    for (const auto& [name, value] : values) out.push_back(name + "=" + value);
    return out;
}

std::vector<char*> to_c_strings(std::vector<std::string>& strings) {
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (auto& s : strings) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

std::string ExitStatus::describe() const {
    if (timed_out) return "still running after the timeout (killed)";
    if (exited) return "exited with code " + std::to_string(code);
    if (signal != 0)
        return "killed by signal " + std::to_string(signal) + " (" + ::strsignal(signal) + ")";
    return "unknown exit status";
}

ExitStatus decode_wait_status(int status) {
    ExitStatus out;
    if (WIFEXITED(status)) {
        out.exited = true;
        out.code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        out.signal = WTERMSIG(status);
    }
    return out;
}

ExitStatus wait_for_exit(int pid, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int status = 0;
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid) return decode_wait_status(status);
        if (done < 0 && errno != EINTR) return ExitStatus{};  // not our child (any more)
        if (std::chrono::steady_clock::now() >= deadline) {
            ExitStatus out;
            out.timed_out = true;
            return out;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

std::string CommandResult::describe() const { return status.describe() + "; output:\n" + output; }

namespace {

// Reads everything the child writes until it closes the pipe or the deadline passes.
// Returns false on timeout.
bool drain_pipe(int fd, std::string& out, std::chrono::steady_clock::time_point deadline) {
    char buffer[4096];
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd pfd{fd, POLLIN, 0};
        const int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) return false;
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return true;  // EOF: every writer closed its end
        out.append(buffer, static_cast<std::size_t>(n));
    }
}

}  // namespace

CommandResult run_command(std::vector<std::string> argv, const EnvOverrides& env,
                          std::chrono::milliseconds timeout) {
    std::vector<std::string> environment = make_environment(env);
    std::vector<char*> c_argv = to_c_strings(argv);
    std::vector<char*> c_env = to_c_strings(environment);
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return {{}, "pipe2 failed: " + std::string(strerror(errno))};
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        ::dup2(fds[1], STDOUT_FILENO);
        ::dup2(fds[1], STDERR_FILENO);
        ::execve(c_argv[0], c_argv.data(), c_env.data());
        ::_exit(127);
    }
    ::close(fds[1]);
    CommandResult result;
    if (pid < 0) {
        ::close(fds[0]);
        result.output = "fork failed: " + std::string(strerror(errno));
        return result;
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const bool finished = drain_pipe(fds[0], result.output, deadline);
    ::close(fds[0]);
    if (!finished) ::kill(pid, SIGKILL);
    result.status = wait_for_exit(pid, std::chrono::seconds(10));
    result.status.timed_out = !finished;
    return result;
}

void raise_fd_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
    if (limit.rlim_cur >= limit.rlim_max) return;
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
}

int spawn_process(std::vector<std::string> argv, std::vector<std::string> environment,
                  const std::filesystem::path& output) {
    std::vector<char*> c_argv = to_c_strings(argv);
    std::vector<char*> c_env = to_c_strings(environment);
    const int out_fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (out_fd >= 0) {
            ::dup2(out_fd, STDOUT_FILENO);
            ::dup2(out_fd, STDERR_FILENO);
        }
        ::execve(c_argv[0], c_argv.data(), c_env.data());
        ::_exit(127);
    }
    if (out_fd >= 0) ::close(out_fd);
    if (pid < 0) throw std::runtime_error("fork: " + std::string(std::strerror(errno)));
    return pid;
}

bool port_accepts(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool accepted =
        ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return accepted;
}

std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        ::close(fd);
        throw std::runtime_error("bind port 0: " + std::string(std::strerror(errno)));
    }
    ::close(fd);
    return ntohs(address.sin_port);
}

std::string file_tail(const std::filesystem::path& path, std::size_t lines) {
    std::ifstream in(path);
    if (!in) return "(cannot read " + path.string() + ")\n";
    std::deque<std::string> last;
    for (std::string line; std::getline(in, line);) {
        last.push_back(std::move(line));
        if (last.size() > lines) last.pop_front();
    }
    std::ostringstream out;
    out << "---- last " << last.size() << " lines of " << path.string() << " ----\n";
    for (const auto& line : last) out << line << "\n";
    out << "----\n";
    return out.str();
}

}  // namespace flashsale::testing
