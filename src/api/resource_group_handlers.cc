// Resource groups: PUT/GET/HEAD and list, stored with every field the client sent; DELETE is a
// long-running operation that removes every node of the group's clusters first.
#include <boost/beast/http/field.hpp>
#include <boost/json.hpp>

#include "api/arm_response.h"
#include "api/handlers.h"
#include "controller/operations.h"
#include "resources/cluster_docs.h"
#include "resources/location.h"
#include "resources/spec_checks.h"

namespace gangplank::api {
namespace json = boost::json;

namespace {

constexpr std::string_view kKind = resources::kGroupKind;

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

HttpResponse BeingDeleted(const ApiRequest& request, std::string_view name) {
  return ArmErrorResponse(request.http, HttpStatus::conflict, "ResourceGroupBeingDeleted",
                          "The resource group '" + std::string(name) +
                              "' is in deprovisioning state and cannot perform this operation; "
                              "wait until its deletion ends.");
}

std::string OperationPrefix(const std::string& subscription) {
  return "/subscriptions/" + subscription + "/operationresults/";
}

// 202 with the Location a client polls until the deletion ends.
HttpResponse DeletionAccepted(const ApiRequest& request, const HandlerContext& context,
                              const std::string& operation_id) {
  HttpResponse response = EmptyResponse(request.http, HttpStatus::accepted);
  const auto api_version = request.Query("api-version");
  response.set(boost::beast::http::field::location,
               ResourceUrl(context.config.server_url, operation_id,
                           api_version.value_or("2022-09-01")));
  response.set(boost::beast::http::field::retry_after, "1");
  return response;
}

// DELETE: refused (409) while an operation runs on one of the group's clusters; otherwise the
// group's lock is taken (nothing new starts in it) and the operation removes everything.
HttpResponse DeleteGroup(const ApiRequest& request, const HandlerContext& context,
                         const std::string& id, const std::string& name) {
  const std::string lock = controller::OperationLockId(id);
  // A second DELETE while one runs answers like the first.
  if (auto holder = context.operations.LockHolder(lock); holder && holder->has_value() &&
                                                         (*holder)->status == "InProgress") {
    return DeletionAccepted(request, context, (*holder)->id);
  }
  auto group = context.store.Get(kKind, id);
  if (!group) return StoreFailure(request, group.error());
  if (!group->has_value()) return GroupNotFound(request, name);
  auto clusters = context.store.List(resources::kClusterKind, id);
  if (!clusters) return StoreFailure(request, clusters.error());
  json::object doc = json::parse((*group)->body).as_object();
  doc["properties"].as_object()["provisioningState"] = "Deleting";
  std::vector<store::Mutation> changes{store::Mutation::Put(
      {std::string(kKind), id, (*group)->parent, json::serialize(doc), 0},
      store::Precondition::AtVersion((*group)->version))};
  std::vector<std::string> busy_if_held;
  for (const auto& cluster : *clusters) {
    busy_if_held.push_back(controller::OperationLockId(cluster.id));
  }
  auto started = context.operations.Begin(OperationPrefix(request.segments[1]),
                                          resources::kDeleteGroup, id,
                                          controller::Locking{lock, busy_if_held});
  for (auto& record : started.records) changes.push_back(std::move(record));
  auto applied = context.store.Apply(changes);
  if (applied) return DeletionAccepted(request, context, started.operation.id);
  if (applied.error().code != StatusCode::kAborted) return StoreFailure(request, applied.error());
  for (const auto& cluster_lock : busy_if_held) {
    auto holder = context.operations.LockHolder(cluster_lock);
    if (!holder || !holder->has_value()) continue;
    const std::string cluster = cluster_lock.substr(0, cluster_lock.rfind('/'));
    return ArmErrorResponse(
        request.http, HttpStatus::conflict, "OperationNotAllowed",
        "Resource group '" + name + "' cannot be deleted while an operation (" +
            (*holder)->type + ") runs on managed cluster '" +
            cluster.substr(cluster.rfind('/') + 1) +
            "'; wait for it to finish (az aks wait) and delete the group again.");
  }
  return ArmErrorResponse(request.http, HttpStatus::conflict, "Conflict",
                          "Resource group '" + name +
                              "' was changed by another request meanwhile; retry the delete.");
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
  auto region =
      resources::NormalizeLocation(location->get_string(), "LocationNotAvailableForResourceGroup");
  if (!region) return ArmErrorResponse(request.http, region.error(), "location");
  group["location"] = *region;
  if (const json::value* tags = group.if_contains("tags")) {
    if (Status checked = resources::CheckTags(*tags); !checked)
      return ArmErrorResponse(request.http, checked.error());
  }
  auto existing = context.store.Get(kKind, id);
  if (!existing) return StoreFailure(request, existing.error());
  if (existing->has_value()) {
    const json::value kept = json::parse(existing->value().body);
    if (kept.at("location") != json::value(*region)) {
      return ArmErrorResponse(request.http, HttpStatus::conflict, "InvalidResourceGroupLocation",
                              "Invalid resource group location '" + *region +
                                  "'. The resource group already exists in location '" +
                                  std::string(kept.at("location").as_string()) + "'.",
                              "location");
    }
  }
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
  // Not while the group is being deleted (its lock is held until the deletion ends).
  auto stored = context.store.Apply(
      {store::Mutation::Put({std::string(kKind), id, parent, json::serialize(group), 0},
                            existing->has_value()
                                ? store::Precondition::AtVersion((*existing)->version)
                                : store::Precondition::Absent()),
       store::Mutation::Check(std::string(controller::kOperationLockKind),
                              controller::OperationLockId(id), store::Precondition::Absent())});
  if (!stored && stored.error().code == StatusCode::kAborted) {
    auto lock = context.store.Get(controller::kOperationLockKind, controller::OperationLockId(id));
    if (lock && lock->has_value()) return BeingDeleted(request, name);
    return ArmErrorResponse(request.http, HttpStatus::conflict, "Conflict",
                            "Resource group '" + name +
                                "' was changed by another request meanwhile; retry.");
  }
  if (!stored) return StoreFailure(request, stored.error());
  return JsonResponse(request.http,
                      stored->front().version == 1 ? HttpStatus::created : HttpStatus::ok, group);
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
  auto clusters = context.store.List(resources::kClusterKind, group_id);
  if (!clusters) return StoreFailure(request, clusters.error());
  json::array value;
  for (const auto& row : *clusters) {
    auto cluster = resources::ClusterRecord::Decode(row);
    if (!cluster) return StoreFailure(request, cluster.error());
    const json::object& resource = cluster->resource;
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
    case HttpVerb::delete_:
      return DeleteGroup(request, context, id, name);
    default:
      return ArmErrorResponse(request.http, HttpStatus::method_not_allowed, "MethodNotAllowed",
                              "resource groups take PUT, GET, HEAD or DELETE");
  }
}

HttpResponse HandleGroupOperationResult(const ApiRequest& request, const HandlerContext& context) {
  if (request.http.method() != HttpVerb::get) {
    return ArmErrorResponse(request.http, HttpStatus::method_not_allowed, "MethodNotAllowed",
                            "poll an operation result with GET");
  }
  auto operation = context.operations.Get(OperationPrefix(request.segments[1]) + request.segments[3]);
  if (!operation) return StoreFailure(request, operation.error());
  if (!operation->has_value()) {
    return ArmErrorResponse(request.http, HttpStatus::not_found, "NotFound",
                            "Operation '" + request.segments[3].substr(0, 64) + "' was not found.");
  }
  const controller::Operation& op = **operation;
  if (op.status == "InProgress") return DeletionAccepted(request, context, op.id);
  if (op.status == "Failed" && op.error) {
    return ArmErrorResponse(request.http, HttpStatus::bad_request, op.error->reason,
                            op.error->message);
  }
  return EmptyResponse(request.http, HttpStatus::ok);
}

}  // namespace gangplank::api
