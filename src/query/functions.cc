// JMESPath's built-in functions as jmespath.py has them (its types are Python's: a sum of integers
// is an integer, floor and ceil give integers), one row each in kFunctions.
#include "query/functions.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <limits>

#include "common/python_json.h"
#include "common/text.h"
#include "query/values.h"

namespace gangplank::query {
namespace json = boost::json;
namespace {

using Args = std::vector<json::value>;

json::value Count(std::size_t n) { return json::value(static_cast<std::int64_t>(n)); }

Result<json::value> Length(const FunctionCall& call) {
  const json::value& a = call.args[0];
  if (a.is_string()) return Count(CodePointCount(a.get_string()));
  if (a.is_array()) return Count(a.get_array().size());
  if (a.is_object()) return Count(a.get_object().size());
  return TypeError(std::string(call.name), "a string, array or object", a);
}

Result<json::value> KeysOrValues(const FunctionCall& call) {
  if (!call.args[0].is_object()) return TypeError(std::string(call.name), "an object", call.args[0]);
  json::array out;
  for (const auto& [key, member] : call.args[0].get_object())
    out.push_back(call.name == "keys" ? json::value(json::string(key)) : member);
  return json::value(std::move(out));
}

Result<json::value> Contains(const FunctionCall& call) {
  const Args& args = call.args;
  if (args[0].is_string()) {
    if (!args[1].is_string()) return json::value(false);
    return json::value(std::string_view(args[0].get_string()).find(args[1].get_string()) !=
                       std::string_view::npos);
  }
  if (!args[0].is_array()) return TypeError(std::string(call.name), "an array or string", args[0]);
  const auto& array = args[0].get_array();
  return json::value(std::any_of(array.begin(), array.end(),
                                 [&](const json::value& item) { return Equal(item, args[1]); }));
}

Result<json::value> StartsOrEndsWith(const FunctionCall& call) {
  for (const auto& a : call.args)
    if (!a.is_string()) return TypeError(std::string(call.name), "strings", a);
  const std::string_view text = call.args[0].get_string(), part = call.args[1].get_string();
  return json::value(call.name == "starts_with" ? text.starts_with(part) : text.ends_with(part));
}

Result<json::value> Join(const FunctionCall& call) {
  const Args& args = call.args;
  const std::string name(call.name);
  if (!args[0].is_string()) return TypeError(name, "a string glue", args[0]);
  if (!args[1].is_array()) return TypeError(name, "an array of strings", args[1]);
  std::string out;
  bool first = true;
  for (const auto& item : args[1].get_array()) {
    if (!item.is_string()) return TypeError(name, "an array of strings", item);
    if (!first) out += args[0].get_string();
    first = false;
    out += item.get_string();
  }
  return json::value(json::string(out));
}

// sort, sort_by, max, min, max_by, min_by: keys all numbers or all strings, checked before any
// comparison; the first of equals wins, as with Python's sorted(), max() and min().
Result<json::value> Ordered(const FunctionCall& call) {
  const std::string name(call.name);
  const bool by = name.ends_with("_by");
  if (!call.args[0].is_array()) return TypeError(name, "an array", call.args[0]);
  if (by && !call.exprefs[1]) return TypeError(name, "an &expression second", call.args[1]);
  const json::array& items = call.args[0].get_array();
  std::vector<std::pair<json::value, std::size_t>> keyed;
  for (std::size_t i = 0; i < items.size(); ++i) {
    GP_ASSIGN_OR_RETURN(json::value key, by ? call.eval(*call.exprefs[1], items[i])
                                            : Result<json::value>(items[i]));
    if (!key.is_number() && !key.is_string())
      return TypeError(name, "numbers or strings", key);
    keyed.emplace_back(std::move(key), i);
  }
  for (const auto& [key, index] : keyed) GP_RETURN_IF_ERROR(Less(name, keyed.front().first, key));
  const auto less = [&](const auto& a, const auto& b) { return Less(name, a.first, b.first).value(); };
  if (name.starts_with("sort")) {
    std::stable_sort(keyed.begin(), keyed.end(), less);
    json::array out;
    for (const auto& [key, index] : keyed) out.push_back(items[index]);
    return json::value(std::move(out));
  }
  if (keyed.empty()) return json::value();
  std::size_t pick = 0;
  for (std::size_t i = 1; i < keyed.size(); ++i) {
    if (name.starts_with("max") ? less(keyed[pick], keyed[i]) : less(keyed[i], keyed[pick]))
      pick = i;
  }
  return by ? items[keyed[pick].second] : keyed[pick].first;
}

Result<json::value> SumOrAvg(const FunctionCall& call) {
  const std::string name(call.name);
  if (!call.args[0].is_array()) return TypeError(name, "an array of numbers", call.args[0]);
  double total = 0;
  bool integers = true;
  for (const auto& item : call.args[0].get_array()) {
    if (!item.is_number()) return TypeError(name, "an array of numbers", item);
    total += AsDouble(item);
    integers = integers && !item.is_double();
  }
  const auto count = call.args[0].get_array().size();
  if (name == "avg")
    return count == 0 ? json::value() : json::value(total / static_cast<double>(count));
  return integers ? Integer(total) : json::value(total);
}

Result<json::value> Rounding(const FunctionCall& call) {
  const json::value& a = call.args[0];
  if (!a.is_number()) return TypeError(std::string(call.name), "a number", a);
  const double x = AsDouble(a);
  // abs keeps the type; Python's math.floor and math.ceil give integers.
  if (call.name == "abs") return a.is_double() ? json::value(std::fabs(x)) : Integer(std::fabs(x));
  return Integer(call.name == "floor" ? std::floor(x) : std::ceil(x));
}

Result<json::value> ToString(const FunctionCall& call) {
  if (call.args[0].is_string()) return call.args[0];
  return json::value(json::string(AsciiJsonEscapes(CompactJson(call.args[0]))));
}

Result<json::value> ToNumber(const FunctionCall& call) {
  const json::value& a = call.args[0];
  if (a.is_number()) return a;
  if (!a.is_string()) return json::value();
  return PythonNumber(a.get_string());
}

Result<json::value> ToArray(const FunctionCall& call) {
  const json::value& a = call.args[0];
  return a.is_array() ? a : json::value(json::array{a});
}

Result<json::value> Type(const FunctionCall& call) {
  return json::value(json::string(TypeName(call.args[0])));
}

Result<json::value> NotNull(const FunctionCall& call) {
  for (const auto& a : call.args)
    if (!a.is_null()) return a;
  return json::value();
}

Result<json::value> Reverse(const FunctionCall& call) {
  const json::value& a = call.args[0];
  if (a.is_array()) {
    json::array out = a.get_array();
    std::reverse(out.begin(), out.end());
    return json::value(std::move(out));
  }
  if (!a.is_string()) return TypeError(std::string(call.name), "an array or string", a);
  // By code point, so multi-byte characters survive.
  const std::string_view text = a.get_string();
  std::string out;
  for (std::size_t end = text.size(); end > 0;) {
    std::size_t start = end - 1;
    while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
    out += text.substr(start, end - start);
    end = start;
  }
  return json::value(json::string(out));
}

Result<json::value> Map(const FunctionCall& call) {
  const std::string name(call.name);
  if (!call.exprefs[0]) return TypeError(name, "an &expression first", call.args[0]);
  if (!call.args[1].is_array()) return TypeError(name, "an array second", call.args[1]);
  json::array out;  // nulls included, unlike a projection
  for (const auto& item : call.args[1].get_array()) {
    GP_ASSIGN_OR_RETURN(json::value mapped, call.eval(*call.exprefs[0], item));
    out.push_back(std::move(mapped));
  }
  return json::value(std::move(out));
}

Result<json::value> Merge(const FunctionCall& call) {
  json::object out;
  for (const auto& a : call.args) {
    if (!a.is_object()) return TypeError(std::string(call.name), "objects", a);
    for (const auto& [key, member] : a.get_object()) out[key] = member;
  }
  return json::value(std::move(out));
}

constexpr std::size_t kAny = std::numeric_limits<std::size_t>::max();

struct Builtin {
  std::string_view name;
  std::size_t min_args, max_args;
  Result<json::value> (*run)(const FunctionCall&);
};

constexpr Builtin kFunctions[] = {
    {"abs", 1, 1, Rounding},          {"avg", 1, 1, SumOrAvg},
    {"ceil", 1, 1, Rounding},         {"contains", 2, 2, Contains},
    {"ends_with", 2, 2, StartsOrEndsWith}, {"floor", 1, 1, Rounding},
    {"join", 2, 2, Join},             {"keys", 1, 1, KeysOrValues},
    {"length", 1, 1, Length},         {"map", 2, 2, Map},
    {"max", 1, 1, Ordered},           {"max_by", 2, 2, Ordered},
    {"merge", 1, kAny, Merge},        {"min", 1, 1, Ordered},
    {"min_by", 2, 2, Ordered},        {"not_null", 1, kAny, NotNull},
    {"reverse", 1, 1, Reverse},       {"sort", 1, 1, Ordered},
    {"sort_by", 2, 2, Ordered},       {"starts_with", 2, 2, StartsOrEndsWith},
    {"sum", 1, 1, SumOrAvg},          {"to_array", 1, 1, ToArray},
    {"to_number", 1, 1, ToNumber},    {"to_string", 1, 1, ToString},
    {"type", 1, 1, Type},             {"values", 1, 1, KeysOrValues},
};

}  // namespace

Result<json::value> CallFunction(const FunctionCall& call) {
  const auto* found = std::find_if(std::begin(kFunctions), std::end(kFunctions),
                                   [&](const Builtin& row) { return row.name == call.name; });
  if (found == std::end(kFunctions)) {
    return MakeError(StatusCode::kInvalidArgument, "InvalidQuery",
                     "--query: unknown function " + std::string(call.name) + "()");
  }
  const std::size_t given = call.args.size();
  if (given < found->min_args || given > found->max_args) {
    const std::size_t count = found->min_args;
    return MakeError(StatusCode::kInvalidArgument, "InvalidQuery",
                     "--query: " + std::string(call.name) + "() takes " + std::to_string(count) +
                         " argument" + (count == 1 ? "" : "s") + ", got " +
                         std::to_string(given));
  }
  return found->run(call);
}

}  // namespace gangplank::query
