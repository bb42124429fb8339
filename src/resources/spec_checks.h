// Checks that every request body shares: field types, tags, and the errors they answer with.
#pragma once

#include <boost/json/object.hpp>
#include <initializer_list>
#include <string>

#include "common/error.h"

namespace gangplank::resources {

// 400 InvalidParameter and 400 QuotaExceeded, with the input's path as the target.
inline Error Invalid(std::string message, std::string target) {
  return InvalidInput("InvalidParameter", std::move(message), std::move(target));
}
inline Error OverQuota(std::string message, std::string target) {
  return InvalidInput("QuotaExceeded", std::move(message), std::move(target));
}

// A request body as a JSON object, or 400 InvalidRequestContent showing `example`.
Result<boost::json::object> DecodeBody(std::string_view body, std::string_view example);

// A 400 when any of `names` is present in `object` with a value that is neither an object nor null.
Status CheckObjectFields(const boost::json::object& object,
                         std::initializer_list<const char*> names, const std::string& path);

// A 400 when any of `names` is present in `object` with a value that is neither a string nor null.
Status CheckStringFields(const boost::json::object& object,
                         std::initializer_list<const char*> names, const std::string& path);

// ARM's rules for `tags`: an object of at most 50 string values, names of 1-512 characters
// without < > % & \ ? /, values of at most 256. Null is no tags.
Status CheckTags(const boost::json::value& tags);

}  // namespace gangplank::resources

namespace gangplank::resources {

// 409 for a change to a stopped cluster or pool (`what` names it: "Managed cluster 'c1'").
Error StoppedError(const std::string& what);

}  // namespace gangplank::resources
