#include "app/secrets.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "common/crypto.h"

namespace flashsale::app {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kGeneratedBytes = 32;

[[noreturn]] void fail(const fs::path& path, std::string_view reason) {
    throw ConfigError(fmt::format("secret file {}: {}", path.string(), reason));
}

std::string trim(std::string_view text) {
    constexpr std::string_view kSpace = " \t\r\n\v\f";
    const auto first = text.find_first_not_of(kSpace);
    if (first == std::string_view::npos) {
        return {};
    }
    const auto last = text.find_last_not_of(kSpace);
    return std::string(text.substr(first, last - first + 1));
}

std::string read_secret(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in) {
        fail(path, fmt::format("cannot be read: {}", std::strerror(errno)));
    }
    std::string secret = trim(text.str());
    if (secret.size() < kSecretLengthMin) {
        fail(path, fmt::format("holds fewer than {} characters; delete it to generate a new one",
                               kSecretLengthMin));
    }
    return secret;
}

void write_all(int fd, std::string_view data, const fs::path& temp) {
    while (!data.empty()) {
        const ssize_t written = ::write(fd, data.data(), data.size());
        if (written < 0 && errno == EINTR) {
            continue;
        }
        if (written <= 0) {
            const int saved = errno;
            ::close(fd);
            ::unlink(temp.c_str());
            fail(temp, fmt::format("cannot be written: {}", std::strerror(saved)));
        }
        data.remove_prefix(static_cast<std::size_t>(written));
    }
}

// Makes the rename itself durable. Best effort: the secret is already in memory and the file,
// if lost in a crash, is simply generated again (invalidating tokens minted in between).
void sync_directory(const fs::path& dir) {
    const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

// Readers never see a partial file: the secret is complete and on disk before the rename.
void write_secret(const fs::path& path, const std::string& secret) {
    const fs::path temp = path.string() + ".tmp." + random_hex(8);
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        fail(temp, fmt::format("cannot be created: {}", std::strerror(errno)));
    }
    write_all(fd, secret + "\n", temp);
    // open() applied the umask; make the mode exactly 0600 whatever the umask was.
    if (::fchmod(fd, 0600) != 0 || ::fsync(fd) != 0) {
        const int saved = errno;
        ::close(fd);
        ::unlink(temp.c_str());
        fail(temp, fmt::format("cannot be synced: {}", std::strerror(saved)));
    }
    ::close(fd);
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        const int saved = errno;
        ::unlink(temp.c_str());
        fail(path, fmt::format("cannot be renamed into place: {}", std::strerror(saved)));
    }
    sync_directory(path.parent_path());
}

std::string load_or_generate(const fs::path& data_dir, const fs::path& path) {
    std::error_code ec;
    if (fs::exists(path, ec)) {
        return read_secret(path);
    }
    if (ec) {
        fail(path, ec.message());
    }
    fs::create_directories(data_dir, ec);
    if (ec) {
        fail(path, fmt::format("cannot create directory {}: {}", data_dir.string(), ec.message()));
    }
    std::string secret = random_hex(kGeneratedBytes);
    write_secret(path, secret);
    return secret;
}

void check_length(const std::string& secret, std::string_view key) {
    if (!secret.empty() && secret.size() < kSecretLengthMin) {
        throw ConfigError(fmt::format(
            "{}: must have at least {} characters (or be empty to use a generated one)", key,
            kSecretLengthMin));
    }
}

void resolve_one(std::string& secret, const fs::path& data_dir, std::string_view file_name) {
    if (secret.empty()) {
        secret = load_or_generate(data_dir, data_dir / file_name);
    }
}

}  // namespace

void resolve_secrets(Config& config) {
    // Both are checked before either is generated, so a refused start writes nothing.
    check_length(config.auth.admin_token, "auth.admin_token");
    check_length(config.auth.jwt_secret, "auth.jwt_secret");
    check_length(config.admission.token_key, "admission.token_key");
    check_length(config.admission.token_key_previous, "admission.token_key_previous");
    const fs::path data_dir = config.storage.data_dir;
    resolve_one(config.auth.admin_token, data_dir, "admin_token");
    resolve_one(config.auth.jwt_secret, data_dir, "jwt_secret");
    resolve_one(config.admission.token_key, data_dir, "token_key");
}

}  // namespace flashsale::app
