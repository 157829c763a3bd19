#include "common/time_format.h"

#include <chrono>
#include <cstdint>
#include <optional>

#include <fmt/format.h>

namespace flashsale {
namespace {

using namespace std::chrono;

constexpr int kYearMin = 1970;
constexpr int kYearMax = 9999;

// Reads exactly `count` ASCII digits at text[pos], advancing pos; nullopt otherwise.
std::optional<int> read_digits(std::string_view text, std::size_t& pos, std::size_t count) {
    if (pos + count > text.size()) {
        return std::nullopt;
    }
    int value = 0;
    for (std::size_t i = 0; i < count; ++i) {
        const char c = text[pos + i];
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        value = value * 10 + (c - '0');
    }
    pos += count;
    return value;
}

bool read_char(std::string_view text, std::size_t& pos, char a, char b = '\0') {
    if (pos < text.size() && (text[pos] == a || (b != '\0' && text[pos] == b))) {
        ++pos;
        return true;
    }
    return false;
}

Error bad(std::string_view text, std::string_view reason) {
    return make_error(Errc::kBadRequest,
                      fmt::format("invalid RFC 3339 timestamp '{}': {}", text, reason));
}

struct Fields {
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    int millisecond = 0;
    int offset_minutes = 0;  // local time minus UTC
};

// The optional ".fff" fraction: 1-9 digits, kept to millisecond precision.
bool read_fraction(std::string_view text, std::size_t& pos, int& millisecond) {
    if (!read_char(text, pos, '.')) {
        return true;
    }
    std::size_t digits = 0;
    millisecond = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        if (digits < 3) {
            millisecond = millisecond * 10 + (text[pos] - '0');
        }
        ++digits;
        ++pos;
    }
    for (std::size_t i = digits; i < 3; ++i) {
        millisecond *= 10;
    }
    return digits >= 1 && digits <= 9;
}

// "Z", "z", "+HH:MM" or "-HH:MM", which must end the text.
std::optional<int> read_offset(std::string_view text, std::size_t& pos) {
    if (read_char(text, pos, 'Z', 'z')) {
        return 0;
    }
    const bool negative = pos < text.size() && text[pos] == '-';
    if (!read_char(text, pos, '+', '-')) {
        return std::nullopt;
    }
    const auto hours = read_digits(text, pos, 2);
    if (!hours || !read_char(text, pos, ':')) {
        return std::nullopt;
    }
    const auto minutes = read_digits(text, pos, 2);
    if (!minutes || *hours > 23 || *minutes > 59) {
        return std::nullopt;
    }
    const int total = *hours * 60 + *minutes;
    return negative ? -total : total;
}

// The syntax only; ranges are checked by the caller so it can say which field is wrong.
std::optional<Fields> read_fields(std::string_view text) {
    Fields f;
    std::size_t pos = 0;
    auto digits = [&](int& out, std::size_t count) {
        const auto value = read_digits(text, pos, count);
        out = value.value_or(0);
        return value.has_value();
    };
    if (!digits(f.year, 4) || !read_char(text, pos, '-') || !digits(f.month, 2) ||
        !read_char(text, pos, '-') || !digits(f.day, 2) || !read_char(text, pos, 'T', 't') ||
        !digits(f.hour, 2) || !read_char(text, pos, ':') || !digits(f.minute, 2) ||
        !read_char(text, pos, ':') || !digits(f.second, 2) ||
        !read_fraction(text, pos, f.millisecond)) {
        return std::nullopt;
    }
    const auto offset = read_offset(text, pos);
    if (!offset || pos != text.size()) {
        return std::nullopt;
    }
    f.offset_minutes = *offset;
    return f;
}

}  // namespace

std::string format_rfc3339(TimePoint t) {
    std::string out;
    append_rfc3339(out, t);
    return out;
}

// Digit by digit into a fixed buffer: every order in every response carries three of these,
// and fmt's padded integers cost some two thousand instructions per timestamp.
void append_rfc3339(std::string& out, TimePoint t) {
    const auto day = floor<days>(t);
    const year_month_day date{day};
    const hh_mm_ss<milliseconds> time{t - day};
    char text[] = "YYYY-MM-DDTHH:MM:SS.mmmZ";
    const auto put = [&text](std::size_t at, std::size_t width, long long value) {
        for (std::size_t i = width; i-- > 0; value /= 10) {
            text[at + i] = static_cast<char>('0' + value % 10);
        }
    };
    put(0, 4, static_cast<int>(date.year()));
    put(5, 2, static_cast<unsigned>(date.month()));
    put(8, 2, static_cast<unsigned>(date.day()));
    put(11, 2, time.hours().count());
    put(14, 2, time.minutes().count());
    put(17, 2, time.seconds().count());
    put(20, 3, time.subseconds().count());
    out.append(text, sizeof(text) - 1);
}

Result<TimePoint> parse_rfc3339(std::string_view text) {
    const auto fields = read_fields(text);
    if (!fields) {
        return bad(text, "expected YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)");
    }
    const Fields& f = *fields;
    if (f.year < kYearMin || f.year > kYearMax) {
        return bad(text, "year must be in 1970..9999");
    }
    const year_month_day date{year{f.year}, month{static_cast<unsigned>(f.month)},
                              day{static_cast<unsigned>(f.day)}};
    if (!date.ok()) {
        return bad(text, "no such calendar date");
    }
    // RFC 3339 allows a leap second (:60); like most systems we do not represent them.
    if (f.hour > 23 || f.minute > 59 || f.second > 59) {
        return bad(text, "time of day out of range");
    }
    const auto local = sys_days{date} + hours{f.hour} + minutes{f.minute} + seconds{f.second} +
                       milliseconds{f.millisecond};
    const TimePoint utc = local - minutes{f.offset_minutes};
    if (utc < TimePoint{}) {
        return bad(text, "instant before 1970-01-01T00:00:00Z");
    }
    if (utc >= TimePoint{sys_days{year{kYearMax + 1} / January / 1}}) {
        return bad(text, "instant after 9999-12-31T23:59:59.999Z");
    }
    return utc;
}

}  // namespace flashsale
