// JSON text as Python's json module and repr() write it, which is what az prints (and what
// JMESPath's to_string gives under az).
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>

namespace gangplank {

// A double as Python's repr() writes it: the shortest digits that read back the same, positional
// for exponents from -4 to 15 (100000.0, 0.0001, 2.0), scientific outside them (1e+16, 1.5e-05).
std::string PythonFloat(double value);

// A JSON string literal that always parses (bytes that are not UTF-8 become U+FFFD) and is safe
// on a terminal (C1 and bidirectional controls become \u escapes).
std::string JsonString(std::string_view text);

// One line of JSON with numbers as Python (and so az) prints them.
std::string CompactJson(const boost::json::value& value);

}  // namespace gangplank
