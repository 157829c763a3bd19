// Fuzzes the JWT check: any token, and no crash; a token it accepts names a plausible subject.
#include <cstdint>
#include <string_view>

#include "common/check.h"
#include "common/jwt.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view token(reinterpret_cast<const char*>(data), size);
    auto now = flashsale::from_unix_ms(1'800'000'000'000);
    auto subject = flashsale::verify_jwt(token, "fuzzing-secret-0123456789", now);
    if (subject) FS_CHECK(!subject->empty() && subject->size() <= flashsale::kJwtSubjectLengthMax);
    return 0;
}
