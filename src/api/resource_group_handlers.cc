// Resource groups: PUT/GET/HEAD and list, stored with every field the client sent; DELETE is a
// long-running operation that removes every node of the group's clusters first.
#include <boost/beast/http/field.hpp>
#include <boost/json.hpp>

#include "api/arm_response.h"
#include "api/resource_manager.h"
#include "controller/operations.h"
#include "resources/cluster_docs.h"
#include "resources/records.h"
#include "resources/resource_group.h"

namespace gangplank::api {
namespace json = boost::json;

namespace {

constexpr std::string_view kKind = resources::kGroupKind;

Error GroupNotFound(std::string_view name) {
  return MakeError(StatusCode::kNotFound, "ResourceGroupNotFound",
                   "Resource group '" + std::string(name) + "' could not be found.");
}

// The group the call names (its name checked first), or 404.
Result<store::Resource> ReadGroup(const ArmCall& call) {
  GP_RETURN_IF_ERROR(resources::CheckGroupName(call.names.group));
  GP_ASSIGN_OR_RETURN(auto group, call.context.store.Get(kKind, call.names.group_id()));
  if (!group) return GroupNotFound(call.names.group);
  return std::move(*group);
}

std::string OperationPrefix(const std::string& subscription) {
  return "/subscriptions/" + subscription + "/operationresults/";
}

// 202 with the Location a client polls until the deletion ends.
HttpResponse DeletionAccepted(const ArmCall& call, const std::string& operation_id) {
  HttpResponse response = EmptyResponse(call.request.http, HttpStatus::accepted);
  const auto api_version = call.request.Query("api-version");
  response.set(boost::beast::http::field::location,
               ResourceUrl(call.context.config.server_url, operation_id,
                           api_version.value_or("2022-09-01")));
  response.set(boost::beast::http::field::retry_after, "1");
  return response;
}

// Why a group's deletion could not start: the cluster whose operation holds its lock, or a
// concurrent change.
Error DeleteRefused(const ArmCall& call, const std::vector<std::string>& cluster_locks) {
  for (const auto& cluster_lock : cluster_locks) {
    auto holder = call.context.operations.LockHolder(cluster_lock);
    if (!holder || !holder->has_value()) continue;
    const std::string cluster = cluster_lock.substr(0, cluster_lock.rfind('/'));
    return MakeError(StatusCode::kFailedPrecondition, "OperationNotAllowed",
                     "Resource group '" + call.names.group +
                         "' cannot be deleted while an operation (" + (*holder)->type +
                         ") runs on managed cluster '" + cluster.substr(cluster.rfind('/') + 1) +
                         "'; wait for it to finish (az aks wait) and delete the group again.");
  }
  return MakeError(StatusCode::kAborted, "Conflict",
                   "Resource group '" + call.names.group +
                       "' was changed by another request meanwhile; retry the delete.");
}

}  // namespace

ArmAnswer ListGroups(const ArmCall& call) {
  GP_RETURN_IF_ERROR(RequireOurSubscription(call));
  GP_ASSIGN_OR_RETURN(const auto groups,
                      call.context.store.List(kKind, "/subscriptions/" + call.names.subscription));
  json::array value;
  for (const auto& group : groups) {
    GP_ASSIGN_OR_RETURN(
        const bool readable,
        CallerMay(call, "Microsoft.Resources/subscriptions/resourceGroups/read", group.id));
    if (readable) value.push_back(json::parse(group.body));  // what the caller may read
  }
  return JsonResponse(call.request.http, HttpStatus::ok, json::object{{"value", std::move(value)}});
}

ArmAnswer GetGroup(const ArmCall& call) {
  GP_RETURN_IF_ERROR(RequireOurSubscription(call));
  GP_ASSIGN_OR_RETURN(const auto group, ReadGroup(call));
  return JsonResponse(call.request.http, HttpStatus::ok, json::parse(group.body));
}

// ARM's existence check: 204 or a 404 without a body.
ArmAnswer HeadGroup(const ArmCall& call) {
  GP_RETURN_IF_ERROR(RequireOurSubscription(call));
  auto group = ReadGroup(call);
  if (!group && group.error().code == StatusCode::kNotFound)
    return EmptyResponse(call.request.http, HttpStatus::not_found);
  if (!group) return group.error();
  return EmptyResponse(call.request.http, HttpStatus::no_content);
}

ArmAnswer PutGroup(const ArmCall& call) {
  GP_RETURN_IF_ERROR(RequireOurSubscription(call));
  GP_RETURN_IF_ERROR(resources::CheckGroupName(call.names.group));
  GP_ASSIGN_OR_RETURN(auto spec, resources::DecodeGroupSpec(call.request.http.body()));
  store::Store& store = call.context.store;
  const std::string id = call.names.group_id();
  GP_ASSIGN_OR_RETURN(const auto existing, store.Get(kKind, id));
  GP_ASSIGN_OR_RETURN(const json::object group,
                      resources::PlanGroupPut(existing, std::move(spec), id, call.names.group));
  // Not while the group is being deleted (its lock is held until the deletion ends).
  const std::string lock = controller::OperationLockId(id);
  auto stored = store.Apply(
      {store::Mutation::Put({std::string(kKind), id, "/subscriptions/" + call.names.subscription,
                             json::serialize(group), 0},
                            existing ? store::Precondition::AtVersion(existing->version)
                                     : store::Precondition::Absent()),
       store::Mutation::Check(std::string(controller::kOperationLockKind), lock,
                              store::Precondition::Absent())});
  if (!stored && stored.error().code == StatusCode::kAborted) {
    auto held = store.Get(controller::kOperationLockKind, lock);
    if (held && held->has_value()) {
      return MakeError(StatusCode::kFailedPrecondition, "ResourceGroupBeingDeleted",
                       "The resource group '" + call.names.group +
                           "' is in deprovisioning state and cannot perform this operation; "
                           "wait until its deletion ends.");
    }
  }
  if (!stored) return stored.error();
  return JsonResponse(call.request.http,
                      stored->front().version == 1 ? HttpStatus::created : HttpStatus::ok, group);
}

// DELETE: refused (409) while an operation runs on one of the group's clusters; otherwise the
// group's lock is taken (nothing new starts in it) and the operation removes everything.
ArmAnswer DeleteGroup(const ArmCall& call) {
  GP_RETURN_IF_ERROR(RequireOurSubscription(call));
  GP_RETURN_IF_ERROR(resources::CheckGroupName(call.names.group));
  const std::string id = call.names.group_id();
  const std::string lock = controller::OperationLockId(id);
  controller::OperationsEngine& operations = call.context.operations;
  // A second DELETE while one runs answers like the first.
  if (auto holder = operations.LockHolder(lock);
      holder && holder->has_value() && (*holder)->status == "InProgress") {
    return DeletionAccepted(call, (*holder)->id);
  }
  GP_ASSIGN_OR_RETURN(const store::Resource group, ReadGroup(call));
  GP_ASSIGN_OR_RETURN(const auto clusters, call.context.store.List(resources::kClusterKind, id));
  GP_ASSIGN_OR_RETURN(store::Resource deleting, resources::MarkGroupDeleting(group));
  std::vector<store::Mutation> changes{
      store::Mutation::Put(std::move(deleting), store::Precondition::AtVersion(group.version))};
  std::vector<std::string> busy_if_held;
  for (const auto& cluster : clusters)
    busy_if_held.push_back(controller::OperationLockId(cluster.id));
  auto started = operations.Begin(OperationPrefix(call.names.subscription), resources::kDeleteGroup,
                                  id, controller::Locking{lock, busy_if_held}, OriginOf(call));
  for (auto& record : started.records) changes.push_back(std::move(record));
  auto applied = call.context.store.Apply(changes);
  if (applied) return DeletionAccepted(call, started.operation.id);
  if (applied.error().code != StatusCode::kAborted) return applied.error();
  return DeleteRefused(call, busy_if_held);
}

// The group's managed clusters (the only top-level resources Gangplank has), as ARM's generic
// resource list shows them.
ArmAnswer ListGroupResources(const ArmCall& call) {
  GP_RETURN_IF_ERROR(RequireOurSubscription(call));
  GP_ASSIGN_OR_RETURN(const store::Resource group, ReadGroup(call));
  GP_ASSIGN_OR_RETURN(const auto clusters,
                      call.context.store.List(resources::kClusterKind, group.id));
  json::array value;
  for (const auto& row : clusters) {
    GP_ASSIGN_OR_RETURN(const auto cluster, resources::ClusterRecord::Decode(row));
    const json::object& resource = cluster.resource;
    json::object item{{"id", resource.at("id")},
                      {"name", resource.at("name")},
                      {"type", resource.at("type")},
                      {"location", resource.at("location")}};
    for (const char* optional : {"tags", "identity"})
      if (const json::value* field = resource.if_contains(optional)) item[optional] = *field;
    value.push_back(std::move(item));
  }
  return JsonResponse(call.request.http, HttpStatus::ok, json::object{{"value", std::move(value)}});
}

ArmAnswer GetGroupOperationResult(const ArmCall& call) {
  GP_RETURN_IF_ERROR(RequireOurSubscription(call));
  GP_ASSIGN_OR_RETURN(
      const auto operation,
      call.context.operations.Get(OperationPrefix(call.names.subscription) + call.operation));
  if (!operation) {
    return MakeError(StatusCode::kNotFound, "NotFound",
                     "Operation '" + call.operation.substr(0, 64) + "' was not found.");
  }
  GP_RETURN_IF_ERROR(RequireMayFollow(call, "Microsoft.Resources/subscriptions/resourceGroups/read",
                                      operation->target));
  if (operation->status == "InProgress") return DeletionAccepted(call, operation->id);
  if (operation->status == "Failed" && operation->error) {
    return ArmErrorResponse(call.request.http, HttpStatus::bad_request, operation->error->reason,
                            operation->error->message);
  }
  return EmptyResponse(call.request.http, HttpStatus::ok);
}

}  // namespace gangplank::api
