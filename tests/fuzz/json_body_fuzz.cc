// Fuzzes the request-body readers the purchase and admin routes use: any bytes, no crash, and
// every field reader answers a value or a bad_request, never anything else.
#include <cstdint>
#include <string_view>

#include "api/json_body.h"
#include "common/check.h"

namespace {

template <class T>
void expect_value_or_bad_request(const flashsale::Result<T>& result) {
    FS_CHECK(result.ok() || result.error().code == flashsale::Errc::kBadRequest);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace flashsale::api;
    std::string_view body(reinterpret_cast<const char*>(data), size);
    auto object = parse_object(body);
    expect_value_or_bad_request(object);
    if (!object) return 0;
    expect_value_or_bad_request(reject_unknown_fields(*object, {"quantity", "name"}));
    auto quantity = read_integer(*object, "quantity", 1, 1'000'000);
    expect_value_or_bad_request(quantity);
    if (quantity && *quantity) FS_CHECK(**quantity >= 1 && **quantity <= 1'000'000);
    expect_value_or_bad_request(read_string(*object, "name"));
    expect_value_or_bad_request(read_bool(*object, "require_token"));
    expect_value_or_bad_request(read_time(*object, "starts_at"));
    return 0;
}
