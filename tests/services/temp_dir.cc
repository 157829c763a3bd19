// TempDir: see temp_dir.h.
#include "services/temp_dir.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>
#include <system_error>

namespace flashsale::testing {
namespace {

std::filesystem::path temp_root() {
    for (const char* name : {"FLASHSALE_TEST_TMPDIR", "TMPDIR"}) {
        const char* value = std::getenv(name);
        if (value != nullptr && *value != '\0') return value;
    }
    return "/tmp";
}

// Test names may hold '/' (parameterized tests); keep the directory name a single component.
std::string sanitized(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
        if (!plain) c = '_';
    }
    return out;
}

std::string current_test_name() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    if (info == nullptr) return "";
    return std::string(info->test_suite_name()) + "." + info->name();
}

}  // namespace

TempDir::TempDir(std::string_view prefix) {
    std::filesystem::create_directories(temp_root());
    std::string name = sanitized(prefix);
    if (const std::string test = current_test_name(); !test.empty()) {
        name += "-" + sanitized(test);
    }
    std::string pattern = (temp_root() / (name + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
    }
    path_ = pattern;
}

TempDir::~TempDir() {
    const bool keep_all = std::getenv("FLASHSALE_TEST_KEEP_DIRS") != nullptr;
    if (keep_ || keep_all || ::testing::Test::HasFailure()) {
        std::cerr << "[ temp dir ] kept for inspection: " << path_.string() << "\n";
        return;
    }
    std::error_code ignored;  // a directory we cannot remove is not worth failing a test over
    std::filesystem::remove_all(path_, ignored);
}

}  // namespace flashsale::testing
