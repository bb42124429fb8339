// Checks that every request body shares.
#include "resources/spec_checks.h"

#include <boost/json.hpp>

namespace gangplank::resources {
namespace json = boost::json;

namespace {

Status CheckFields(const json::object& object, std::initializer_list<const char*> names,
                   const std::string& path, bool (json::value::*is_kind)() const noexcept,
                   std::string_view kind) {
  for (const char* name : names) {
    const json::value* value = object.if_contains(name);
    if (value != nullptr && !(value->*is_kind)() && !value->is_null()) {
      return Invalid(std::string(name) + " must be " + std::string(kind) + ".",
                     path.empty() ? name : path + "." + name);
    }
  }
  return OkStatus();
}

}  // namespace

Status CheckObjectFields(const json::object& object, std::initializer_list<const char*> names,
                         const std::string& path) {
  return CheckFields(object, names, path, &json::value::is_object, "an object");
}

Status CheckStringFields(const json::object& object, std::initializer_list<const char*> names,
                         const std::string& path) {
  return CheckFields(object, names, path, &json::value::is_string, "a string");
}

Status CheckTags(const json::value& tags) {
  constexpr std::size_t kMaxTags = 50, kMaxName = 512, kMaxValue = 256;
  if (tags.is_null()) return OkStatus();
  if (!tags.is_object())
    return InvalidInput("InvalidTagsFormat", "tags must be an object of string values.", "tags");
  if (tags.get_object().size() > kMaxTags) {
    return InvalidInput("InvalidTagsFormat",
                        "At most 50 tags are allowed; this request has " +
                            std::to_string(tags.get_object().size()) + ".",
                        "tags");
  }
  for (const auto& [name, value] : tags.get_object()) {
    if (name.empty() || name.size() > kMaxName ||
        name.find_first_of("<>%&\\?/") != std::string_view::npos) {
      return InvalidInput("InvalidTagNameCharacters",
                          "Tag names are 1-512 characters without < > % & \\ ? /.", "tags");
    }
    if (!value.is_string() || value.get_string().size() > kMaxValue) {
      return InvalidInput("InvalidTagsFormat",
                          "The value of tag '" + std::string(name.substr(0, 64)) +
                              "' must be a string of at most 256 characters.",
                          "tags");
    }
  }
  return OkStatus();
}

}  // namespace gangplank::resources

namespace gangplank::resources {

Error StoppedError(const std::string& what) {
  return MakeError(StatusCode::kFailedPrecondition, "OperationNotAllowed",
                   what + " is stopped: nothing but a start is allowed on it; start it first (az "
                          "aks start, or az aks nodepool start for a pool).");
}

Result<json::object> DecodeBody(std::string_view body, std::string_view example) {
  boost::system::error_code ec;
  json::value value = json::parse(body, ec);
  if (ec || !value.is_object()) {
    return InvalidInput("InvalidRequestContent",
                        "The request content is not a valid JSON object; expected something "
                        "like " + std::string(example) + ".",
                        "");
  }
  return std::move(value.get_object());
}

}  // namespace gangplank::resources
