// Reading the JSON documents the store keeps: a field that is missing or of another type reads
// as empty, a document that is not an object as nullopt.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gangplank {

inline std::string StringField(const boost::json::object& object, std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  return value && value->is_string() ? std::string(value->get_string()) : std::string();
}

// The strings of an array field (other items skipped).
inline std::vector<std::string> StringsField(const boost::json::object& object,
                                             std::string_view key) {
  std::vector<std::string> out;
  const boost::json::value* value = object.if_contains(key);
  if (value == nullptr || !value->is_array()) return out;
  for (const boost::json::value& item : value->get_array())
    if (item.is_string()) out.emplace_back(item.get_string());
  return out;
}

inline std::optional<boost::json::object> ParseJsonObject(std::string_view text) {
  boost::system::error_code ec;
  boost::json::value doc = boost::json::parse(text, ec);
  if (ec || !doc.is_object()) return std::nullopt;
  return std::move(doc.get_object());
}

}  // namespace gangplank
