// PostgresServer: see postgres_server.h. The server runs in the foreground as our child (no
// pg_ctl), in a process group of its own so that kill() takes every PostgreSQL process at once.
#include "services/postgres_server.h"

#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <vector>

#include "services/process.h"

namespace flashsale::testing {
namespace {

using namespace std::chrono_literals;

constexpr auto kReadyTimeout = 30s;
constexpr auto kRestartTimeout = 20s;
constexpr std::size_t kSocketPathMax = 100;  // sun_path holds 108 bytes with its NUL

std::filesystem::path find_bin_dir() {
    std::vector<std::filesystem::path> candidates;
    if (const char* env = std::getenv("FLASHSALE_PG_BINDIR"); env != nullptr && *env != '\0') {
        candidates.emplace_back(env);
    }
    candidates.emplace_back("/usr/lib/postgresql/15/bin");
    candidates.emplace_back("/usr/local/bin");
    for (const auto& dir : candidates) {
        if (::access((dir / "initdb").c_str(), X_OK) == 0 &&
            ::access((dir / "postgres").c_str(), X_OK) == 0) {
            return dir;
        }
    }
    throw std::runtime_error("PostgresServer: no initdb/postgres in $FLASHSALE_PG_BINDIR, "
                             "/usr/lib/postgresql/15/bin or /usr/local/bin");
}

// Runs `argv` as uid/gid (when we are root), output appended to `log`, cwd `dir`, in a process
// group of its own, killed when the thread that started it dies. Only async-signal-safe calls
// after fork: everything is prepared before.
pid_t spawn_as(uid_t uid, gid_t gid, std::vector<std::string> argv,
               const std::filesystem::path& log, const std::filesystem::path& dir) {
    std::vector<std::string> environment = make_environment({{"LC_ALL", "C"}, {"LANG", "C"}});
    std::vector<char*> c_argv = to_c_strings(argv);
    std::vector<char*> c_env = to_c_strings(environment);
    std::string log_path = log.string(), dir_path = dir.string();
    const bool root = ::geteuid() == 0;
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid != 0) return pid;  // parent, or -1
    ::setpgid(0, 0);
    if (root && (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0)) {
        ::_exit(126);
    }
    // After the uid change: changing credentials clears the parent-death signal.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);
    int out = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    int in = ::open("/dev/null", O_RDONLY);
    if (out < 0 || in < 0 || ::chdir(dir_path.c_str()) != 0) ::_exit(125);
    ::dup2(in, STDIN_FILENO);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(out, STDERR_FILENO);
    ::execve(c_argv[0], c_argv.data(), c_env.data());
    ::_exit(127);
}

void make_owned_dir(const std::filesystem::path& dir, uid_t uid, gid_t gid) {
    std::filesystem::create_directories(dir);
    if (::chown(dir.c_str(), uid, gid) != 0 || ::chmod(dir.c_str(), 0700) != 0) {
        throw std::runtime_error("PostgresServer: cannot hand " + dir.string() + " to uid " +
                                 std::to_string(uid) + ": " + std::strerror(errno));
    }
}

}  // namespace

PostgresServer::PostgresServer(std::string database)
    : dir_("pg"), bin_dir_(find_bin_dir()), database_(std::move(database)) {
    uid_ = ::geteuid();
    gid_ = ::getegid();
    if (uid_ == 0) {  // PostgreSQL refuses to run as root
        const passwd* user = ::getpwnam("postgres");
        if (user == nullptr) user = ::getpwnam("nobody");
        if (user == nullptr) throw std::runtime_error("PostgresServer: no postgres/nobody user");
        uid_ = user->pw_uid;
        gid_ = user->pw_gid;
    }
    make_owned_dir(dir_.path(), uid_, gid_);
    data_dir_ = dir_ / "data";
    socket_dir_ = dir_ / "sock";
    log_file_ = dir_ / "postgres.log";
    if ((socket_dir_ / ".s.PGSQL.65535.lock").string().size() > kSocketPathMax) {
        socket_dir_ = "";  // a long temporary path: TCP only
    } else {
        make_owned_dir(socket_dir_, uid_, gid_);
    }
    initdb();
    std::string why;
    for (int attempt = 0;; ++attempt) {  // the free port may be taken before the server binds
        port_ = free_port();
        if (try_start(why)) break;
        if (attempt == 4) {
            throw std::runtime_error("PostgresServer: cannot start: " + why + "\n" +
                                     file_tail(log_file_));
        }
    }
    create_database(database_);
}

PostgresServer::~PostgresServer() {
    try {
        stop();
    } catch (const std::exception&) {
        kill();
    }
}

std::string PostgresServer::conninfo(const std::string& database) const {
    return "host=127.0.0.1 port=" + std::to_string(port_) +
           " user=postgres dbname=" + (database.empty() ? database_ : database);
}

// initdb takes seconds on a busy machine, so it runs once per machine (per binary directory
// and user): into a private directory renamed into place, which concurrent test processes
// race for harmlessly. Every server then starts from a copy of that template.
void PostgresServer::initdb() {
    auto root = dir_.path().parent_path();
    std::string key = bin_dir_.string();
    for (char& c : key) {
        if (c == '/') c = '_';
    }
    auto template_dir = root / ("flashsale-pg15-template-wal1" + key + "-uid" + std::to_string(uid_));
    if (!std::filesystem::exists(template_dir / "PG_VERSION")) {
        auto staging = dir_ / "template";
        run_initdb(staging);
        std::error_code error;
        std::filesystem::rename(staging, template_dir, error);  // fails if another won: fine
        std::filesystem::remove_all(staging, error);
        if (!std::filesystem::exists(template_dir / "PG_VERSION")) {
            throw std::runtime_error("PostgresServer: cannot make the template " +
                                     template_dir.string() + ": " + error.message());
        }
    }
    auto copy = run_command({"/bin/cp", "-a", template_dir.string(), data_dir_.string()});
    if (!copy.status.clean()) {
        throw std::runtime_error("PostgresServer: copying the template: " + copy.describe());
    }
}

void PostgresServer::run_initdb(const std::filesystem::path& data_dir) {
    auto log = dir_ / "initdb.log";
    // --no-sync only skips initdb's own final flush; the server keeps fsync on. 1 MB WAL
    // segments keep the template (and its copies) small: 23 MB instead of 40.
    pid_t pid = spawn_as(uid_, gid_,
                         {(bin_dir_ / "initdb").string(), "-D", data_dir.string(), "-U",
                          "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync",
                          "--no-instructions", "--wal-segsize=1"},
                         log, dir_.path());
    if (pid < 0) throw std::runtime_error("PostgresServer: fork failed");
    auto status = wait_for_exit(pid, 120s);
    if (status.timed_out) {
        ::kill(pid, SIGKILL);
        wait_for_exit(pid, 5s);
    }
    if (!status.clean()) {
        throw std::runtime_error("PostgresServer: initdb " + status.describe() + "\n" +
                                 file_tail(log));
    }
}

bool PostgresServer::try_start(std::string& why) {
    std::vector<std::string> argv = {
        (bin_dir_ / "postgres").string(), "-D", data_dir_.string(),
        "-p", std::to_string(port_),
        "-c", "listen_addresses=127.0.0.1",
        "-c", "unix_socket_directories=" + socket_dir_.string(),
        "-c", "shared_buffers=16MB",
        "-c", "max_connections=200",
        "-c", "fsync=on",
        "-c", "synchronous_commit=on",
        "-c", "huge_pages=off",
        "-c", "dynamic_shared_memory_type=posix",
        "-c", "logging_collector=off",
    };
    pid_ = spawn_as(uid_, gid_, argv, log_file_, dir_.path());
    if (pid_ < 0) {
        why = "fork failed";
        return false;
    }
    return wait_ready(why);
}

bool PostgresServer::wait_ready(std::string& why) {
    const auto deadline = std::chrono::steady_clock::now() + kReadyTimeout;
    for (;;) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            why = "postgres " + decode_wait_status(status).describe();
            pid_ = -1;
            return false;
        }
        auto probe = run_command({(bin_dir_ / "pg_isready").string(), "-q", "-h", "127.0.0.1",
                                  "-p", std::to_string(port_), "-U", "postgres", "-t", "2"},
                                 {}, 10s);
        if (probe.status.clean()) return true;
        if (std::chrono::steady_clock::now() >= deadline) {
            why = "not ready after 30 s";
            kill();
            return false;
        }
        std::this_thread::sleep_for(20ms);
    }
}

void PostgresServer::create_database(const std::string& name) {
    auto result = run_command({(bin_dir_ / "createdb").string(), "-h", "127.0.0.1", "-p",
                               std::to_string(port_), "-U", "postgres", name});
    if (!result.status.clean()) {
        throw std::runtime_error("PostgresServer: createdb " + name + ": " + result.describe());
    }
}

void PostgresServer::stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGINT);  // fast shutdown
    auto status = wait_for_exit(pid_, 60s);
    if (status.timed_out) {
        kill();
        throw std::runtime_error("PostgresServer: fast shutdown took over 60 s; killed\n" +
                                 file_tail(log_file_));
    }
    pid_ = -1;
}

void PostgresServer::start() {
    if (pid_ > 0) return;
    const auto deadline = std::chrono::steady_clock::now() + kRestartTimeout;
    std::string why;
    while (!try_start(why)) {  // after kill(), old backends may hold the lock for a moment
        if (std::chrono::steady_clock::now() >= deadline) {
            throw std::runtime_error("PostgresServer: cannot restart: " + why + "\n" +
                                     file_tail(log_file_));
        }
        std::this_thread::sleep_for(200ms);
    }
}

void PostgresServer::kill() {
    if (pid_ <= 0) return;
    ::kill(-pid_, SIGKILL);  // the whole group: postmaster and every backend
    ::kill(pid_, SIGKILL);
    wait_for_exit(pid_, 10s);
    pid_ = -1;
}

}  // namespace flashsale::testing
