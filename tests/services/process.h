// Child processes for tests: building an environment, running a command to completion with a
// bounded wait (capturing its output), and raising the open-file limit so that thousands of
// connections fit in the test process and in the servers it starts.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace flashsale::testing {

using EnvOverrides = std::vector<std::pair<std::string, std::string>>;

// The current environment without any FLASHSALE_* variable, then `overrides` set (a later
// entry wins); "NAME=value" strings. Dropping the inherited FLASHSALE_* variables keeps the
// children hermetic: the server refuses unknown ones, and a developer's shell may set some.
std::vector<std::string> make_environment(const EnvOverrides& overrides);

// argv/envp views over strings that the caller keeps alive until exec (built before fork,
// because only async-signal-safe calls are allowed in the child).
std::vector<char*> to_c_strings(std::vector<std::string>& strings);

// How a child ended. `code` is the exit code when it exited, `signal` the signal that killed it.
struct ExitStatus {
    bool exited = false;
    int code = -1;
    int signal = 0;
    bool timed_out = false;  // we gave up waiting (and killed it)

    bool clean() const { return exited && code == 0; }
    std::string describe() const;
};

ExitStatus decode_wait_status(int status);

// Waits for `pid` up to `timeout`; on timeout the result has timed_out set and the child is
// still running (the caller decides whether to kill it).
ExitStatus wait_for_exit(int pid, std::chrono::milliseconds timeout);

struct CommandResult {
    ExitStatus status;
    std::string output;  // stdout and stderr, interleaved as the child wrote them

    std::string describe() const;  // for failure messages: status and output
};

// Runs `argv` (argv[0] is a path) with stdout and stderr captured; kills it with SIGKILL when it
// runs longer than `timeout`.
CommandResult run_command(std::vector<std::string> argv, const EnvOverrides& env = {},
                          std::chrono::milliseconds timeout = std::chrono::seconds(20));

// Raises RLIMIT_NOFILE to its hard limit (20000 on the test machines); children inherit it.
void raise_fd_limit();

// Starts `argv` (argv[0] a path) in the background with `environment` ("NAME=value"), stdout and
// stderr appended to `output`; the child is killed when the test process dies. Returns its pid;
// throws std::runtime_error when fork fails.
int spawn_process(std::vector<std::string> argv, std::vector<std::string> environment,
                  const std::filesystem::path& output);

// True when something accepts TCP connections on 127.0.0.1:port.
bool port_accepts(std::uint16_t port);

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released). A server
// started on it may still lose it to another process: starters retry with another one.
std::uint16_t free_port();

// The last `lines` lines of a text file, or a note that it cannot be read.
std::string file_tail(const std::filesystem::path& path, std::size_t lines = 40);

}  // namespace flashsale::testing
