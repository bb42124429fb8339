// JSON text as Python's json module and repr() write it, which is what az prints.
#include "common/python_json.h"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "common/text.h"

namespace gangplank {
namespace json = boost::json;

// A double as Python's repr() writes it (and so az prints it): the shortest digits that read
// back the same, in positional notation for exponents from -4 to 15 (100000.0, 0.0001, 2.0) and
// in scientific notation outside them (1e+16, 1.5e-05).
std::string PythonFloat(double value) {
  if (!std::isfinite(value)) return "null";  // JSON has no form for them
  char buffer[64];
  const auto [end, ec] = std::to_chars(std::begin(buffer), std::end(buffer), value,
                                       std::chars_format::scientific);
  const std::string scientific(buffer, ec == std::errc() ? end : buffer);
  const std::size_t e = scientific.find('e');
  const int exponent = std::atoi(scientific.c_str() + e + 1);
  if (exponent < -4 || exponent >= 16) return scientific;
  const bool negative = scientific[0] == '-';
  std::string digits;
  for (std::size_t i = negative ? 1 : 0; i < e; ++i)
    if (scientific[i] != '.') digits.push_back(scientific[i]);
  std::string out = negative ? "-" : "";
  if (exponent < 0) {
    out += "0." + std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
  } else {
    const auto whole = static_cast<std::size_t>(exponent) + 1;
    if (digits.size() <= whole) {
      out += digits + std::string(whole - digits.size(), '0') + ".0";
    } else {
      out += digits.substr(0, whole) + "." + digits.substr(whole);
    }
  }
  return out;
}

// A JSON string literal that always parses (bytes that are not UTF-8 become U+FFFD) and is safe on
// a terminal: the serializer escapes C0 controls, C1 and bidirectional controls become \u escapes.
std::string JsonString(std::string_view text) {
  const bool ascii = std::all_of(text.begin(), text.end(),
                                 [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (ascii) return json::serialize(json::string(text));
  return TerminalSafe(json::serialize(json::string(ValidUtf8(text))), Escapes::kJsonString);
}

std::string CompactJson(const json::value& value) {
  if (value.is_double()) return PythonFloat(value.get_double());
  if (const auto* array = value.if_array()) {
    std::string out = "[";
    for (const auto& element : *array) out += (out.size() > 1 ? "," : "") + CompactJson(element);
    return out + "]";
  }
  if (const auto* object = value.if_object()) {
    std::string out = "{";
    for (const auto& [key, member] : *object) {
      out += (out.size() > 1 ? "," : "") + JsonString(key) + ":" +
             CompactJson(member);
    }
    return out + "}";
  }
  if (value.is_string()) return JsonString(value.get_string());
  return json::serialize(value);
}

}  // namespace gangplank
