// JMESPath's rules for values: truthiness, equality, ordering, and numbers as Python has them.
#include "query/values.h"

#include <boost/json.hpp>
#include <charconv>
#include <cmath>

namespace gangplank::query {
namespace json = boost::json;

bool Truthy(const json::value& value) {
  if (value.is_null()) return false;
  if (value.is_bool()) return value.get_bool();
  if (value.is_string()) return !value.get_string().empty();
  if (value.is_array()) return !value.get_array().empty();
  if (value.is_object()) return !value.get_object().empty();
  return true;
}

double AsDouble(const json::value& value) { return value.to_number<double>(); }

bool Equal(const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number()) return AsDouble(a) == AsDouble(b);
  if (a.is_array() && b.is_array()) {
    const auto &x = a.get_array(), &y = b.get_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (!Equal(x[i], y[i])) return false;
    return true;
  }
  if (a.is_object() && b.is_object()) {
    const auto &x = a.get_object(), &y = b.get_object();
    if (x.size() != y.size()) return false;
    for (const auto& [key, value] : x) {
      const auto* other = y.if_contains(key);
      if (!other || !Equal(value, *other)) return false;
    }
    return true;
  }
  return a == b;
}

// An integral double as an integer (Python's int), when it fits.
json::value Integer(double value) {
  if (std::fabs(value) < 9e18) return static_cast<std::int64_t>(value);
  return value;
}

// Python's int(text), else float(text), as jmespath.py's to_number: spaces around, a sign,
// underscores between digits. Infinities and NaN have no JSON form: null.
json::value PythonNumber(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\n\r\f\v");
  if (first == std::string_view::npos) return json::value();
  text = text.substr(first, text.find_last_not_of(" \t\n\r\f\v") - first + 1);
  std::string plain;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '_') {
      const bool between_digits = i > 0 && i + 1 < text.size() &&
                                  std::isdigit(static_cast<unsigned char>(text[i - 1])) &&
                                  std::isdigit(static_cast<unsigned char>(text[i + 1]));
      if (!between_digits) return json::value();
      continue;
    }
    plain.push_back(text[i]);
  }
  const std::string_view digits = std::string_view(plain).substr(plain[0] == '+' || plain[0] == '-' ? 1 : 0);
  if (!digits.empty() && std::all_of(digits.begin(), digits.end(),
                                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    std::int64_t value = 0;
    const char* begin = plain.data() + (plain[0] == '+' ? 1 : 0);
    const auto [end, ec] = std::from_chars(begin, plain.data() + plain.size(), value);
    if (ec == std::errc()) return value;
  }
  if (std::any_of(plain.begin(), plain.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)) && c != 'e' && c != 'E'; }))
    return json::value();  // inf, nan, hex: not numbers here
  char* end = nullptr;
  const double value = std::strtod(plain.c_str(), &end);
  if (end != plain.c_str() + plain.size() || !std::isfinite(value)) return json::value();
  return value;
}

std::string TypeName(const json::value& value) {
  if (value.is_null()) return "null";
  if (value.is_bool()) return "boolean";
  if (value.is_number()) return "number";
  if (value.is_string()) return "string";
  if (value.is_array()) return "array";
  return "object";
}

Error TypeError(const std::string& function, const std::string& expected, const json::value& got) {
  return MakeError(StatusCode::kInvalidArgument, "InvalidQuery",
                   "--query: " + function + "() expects " + expected + ", got " + TypeName(got));
}

Result<bool> Less(const std::string& function, const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number()) return AsDouble(a) < AsDouble(b);
  if (a.is_string() && b.is_string()) return a.get_string() < b.get_string();
  return TypeError(function, "numbers or strings, all of one kind", a.is_number() ? b : a);
}

}  // namespace gangplank::query
