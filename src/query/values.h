// JMESPath's rules for values: truthiness, equality, ordering, and numbers as Python has them
// (az runs jmespath.py, so its answers are Python's).
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "common/error.h"

namespace gangplank::query {

// false, null, "", [] and {} are false; everything else is true.
bool Truthy(const boost::json::value& value);
double AsDouble(const boost::json::value& value);
// Deep equality; numbers compare by value whatever their JSON type.
bool Equal(const boost::json::value& a, const boost::json::value& b);
// An integral double as an integer (Python's int), when it fits.
boost::json::value Integer(double value);
// Python's int(text), else float(text), as jmespath.py's to_number; null when it is neither.
boost::json::value PythonNumber(std::string_view text);
// JMESPath's type names: null, boolean, number, string, array, object.
std::string TypeName(const boost::json::value& value);
// "--query: FUNCTION() expects EXPECTED, got TYPE".
Error TypeError(const std::string& function, const std::string& expected,
                const boost::json::value& got);
// a < b for two numbers or two strings; a type error otherwise.
Result<bool> Less(const std::string& function, const boost::json::value& a,
                  const boost::json::value& b);

}  // namespace gangplank::query
