// Reading the JSON documents the store keeps: a field that is missing or of another type reads
// as empty, a document that is not an object as nullopt.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace gangplank {

inline std::string StringField(const boost::json::object& object, std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  return value && value->is_string() ? std::string(value->get_string()) : std::string();
}

inline std::optional<boost::json::object> ParseJsonObject(std::string_view text) {
  boost::system::error_code ec;
  boost::json::value doc = boost::json::parse(text, ec);
  if (ec || !doc.is_object()) return std::nullopt;
  return std::move(doc.get_object());
}

}  // namespace gangplank
