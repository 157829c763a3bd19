// Secrets: configured ones are checked and never written; missing ones are generated once into
// the data directory with mode 0600 and reused. Uses a real temporary directory.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "app/secrets.h"
#include "services/temp_dir.h"

namespace flashsale::app {
namespace {

namespace fs = std::filesystem;

class SecretsTest : public ::testing::Test {
protected:
    void SetUp() override {
        config_.storage.data_dir = (root_.path() / "data" / "nested").string();
    }

    fs::path data_dir() const { return config_.storage.data_dir; }

    static std::string read(const fs::path& path) {
        std::ifstream in(path);
        return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    }

    static unsigned mode_of(const fs::path& path) {
        struct stat info {};
        EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
        return info.st_mode & 0777;
    }

    flashsale::testing::TempDir root_;
    Config config_;
};

bool is_hex(const std::string& text) {
    return text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

TEST_F(SecretsTest, GeneratedOnceThenReused) {
    resolve_secrets(config_);
    EXPECT_EQ(config_.auth.admin_token.size(), 64u);
    EXPECT_EQ(config_.auth.jwt_secret.size(), 64u);
    EXPECT_TRUE(is_hex(config_.auth.admin_token));
    EXPECT_NE(config_.auth.admin_token, config_.auth.jwt_secret);
    EXPECT_EQ(read(data_dir() / "admin_token"), config_.auth.admin_token + "\n");
    EXPECT_EQ(read(data_dir() / "jwt_secret"), config_.auth.jwt_secret + "\n");

    Config restarted;
    restarted.storage.data_dir = config_.storage.data_dir;
    resolve_secrets(restarted);
    EXPECT_EQ(restarted.auth.admin_token, config_.auth.admin_token);
    EXPECT_EQ(restarted.auth.jwt_secret, config_.auth.jwt_secret);
}

TEST_F(SecretsTest, FilesHaveMode0600AndNoTemporariesRemain) {
    const mode_t old_mask = ::umask(0277);  // would give 0400 without the explicit fchmod
    resolve_secrets(config_);
    ::umask(old_mask);
    EXPECT_EQ(mode_of(data_dir() / "admin_token"), 0600u);
    EXPECT_EQ(mode_of(data_dir() / "jwt_secret"), 0600u);
    EXPECT_EQ(mode_of(data_dir() / "token_key"), 0600u);
    std::size_t files = 0;
    for (const auto& entry : fs::directory_iterator(data_dir())) {
        EXPECT_TRUE(entry.path().filename() == "admin_token" ||
                    entry.path().filename() == "jwt_secret" ||
                    entry.path().filename() == "token_key")
            << entry.path();
        ++files;
    }
    EXPECT_EQ(files, 3u);
}

TEST_F(SecretsTest, ExistingFileIsReadAndTrimmed) {
    fs::create_directories(data_dir());
    std::ofstream(data_dir() / "jwt_secret") << "  \tan-operator-chosen-secret \r\n\n";
    resolve_secrets(config_);
    EXPECT_EQ(config_.auth.jwt_secret, "an-operator-chosen-secret");
    EXPECT_EQ(read(data_dir() / "jwt_secret"), "  \tan-operator-chosen-secret \r\n\n");
    EXPECT_EQ(config_.auth.admin_token.size(), 64u);
}

TEST_F(SecretsTest, ShortSecretFileIsRefused) {
    fs::create_directories(data_dir());
    std::ofstream(data_dir() / "admin_token") << "  too-short  \n";
    try {
        resolve_secrets(config_);
        FAIL() << "accepted a 9-character admin token file";
    } catch (const ConfigError& error) {
        EXPECT_NE(std::string(error.what()).find("admin_token"), std::string::npos) << error.what();
    }
}

void expect_short_secret_refused(Config config) {
    try {
        resolve_secrets(config);
        ADD_FAILURE() << "accepted a 15-character secret";
    } catch (const ConfigError& error) {
        const std::string message = error.what();
        EXPECT_NE(message.find("at least 16"), std::string::npos) << message;
        EXPECT_EQ(message.find("fifteen-chars!!"), std::string::npos) << message;
    }
}

// Checked before anything is generated, so a refused start leaves no files behind.
TEST_F(SecretsTest, ShortConfiguredSecretIsRefusedWithoutEchoingIt) {
    Config short_admin = config_;
    short_admin.auth.admin_token = "fifteen-chars!!";
    expect_short_secret_refused(short_admin);
    Config short_jwt = config_;
    short_jwt.auth.jwt_secret = "fifteen-chars!!";
    expect_short_secret_refused(short_jwt);
    EXPECT_FALSE(fs::exists(root_.path() / "data"));
}

TEST_F(SecretsTest, EnvironmentProvidedSecretIsNotWritten) {
    Config config =
        load_config({.environment = {{"FLASHSALE_ADMIN_TOKEN", "sixteen-chars-ok"},
                                     {"FLASHSALE_DATA_DIR", config_.storage.data_dir}}});
    resolve_secrets(config);
    EXPECT_EQ(config.auth.admin_token, "sixteen-chars-ok");
    EXPECT_FALSE(fs::exists(data_dir() / "admin_token"));
    EXPECT_TRUE(fs::exists(data_dir() / "jwt_secret"));
}

TEST_F(SecretsTest, AllProvidedLeavesTheDiskAlone) {
    config_.auth.admin_token = "admin-token-of-some-length";
    config_.auth.jwt_secret = "jwt-secret-of-some-length";
    config_.admission.token_key = "token-key-of-some-length";
    resolve_secrets(config_);
    EXPECT_EQ(config_.auth.admin_token, "admin-token-of-some-length");
    EXPECT_EQ(config_.auth.jwt_secret, "jwt-secret-of-some-length");
    EXPECT_FALSE(fs::exists(root_.path() / "data"));
}

TEST_F(SecretsTest, UnusableDataDirIsAConfigError) {
    std::ofstream(root_.path() / "a-file") << "x";
    config_.storage.data_dir = (root_.path() / "a-file" / "data").string();
    EXPECT_THROW(resolve_secrets(config_), ConfigError);
}

}  // namespace
}  // namespace flashsale::app
