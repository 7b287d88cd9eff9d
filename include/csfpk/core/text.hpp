#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace csfpk {

// A message fit for a terminal: control characters (escape codes included) shown as \xNN, and
// anything past `most` bytes cut with a note of how much was left out, so that a hostile value
// echoed in an error can neither drive the terminal nor flood it.
std::string printable_message(std::string_view message, std::size_t most = 2000);

// Edit distance, for did-you-mean suggestions.
std::size_t levenshtein_distance(std::string_view a, std::string_view b);

// The closest candidate within a small edit distance, or empty.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

// "a, b or c"
std::string join_alternatives(const std::vector<std::string>& items);

// The shortest text that reads back to the same double ("0.1", not "0.1000000000000000055").
std::string round_trip_number(double value);

// A CSV field per RFC 4180: quoted (with quotes doubled) only when it holds a comma, quote or
// line break.
std::string csv_field(std::string_view text);

// The current time as "2026-11-25T18:00:00Z", for provenance.
std::string utc_now_iso8601();

}  // namespace csfpk
