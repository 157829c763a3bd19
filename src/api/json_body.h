// Reading request bodies and writing response bodies as JSON. Readers never throw: a wrong
// type, an out-of-range number or an unknown field is a kBadRequest that names the field.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <boost/beast/http/status.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "common/clock.h"
#include "common/result.h"
#include "net/http_types.h"

namespace flashsale::api {

net::Response json_response(boost::beast::http::status status, const boost::json::value& body);
// The same with a body already serialized as JSON.
net::Response json_text_response(boost::beast::http::status status, std::string body);

// `text` as a JSON string literal, quotes included, appended to `out`.
void append_json_string(std::string& out, std::string_view text);

// An empty body reads as an empty object.
Result<boost::json::object> parse_object(std::string_view body);
Status reject_unknown_fields(const boost::json::object& object,
                             std::initializer_list<std::string_view> known);

// Each reader: nullopt when the field is absent, kBadRequest when present but not valid.
Result<std::optional<std::int64_t>> read_integer(const boost::json::object& object,
                                                 std::string_view field, std::int64_t min,
                                                 std::int64_t max);
Result<std::optional<std::string>> read_string(const boost::json::object& object,
                                               std::string_view field);
Result<std::optional<bool>> read_bool(const boost::json::object& object, std::string_view field);
Result<std::optional<TimePoint>> read_time(const boost::json::object& object,
                                           std::string_view field);

}  // namespace flashsale::api
