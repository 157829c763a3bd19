// Fuzzes RFC 3339 parsing: no crash, and what it accepts formats and parses back to itself.
#include <cstdint>
#include <string_view>

#include "common/check.h"
#include "common/time_format.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto parsed = flashsale::parse_rfc3339(text);
    if (parsed) {
        auto again = flashsale::parse_rfc3339(flashsale::format_rfc3339(*parsed));
        FS_CHECK(again && *again == *parsed);
    }
    return 0;
}
