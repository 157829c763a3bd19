// RFC 3339 timestamps as the HTTP API shows and accepts them (sale windows, order deadlines).
// Output is one fixed shape so clients and tests can compare strings; input is strict, because
// a misread start time opens a sale at the wrong moment.
#pragma once

#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/result.h"

namespace flashsale {

// Always "YYYY-MM-DDTHH:MM:SS.mmmZ": UTC, milliseconds. Expects a year in 1970..9999.
std::string format_rfc3339(TimePoint t);
// The same, appended to `out`.
void append_rfc3339(std::string& out, TimePoint t);

// RFC 3339 date-time: 'T' or 't' between date and time, seconds required, an optional fraction
// of 1-9 digits (truncated to milliseconds), then 'Z', 'z' or a +HH:MM / -HH:MM offset.
// Invalid calendar dates and times, and years outside 1970..9999, are kBadRequest.
Result<TimePoint> parse_rfc3339(std::string_view text);

}  // namespace flashsale
