// Resource groups: PUT/GET/HEAD/DELETE and list, stored with every field the client sent.
#include <boost/json.hpp>

#include "api/arm_response.h"
#include "api/cluster_spec.h"
#include "api/handlers.h"
#include "controller/cluster_docs.h"

namespace gangplank::api {
namespace json = boost::json;

namespace {

constexpr std::string_view kKind = "resourceGroup";

// ARM: 1-90 characters, letters, digits, '_', '-', '.', '(' and ')', not ending in '.'.
bool IsValidGroupName(std::string_view name) {
  if (name.empty() || name.size() > 90 || name.back() == '.') return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.' || c == '(' || c == ')';
    if (!ok) return false;
  }
  return true;
}

HttpResponse GroupNotFound(const ApiRequest& request, std::string_view name) {
  return ArmErrorResponse(request.http, HttpStatus::not_found, "ResourceGroupNotFound",
                          "Resource group '" + std::string(name) + "' could not be found.");
}

HttpResponse StoreFailure(const ApiRequest& request, const Error& error) {
  return ArmErrorResponse(request.http, error);
}

HttpResponse PutGroup(const ApiRequest& request, const HandlerContext& context,
                      const std::string& id, const std::string& name, const std::string& parent) {
  boost::system::error_code ec;
  json::value body = json::parse(request.http.body(), ec);
  if (ec || !body.is_object()) {
    return ArmErrorResponse(request.http, HttpStatus::bad_request, "InvalidRequestContent",
                            "The request content is not valid JSON: a resource group is a JSON "
                            "object such as {\"location\": \"westus2\"}.");
  }
  json::object& group = body.get_object();
  const json::value* location = group.if_contains("location");
  if (location == nullptr || !location->is_string() || location->get_string().empty()) {
    return ArmErrorResponse(request.http, HttpStatus::bad_request, "LocationRequired",
                            "The location property is required for this definition.", "location");
  }
  if (const json::value* tags = group.if_contains("tags"); tags && !tags->is_null()) {
    if (auto error = CheckTags(*tags)) {
      return ArmErrorResponse(request.http, HttpStatus::bad_request, error->code, error->message,
                              error->target);
    }
  }
  auto existing = context.store.Get(kKind, id);
  if (!existing) return StoreFailure(request, existing.error());
  // Read-only fields are the server's, whatever the client sent; unknown fields are kept.
  group["id"] = existing->has_value() ? json::value(existing->value().id) : json::value(id);
  group["name"] =
      existing->has_value() ? json::parse(existing->value().body).at("name") : json::value(name);
  group["type"] = "Microsoft.Resources/resourceGroups";
  json::object properties;
  if (const json::value* sent = group.if_contains("properties"); sent && sent->is_object()) {
    properties = sent->get_object();
  }
  properties["provisioningState"] = "Succeeded";
  group["properties"] = std::move(properties);
  if (!group.contains("tags")) group["tags"] = json::object{};
  auto stored = context.store.Put({std::string(kKind), id, parent, json::serialize(group), 0},
                                  store::Precondition::Any());
  if (!stored) return StoreFailure(request, stored.error());
  return JsonResponse(request.http, stored->version == 1 ? HttpStatus::created : HttpStatus::ok,
                      group);
}

}  // namespace

HttpResponse HandleGroupResources(const ApiRequest& request, const HandlerContext& context) {
  if (request.http.method() != HttpVerb::get) {
    return ArmErrorResponse(request.http, HttpStatus::method_not_allowed, "MethodNotAllowed",
                            "list a resource group's resources with GET");
  }
  const std::string group_id =
      "/subscriptions/" + request.segments[1] + "/resourceGroups/" + request.segments[3];
  auto group = context.store.Get(kKind, group_id);
  if (!group) return StoreFailure(request, group.error());
  if (!group->has_value()) return GroupNotFound(request, request.segments[3]);
  // The group's managed clusters (the only top-level resources Gangplank has), as ARM's generic
  // resource list shows them.
  auto clusters = context.store.List(controller::kClusterKind, group_id);
  if (!clusters) return StoreFailure(request, clusters.error());
  json::array value;
  for (const auto& row : *clusters) {
    const json::object resource = json::parse(row.body).at("resource").as_object();
    json::object item{{"id", resource.at("id")},
                      {"name", resource.at("name")},
                      {"type", resource.at("type")},
                      {"location", resource.at("location")}};
    if (const json::value* tags = resource.if_contains("tags")) item["tags"] = *tags;
    if (const json::value* identity = resource.if_contains("identity")) item["identity"] = *identity;
    value.push_back(std::move(item));
  }
  return JsonResponse(request.http, HttpStatus::ok, json::object{{"value", std::move(value)}});
}

HttpResponse HandleResourceGroups(const ApiRequest& request, const HandlerContext& context) {
  const std::string& subscription = request.segments[1];
  const std::string parent = "/subscriptions/" + subscription;
  if (request.segments.size() == 3) {
    if (request.http.method() != HttpVerb::get) {
      return ArmErrorResponse(request.http, HttpStatus::method_not_allowed, "MethodNotAllowed",
                              "list resource groups with GET");
    }
    auto groups = context.store.List(kKind, parent);
    if (!groups) return StoreFailure(request, groups.error());
    json::array value;
    for (const auto& group : *groups) value.push_back(json::parse(group.body));
    return JsonResponse(request.http, HttpStatus::ok, json::object{{"value", std::move(value)}});
  }

  const std::string& name = request.segments[3];
  if (!IsValidGroupName(name)) {
    return ArmErrorResponse(request.http, HttpStatus::bad_request, "InvalidResourceGroupName",
                            "Resource group names are 1-90 letters, digits, '_', '-', '.', '(' "
                            "or ')', and do not end in '.'.",
                            "resourceGroupName");
  }
  const std::string id = parent + "/resourceGroups/" + name;
  switch (request.http.method()) {
    case HttpVerb::put:
      return PutGroup(request, context, id, name, parent);
    case HttpVerb::get:
    case HttpVerb::head: {
      auto group = context.store.Get(kKind, id);
      if (!group) return StoreFailure(request, group.error());
      if (!group->has_value()) {
        if (request.http.method() == HttpVerb::head) {
          return EmptyResponse(request.http, HttpStatus::not_found);
        }
        return GroupNotFound(request, name);
      }
      if (request.http.method() == HttpVerb::head) {
        return EmptyResponse(request.http, HttpStatus::no_content);
      }
      return JsonResponse(request.http, HttpStatus::ok, json::parse(group->value().body));
    }
    case HttpVerb::delete_: {
      Status deleted = context.store.Delete(kKind, id, store::Precondition::Any());
      if (!deleted.ok() && deleted.error().code == StatusCode::kNotFound) {
        return GroupNotFound(request, name);
      }
      if (!deleted.ok()) return StoreFailure(request, deleted.error());
      return EmptyResponse(request.http, HttpStatus::ok);
    }
    default:
      return ArmErrorResponse(request.http, HttpStatus::method_not_allowed, "MethodNotAllowed",
                              "resource groups take PUT, GET, HEAD or DELETE");
  }
}

}  // namespace gangplank::api
