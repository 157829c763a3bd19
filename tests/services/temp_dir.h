// TempDir: a fresh directory per test, under $FLASHSALE_TEST_TMPDIR, $TMPDIR or /tmp. It is
// removed when the object dies, unless the running test has failed (or FLASHSALE_TEST_KEEP_DIRS
// is set): then it stays, and its path is printed so the server log and data can be read.
#pragma once

#include <filesystem>
#include <string_view>

namespace flashsale::testing {

class TempDir {
public:
    // `prefix` becomes part of the directory name, to tell test runs apart.
    explicit TempDir(std::string_view prefix = "flashsale-test");
    ~TempDir();

    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

    // Keeps the directory even when the test passes.
    void keep() { keep_ = true; }

private:
    std::filesystem::path path_;
    bool keep_ = false;
};

}  // namespace flashsale::testing
