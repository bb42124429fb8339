// Resource groups: name rules, decoding and the PUT plan.
#include "resources/resource_group.h"

#include <algorithm>
#include <boost/json.hpp>

#include "common/json_fields.h"
#include "resources/location.h"
#include "resources/spec_checks.h"

namespace gangplank::resources {
namespace json = boost::json;

Status CheckGroupName(std::string_view name) {
  const auto allowed = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.' || c == '(' || c == ')';
  };
  if (!name.empty() && name.size() <= 90 && name.back() != '.' &&
      std::all_of(name.begin(), name.end(), allowed)) {
    return OkStatus();
  }
  return InvalidInput("InvalidResourceGroupName",
                      "Resource group names are 1-90 letters, digits, '_', '-', '.', '(' or ')', "
                      "and do not end in '.'.",
                      "resourceGroupName");
}

Result<GroupSpec> DecodeGroupSpec(std::string_view body) {
  GP_ASSIGN_OR_RETURN(json::object group, DecodeBody(body, R"({"location": "westus2"})"));
  const json::value* location = group.if_contains("location");
  if (location == nullptr || !location->is_string() || location->get_string().empty()) {
    return InvalidInput("LocationRequired",
                        "The location property is required for this definition.", "location");
  }
  auto region = NormalizeLocation(location->get_string(), "LocationNotAvailableForResourceGroup");
  if (!region) {
    Error error = region.error();
    error.target = "location";
    return error;
  }
  group["location"] = *region;
  if (const json::value* tags = group.if_contains("tags")) GP_RETURN_IF_ERROR(CheckTags(*tags));
  return GroupSpec{std::move(group), std::move(region.value())};
}

Result<json::object> PlanGroupPut(const std::optional<store::Resource>& existing, GroupSpec spec,
                                  const std::string& id, const std::string& name) {
  json::object& group = spec.resource;
  group["id"] = id;
  group["name"] = name;
  if (existing) {
    const json::object kept = json::parse(existing->body).as_object();
    if (kept.at("location") != json::value(spec.location)) {
      return MakeError(StatusCode::kFailedPrecondition, "InvalidResourceGroupLocation",
                       "Invalid resource group location '" + spec.location +
                           "'. The resource group already exists in location '" +
                           std::string(kept.at("location").as_string()) + "'.",
                       "location");
    }
    group["id"] = existing->id;
    group["name"] = kept.at("name");
  }
  group["type"] = kGroupType;
  json::object properties;
  if (const json::value* sent = group.if_contains("properties"); sent && sent->is_object())
    properties = sent->get_object();
  properties["provisioningState"] = "Succeeded";
  group["properties"] = std::move(properties);
  if (!group.contains("tags")) group["tags"] = json::object{};
  return std::move(group);
}

Result<store::Resource> MarkGroupDeleting(const store::Resource& group) {
  auto doc = ParseJsonObject(group.body);
  if (!doc) {
    return MakeError(StatusCode::kInternal, "UnreadableResourceGroup",
                     "the stored resource group " + group.id + " is not a JSON object");
  }
  json::value& properties = (*doc)["properties"];
  if (!properties.is_object()) properties.emplace_object();
  properties.get_object()["provisioningState"] = "Deleting";
  store::Resource deleting = group;
  deleting.body = json::serialize(*doc);
  return deleting;
}

}  // namespace gangplank::resources
