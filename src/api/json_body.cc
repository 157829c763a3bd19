#include "api/json_body.h"

#include <algorithm>

#include <boost/beast/http/field.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include "common/time_format.h"

namespace flashsale::api {

namespace json = boost::json;

net::Response json_response(boost::beast::http::status status, const json::value& body) {
    return json_text_response(status, json::serialize(body));
}

// Ids, statuses and most messages are plain ASCII text, which needs no escaping: quoting them
// directly saves Boost.JSON's serializer on the hot path (every refusal, every order).
void append_json_string(std::string& out, std::string_view text) {
    const bool plain = std::all_of(text.begin(), text.end(), [](char c) {
        return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
    });
    if (!plain) {
        out += json::serialize(json::string_view(text));
        return;
    }
    out += '"';
    out += text;
    out += '"';
}

net::Response json_text_response(boost::beast::http::status status, std::string body) {
    net::Response response{status, 11};
    response.insert(boost::beast::http::field::content_type, "application/json");
    response.insert(boost::beast::http::field::cache_control, "no-store");
    response.body() = std::move(body);
    return response;
}

Result<json::object> parse_object(std::string_view body) {
    if (body.empty()) return json::object{};
    boost::system::error_code error;
    json::value value = json::parse(body, error);
    if (error) return make_error(Errc::kBadRequest, "body is not valid JSON: " + error.message());
    if (!value.is_object()) return make_error(Errc::kBadRequest, "body must be a JSON object");
    return std::move(value.as_object());
}

Status reject_unknown_fields(const json::object& object,
                             std::initializer_list<std::string_view> known) {
    for (const auto& [key, value] : object) {
        if (std::find(known.begin(), known.end(), key) == known.end()) {
            return make_error(Errc::kBadRequest, fmt::format("unknown field '{}'", std::string_view(key)));
        }
    }
    return Ok{};
}

namespace {

Error field_error(std::string_view field, std::string_view expected) {
    return make_error(Errc::kBadRequest, fmt::format("'{}' must be {}", field, expected));
}

}  // namespace

Result<std::optional<std::int64_t>> read_integer(const json::object& object,
                                                 std::string_view field, std::int64_t min,
                                                 std::int64_t max) {
    auto found = object.find(field);
    if (found == object.end()) return std::optional<std::int64_t>{};
    const auto& value = found->value();
    // Formatted only for the error: every purchase body with a quantity comes through here.
    const auto out_of_range = [&] {
        return field_error(field, fmt::format("an integer from {} to {}", min, max));
    };
    std::int64_t number = 0;
    if (value.is_int64()) {
        number = value.get_int64();
    } else if (value.is_uint64() && value.get_uint64() <= static_cast<std::uint64_t>(max)) {
        number = static_cast<std::int64_t>(value.get_uint64());
    } else {
        return out_of_range();
    }
    if (number < min || number > max) return out_of_range();
    return std::optional<std::int64_t>{number};
}

Result<std::optional<std::string>> read_string(const json::object& object,
                                               std::string_view field) {
    auto found = object.find(field);
    if (found == object.end()) return std::optional<std::string>{};
    if (!found->value().is_string()) return field_error(field, "a string");
    return std::optional<std::string>{std::string(found->value().get_string())};
}

Result<std::optional<bool>> read_bool(const json::object& object, std::string_view field) {
    auto found = object.find(field);
    if (found == object.end()) return std::optional<bool>{};
    if (!found->value().is_bool()) return field_error(field, "true or false");
    return std::optional<bool>{found->value().get_bool()};
}

Result<std::optional<TimePoint>> read_time(const json::object& object, std::string_view field) {
    auto text = read_string(object, field);
    if (!text) return text.error();
    if (!*text) return std::optional<TimePoint>{};
    auto parsed = parse_rfc3339(**text);
    if (!parsed) return field_error(field, "an RFC 3339 date-time, e.g. 2026-11-23T12:00:00Z");
    return std::optional<TimePoint>{*parsed};
}

}  // namespace flashsale::api
