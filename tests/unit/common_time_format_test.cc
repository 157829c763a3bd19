// RFC 3339 output in one fixed shape, and strict parsing of what clients send.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "common/time_format.h"

namespace flashsale {
namespace {

using namespace std::chrono;

TimePoint at(int y, unsigned m, unsigned d, int hh = 0, int mm = 0, int ss = 0, int ms = 0) {
    return TimePoint{sys_days{year{y} / month{m} / day{d}}} + hours{hh} + minutes{mm} +
           seconds{ss} + milliseconds{ms};
}

TimePoint parse_ok(std::string_view text) {
    auto result = parse_rfc3339(text);
    EXPECT_TRUE(result.ok()) << text << ": " << (result ? "" : result.error().message);
    return result ? *result : TimePoint{};
}

void expect_rejected(std::string_view text) {
    auto result = parse_rfc3339(text);
    ASSERT_FALSE(result.ok()) << text << " was accepted";
    EXPECT_EQ(result.error().code, Errc::kBadRequest);
    EXPECT_NE(result.error().message.find(std::string(text)), std::string::npos)
        << result.error().message;
}

TEST(FormatRfc3339, FixedShapeInUtcWithMilliseconds) {
    EXPECT_EQ(format_rfc3339(TimePoint{}), "1970-01-01T00:00:00.000Z");
    EXPECT_EQ(format_rfc3339(at(2024, 2, 29, 23, 59, 59, 7)), "2024-02-29T23:59:59.007Z");
    EXPECT_EQ(format_rfc3339(from_unix_ms(1'700'000'000'123)), "2023-11-14T22:13:20.123Z");
    EXPECT_EQ(format_rfc3339(at(9999, 12, 31, 23, 59, 59, 999)), "9999-12-31T23:59:59.999Z");
}

TEST(FormatRfc3339, AppendsToWhatIsThere) {
    std::string out = R"({"at":")";
    append_rfc3339(out, from_unix_ms(1'700'000'000'123));
    EXPECT_EQ(out, R"({"at":"2023-11-14T22:13:20.123Z)");
}

TEST(ParseRfc3339, AcceptsUtcForms) {
    EXPECT_EQ(parse_ok("2023-11-14T22:13:20Z"), from_unix_ms(1'700'000'000'000));
    EXPECT_EQ(parse_ok("2023-11-14t22:13:20z"), from_unix_ms(1'700'000'000'000));
    EXPECT_EQ(parse_ok("1970-01-01T00:00:00Z"), TimePoint{});
    EXPECT_EQ(parse_ok("2024-02-29T12:00:00Z"), at(2024, 2, 29, 12));
}

TEST(ParseRfc3339, FractionIsTruncatedToMilliseconds) {
    EXPECT_EQ(parse_ok("2023-11-14T22:13:20.1Z"), from_unix_ms(1'700'000'000'100));
    EXPECT_EQ(parse_ok("2023-11-14T22:13:20.12Z"), from_unix_ms(1'700'000'000'120));
    EXPECT_EQ(parse_ok("2023-11-14T22:13:20.123Z"), from_unix_ms(1'700'000'000'123));
    EXPECT_EQ(parse_ok("2023-11-14T22:13:20.123999999Z"), from_unix_ms(1'700'000'000'123));
}

TEST(ParseRfc3339, OffsetsAreConvertedToUtc) {
    EXPECT_EQ(parse_ok("2023-11-15T00:13:20+02:00"), from_unix_ms(1'700'000'000'000));
    EXPECT_EQ(parse_ok("2023-11-14T17:43:20.5-04:30"), from_unix_ms(1'700'000'000'500));
    EXPECT_EQ(parse_ok("2023-11-14T22:13:20+00:00"), from_unix_ms(1'700'000'000'000));
    EXPECT_EQ(parse_ok("2024-01-01T00:30:00+01:00"), at(2023, 12, 31, 23, 30));
}

TEST(ParseRfc3339, RoundTripsFormattedTimes) {
    for (std::int64_t ms : {0LL, 1LL, 999LL, 1'700'000'000'123LL, 4'102'444'800'000LL}) {
        const TimePoint t = from_unix_ms(ms);
        EXPECT_EQ(parse_ok(format_rfc3339(t)), t);
    }
}

TEST(ParseRfc3339, RejectsSyntaxErrors) {
    for (const char* text :
         {"", "2023-11-14", "2023-11-14T22:13Z", "2023-11-14 22:13:20Z", "2023-11-14T22:13:20",
          "2023-11-14T22:13:20.Z", "2023-11-14T22:13:20.1234567890Z", "2023-11-14T22:13:20+0200",
          "2023-11-14T22:13:20+02", "2023-11-14T22:13:20ZZ", "2023-11-14T22:13:20Z ",
          " 2023-11-14T22:13:20Z", "23-11-14T22:13:20Z", "2023-1-14T22:13:20Z",
          "2023/11/14T22:13:20Z", "2023-11-14T22:13:2aZ", "+2023-11-14T22:13:20Z",
          "2023-11-14T22:13:20+24:00", "2023-11-14T22:13:20+02:60"}) {
        expect_rejected(text);
    }
}

TEST(ParseRfc3339, RejectsImpossibleDatesAndTimes) {
    for (const char* text : {"2023-02-29T00:00:00Z", "2024-02-30T00:00:00Z", "2023-13-01T00:00:00Z",
                             "2023-00-10T00:00:00Z", "2023-04-31T00:00:00Z", "2023-04-00T00:00:00Z",
                             "2023-11-14T24:00:00Z", "2023-11-14T23:60:00Z", "2023-11-14T23:59:60Z",
                             "1900-02-29T00:00:00Z"}) {
        expect_rejected(text);
    }
}

TEST(ParseRfc3339, RejectsYearsOutsideRange) {
    expect_rejected("1969-12-31T23:59:59Z");
    expect_rejected("0000-01-01T00:00:00Z");
    // Inside 1970 locally but before the epoch in UTC.
    expect_rejected("1970-01-01T00:30:00+01:00");
    // 9999 locally but year 10000 in UTC.
    expect_rejected("9999-12-31T23:30:00-01:00");
    EXPECT_EQ(parse_ok("9999-12-31T23:59:59.999Z"), at(9999, 12, 31, 23, 59, 59, 999));
}

TEST(ParseRfc3339, MessageSaysWhatIsWrong) {
    auto result = parse_rfc3339("2023-02-30T00:00:00Z");
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message.find("calendar date"), std::string::npos);
    result = parse_rfc3339("2023-02-10T24:00:00Z");
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message.find("time of day"), std::string::npos);
}

}  // namespace
}  // namespace flashsale
