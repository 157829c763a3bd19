// PostgresServer: a real PostgreSQL 15 for tests, in a temporary directory, on 127.0.0.1 with a
// free port (and a unix socket inside the directory), trust authentication, fsync and
// synchronous_commit on. As root (CI) it runs as the `postgres` system user, else `nobody`,
// because PostgreSQL refuses to run as root. The postmaster is a child of the test process
// and dies with it (PR_SET_PDEATHSIG), so a crashed test leaves no server behind.
//
// Binaries: $FLASHSALE_PG_BINDIR, else /usr/lib/postgresql/15/bin, else /usr/local/bin.
// Not thread-safe: one thread drives a server (other threads may connect to it freely).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>

#include "services/temp_dir.h"

namespace flashsale::testing {

class PostgresServer {
public:
    // A data directory (a copy of one initdb per machine, kept beside the temporary
    // directories), start, wait until it accepts connections, then create `database`. Throws
    // std::runtime_error with the server's log when any step fails.
    explicit PostgresServer(std::string database = "flashsale");
    ~PostgresServer();  // stops the server (fast), then removes the directory
    PostgresServer(const PostgresServer&) = delete;
    PostgresServer& operator=(const PostgresServer&) = delete;

    // libpq connection string for `database` (default: the one made by the constructor), over
    // TCP to 127.0.0.1:port(), user postgres.
    std::string conninfo(const std::string& database = "") const;
    int port() const { return port_; }
    const std::filesystem::path& data_dir() const { return data_dir_; }
    const std::filesystem::path& log_file() const { return log_file_; }
    bool running() const { return pid_ > 0; }

    // Creates an empty database (createdb); throws std::runtime_error.
    void create_database(const std::string& name);

    // Fast shutdown (SIGINT: clients are disconnected, everything committed is on disk); waits
    // for the postmaster to exit. A no-op when stopped.
    void stop();
    // Starts again on the same data directory and port; waits until it accepts connections.
    // After kill() it retries while the dead server's leftovers clear.
    void start();
    // SIGKILL to the postmaster and every process of its group (backends, checkpointer...),
    // like a crash of the database host; the next start() runs crash recovery.
    void kill();

private:
    void initdb();
    void run_initdb(const std::filesystem::path& data_dir);
    bool try_start(std::string& why);
    bool wait_ready(std::string& why);
    void reap();

    TempDir dir_;
    std::filesystem::path bin_dir_;
    std::filesystem::path data_dir_;
    std::filesystem::path socket_dir_;
    std::filesystem::path log_file_;
    std::string database_;
    uid_t uid_ = 0;  // who the server runs as (our own ids when we are not root)
    gid_t gid_ = 0;
    int port_ = 0;
    pid_t pid_ = -1;
};

}  // namespace flashsale::testing
