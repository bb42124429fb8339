// What the Microsoft.ContainerService handlers share (container_service.h).
#include "api/container_service.h"

#include <algorithm>
#include <boost/beast/http/field.hpp>

#include "api/activity.h"
#include "resources/arm_views.h"
#include "resources/limits.h"
#include "resources/machine_store.h"

namespace gangplank::api {
namespace http = boost::beast::http;

std::string Etag(std::int64_t version) { return "\"" + std::to_string(version) + "\""; }

std::optional<json::object> ParseObject(const std::string& body) {
  auto decoded = resources::DecodeBody(body, "");
  if (!decoded) return std::nullopt;
  return std::move(decoded.value());
}

Error BusyError(const std::string& cluster) {
  return MakeError(StatusCode::kFailedPrecondition, "OperationNotAllowed",
                   "Operation is not allowed because there's an in progress operation on managed "
                   "cluster '" +
                       cluster + "'; wait for it to finish and retry.");
}

Error ClusterNotFoundError(const ResourceNames& names) {
  return MakeError(StatusCode::kNotFound, "ResourceNotFound",
                   "The Resource 'Microsoft.ContainerService/managedClusters/" + names.cluster +
                       "' under resource group '" + names.group + "' was not found.");
}

namespace {

// `not_found`, unless the group of the call is missing too.
Error InGroup(const ArmCall& call, Error not_found) {
  if (Status group = RequireGroup(call); !group) return group.error();
  return not_found;
}

}  // namespace

Error ClusterNotFoundError(const ArmCall& call) {
  return InGroup(call, ClusterNotFoundError(call.names));
}

Error PoolNotFoundError(const ArmCall& call) {
  return InGroup(
      call, MakeError(StatusCode::kNotFound, "NotFound",
                      "Agent pool '" + call.names.pool + "' was not found in managed cluster '" +
                          call.names.cluster + "'."));
}

Error GroupNotFoundError(const std::string& group) {
  return MakeError(StatusCode::kNotFound, "ResourceGroupNotFound",
                   "Resource group '" + group + "' could not be found.");
}

Status RequireGroup(const ArmCall& call) {
  GP_ASSIGN_OR_RETURN(const auto group, call.context.store.Get(kGroupKind, call.names.group_id()));
  if (!group) return GroupNotFoundError(call.names.group);
  return OkStatus();
}

resources::LatestImage LatestImages(const HandlerContext& context) {
  return [&images = context.images](const std::string& os_sku) { return images.Latest(os_sku); };
}

Result<std::vector<resources::PoolRecord>> PoolRecordsOf(store::Store& store,
                                                         const std::string& cluster_id) {
  GP_ASSIGN_OR_RETURN(const std::vector<store::Resource> rows, PoolsOf(store, cluster_id));
  std::vector<resources::PoolRecord> pools;
  for (const store::Resource& row : rows) {
    GP_ASSIGN_OR_RETURN(resources::PoolRecord pool, resources::PoolRecord::Decode(row));
    pools.push_back(std::move(pool));
  }
  return pools;
}

// The cluster as ARM shows it: the stored resource plus agentPoolProfiles built from its pools.
Result<json::object> ClusterView(store::Store& store, const store::Resource& row,
                                 std::string_view api_version) {
  auto record = resources::ClusterRecord::Decode(row);
  if (!record) return record.error();
  json::object& resource = record->resource;
  auto pools = PoolsOf(store, row.id);
  if (!pools) return pools.error();
  json::array profiles;
  for (const auto& pool : *pools) {
    auto view = PoolViewFor(pool, api_version);
    if (!view) return view.error();
    json::object profile = view->at("properties").as_object();
    profile["name"] = view->at("name");
    profiles.push_back(std::move(profile));
  }
  record->properties()["agentPoolProfiles"] = std::move(profiles);
  resource["eTag"] = Etag(row.version);
  resources::ShapeClusterView(resource, api_version);
  return std::move(resource);
}

std::string OperationUrl(const HandlerContext& context, const controller::Operation& operation,
                         std::string_view api_version) {
  return ResourceUrl(context.config.server_url, operation.id, api_version);
}

std::string OperationResultUrl(const HandlerContext& context,
                               const controller::Operation& operation,
                               std::string_view api_version) {
  std::string id = operation.id;
  id.replace(id.rfind("/operations/"), 12, "/operationresults/");
  return ResourceUrl(context.config.server_url, id, api_version);
}

// ARM LRO headers: PUT answers with Azure-AsyncOperation; DELETE and POST also with Location.
void AddOperationHeaders(HttpResponse& response, const HandlerContext& context,
                         const controller::Operation& operation, std::string_view api_version,
                         bool with_location) {
  response.set("Azure-AsyncOperation", OperationUrl(context, operation, api_version));
  if (with_location)
    response.set(http::field::location, OperationResultUrl(context, operation, api_version));
  response.set(http::field::retry_after, "1");
}

bool LeaveOutOfList(const HandlerContext& context, const Error& error) {
  if (error.reason != "CorruptRecord") return false;
  if (context.config.warn) context.config.warn("left out of a list: " + error.message);
  return true;
}

Result<json::object> PoolViewFor(const store::Resource& row, std::string_view api_version) {
  auto record = resources::PoolRecord::Decode(row);
  if (!record) return record.error();
  json::object& properties = record->properties();
  properties["eTag"] = Etag(row.version);
  // A VirtualMachines pool reports its nodes by size.
  if (properties.contains("type") && properties.at("type") == "VirtualMachines") {
    properties["virtualMachineNodesStatus"] =
        json::array{json::object{{"size", StringOr(properties, "vmSize", "Standard_DS2_v2")},
                                 {"count", properties.at("count")}}};
  }
  resources::ShapePoolView(properties, api_version);
  return std::move(record->resource);
}

// The cluster's view joins its row and its pools' rows; it is rendered once per store revision
// (`revision` was read before `row`).
std::string ViewKey(const std::string& id, std::string_view api_version) {
  return store::IdKey(id) + "|" + resources::ViewShapeKey(api_version);
}

Result<ViewCache::View> CachedClusterView(const HandlerContext& context, std::uint64_t revision,
                                          const store::Resource& row,
                                          std::string_view api_version) {
  const std::string key = ViewKey(row.id, api_version);
  if (auto cached = context.views.Find(key, revision)) return *cached;
  auto view = ClusterView(context.store, row, api_version);
  if (!view) return view.error();
  ViewCache::View rendered{std::make_shared<const std::string>(json::serialize(*view)),
                           Etag(row.version)};
  context.views.Insert(key, revision, rendered);
  return rendered;
}

// Marks the target with `state`, records the operation, and answers 202 with LRO headers.
Result<std::string> ClusterLocation(const HandlerContext& context, const ResourceNames& names) {
  auto cluster = context.store.Get(kClusterKind, names.cluster_id());
  if (!cluster) return cluster.error();
  if (!cluster->has_value()) return ClusterNotFoundError(names);
  auto record = resources::ClusterRecord::Decode(**cluster);
  if (record) return record->location();
  if (record.error().reason != "CorruptRecord") return record.error();
  // An unreadable cluster (which may still be deleted): its operation lives under its group's
  // location instead.
  auto group = context.store.Get(kGroupKind, names.group_id());
  if (!group) return group.error();
  const auto body = group->has_value() ? ParseObject((*group)->body) : std::nullopt;
  const std::string location = body ? StringOr(*body, "location", "") : "";
  if (location.empty()) return record.error();
  return location;
}

controller::Locking ClusterLocking(const ResourceNames& names) {
  return {controller::OperationLockId(names.cluster_id()),
          {controller::OperationLockId(names.group_id())}};
}

Status ReserveLocalNodes(const ArmCall& call, const std::map<std::string, std::int64_t>& asked,
                         std::vector<store::Mutation>& changes) {
  const HandlerContext& context = call.context;
  if (context.node_tokens == nullptr) return OkStatus();  // simulated nodes
  constexpr std::string_view kQuotaKind = "localNodeQuota";
  constexpr std::string_view kQuotaId = "/gangplank/localNodeQuota";
  std::map<std::string, std::int64_t> asked_by_key;
  std::int64_t wanted = 0;
  for (const auto& [id, nodes] : asked) {
    asked_by_key[store::IdKey(id)] = nodes;
    wanted += nodes;
  }
  // The quota row first, then the pools: a request that commits in between changes the row's
  // version, so the rewrite below fails instead of counting pools read before that commit.
  GP_ASSIGN_OR_RETURN(const auto quota, context.store.Get(kQuotaKind, kQuotaId));
  GP_ASSIGN_OR_RETURN(const std::vector<store::Resource> rows, context.store.ListKind(kPoolKind));
  std::int64_t elsewhere = 0, before = 0;
  for (const store::Resource& row : rows) {
    auto pool = resources::PoolRecord::Decode(row);
    if (!pool) continue;
    const json::value* count = pool->properties().if_contains("count");
    const std::int64_t nodes = count && count->is_int64() ? count->get_int64() : 0;
    (asked_by_key.contains(store::IdKey(row.id)) ? before : elsewhere) += nodes;
  }
  if (wanted <= before) return OkStatus();  // no more nodes than these pools have now
  constexpr auto kLimit = static_cast<std::int64_t>(resources::limits::kLocalNodesPerControlPlane);
  if (elsewhere + wanted > kLimit) {
    return InvalidInput("QuotaExceeded",
                        "This control plane runs its nodes as containers on one host, at most " +
                            std::to_string(kLimit) + "; " + std::to_string(elsewhere) +
                            " run or are asked for in other pools and this request asks for " +
                            std::to_string(wanted) + ". Scale a pool down or delete one first.",
                        "count");
  }
  changes.push_back(store::Mutation::Put(
      {std::string(kQuotaKind), std::string(kQuotaId), "",
       json::serialize(json::object{{"nodes", elsewhere + wanted}}), 0},
      quota ? store::Precondition::AtVersion(quota->version) : store::Precondition::Absent()));
  return OkStatus();
}

// The pool models this request moves to a new version are named as made by its operation (the
// plan is pure: the operation's id exists only now).
void StampPoolModels(std::vector<store::Mutation>& changes, const resources::ModelChange& made) {
  for (store::Mutation& change : changes) {
    if (change.type != store::Mutation::Type::kPut || change.resource.kind != kPoolKind) continue;
    auto pool = resources::PoolRecord::Decode(change.resource);
    if (!pool || !pool->model.Stamp(made)) continue;
    change.resource.body = pool->Encode().body;
  }
}

Result<Accepted> CommitOperation(const ArmCall& call, const char* type, const std::string& target,
                                 const std::string& location, std::vector<store::Mutation> changes,
                                 HttpStatus answered) {
  const HandlerContext& context = call.context;
  const bool abort = std::string_view(type) == resources::kAbortType;
  auto started = context.operations.Begin(
      "/subscriptions/" + call.names.subscription +
          "/providers/Microsoft.ContainerService/locations/" + location + "/operations/",
      type, target, abort ? controller::Locking{} : ClusterLocking(call.names), OriginOf(call));
  const std::size_t puts =
      static_cast<std::size_t>(std::count_if(changes.begin(), changes.end(), [](const auto& m) {
        return m.type == store::Mutation::Type::kPut;
      }));
  StampPoolModels(changes, {started.operation.name, call.request.caller.app_id,
                            resources::Rfc3339(context.clock.Now())});
  for (auto& record : started.records) changes.push_back(std::move(record));
  // The request's activity event goes with the change, in the same commit: it is accepted, and
  // the answer it will get is known now.
  changes.push_back(AcceptedRequestEvent(call, started.operation.name, answered));
  auto applied = context.store.Apply(changes);
  if (!applied) {
    // Lost a race: tell which operation won when one holds the lock now.
    if (applied.error().code == StatusCode::kAborted) GP_RETURN_IF_ERROR(RefuseWhileBusy(call));
    return applied.error();
  }
  call.recorded = true;
  applied->resize(puts);
  return Accepted{started.operation, std::move(applied.value())};
}

ArmAnswer AcceptOperation(const ArmCall& call, const char* type, const std::string& target,
                          std::vector<store::Mutation> changes,
                          std::optional<json::value> reply_body) {
  const ApiRequest& request = call.request;
  // Operations live under the cluster's location, pool operations too.
  GP_ASSIGN_OR_RETURN(const std::string location, ClusterLocation(call.context, call.names));
  GP_ASSIGN_OR_RETURN(
      const Accepted accepted,
      CommitOperation(call, type, target, location, std::move(changes), HttpStatus::accepted));
  HttpResponse response = reply_body ? JsonResponse(request.http, HttpStatus::accepted, *reply_body)
                                     : EmptyResponse(request.http, HttpStatus::accepted);
  AddOperationHeaders(response, call.context, accepted.operation, call.api_version, true);
  return response;
}

ArmAnswer StartAsync(const ArmCall& call, const char* type, const store::Resource& row,
                     const std::string& state, bool pool, std::optional<json::value> reply_body) {
  GP_ASSIGN_OR_RETURN(store::Mutation changed, resources::WithProvisioningState(row, state));
  return AcceptOperation(call, type, pool ? call.names.pool_id() : call.names.cluster_id(),
                         {std::move(changed)}, std::move(reply_body));
}

ArmAnswer StartDelete(const ArmCall& call, const char* type, const store::Resource& row,
                      bool pool) {
  auto changed = resources::WithProvisioningState(row, "Deleting");
  // A record that cannot be read can still be deleted: the operation then holds only if nobody
  // wrote the row meanwhile, and shows no state on a record nobody can read.
  if (!changed && changed.error().reason == "CorruptRecord")
    changed = store::Mutation::Check(row.kind, row.id, store::Precondition::AtVersion(row.version));
  if (!changed) return changed.error();
  return AcceptOperation(call, type, pool ? call.names.pool_id() : call.names.cluster_id(),
                         {std::move(changed.value())}, std::nullopt);
}

Result<bool> ClusterBusy(const HandlerContext& context, const ResourceNames& names) {
  for (const std::string& lock : {controller::OperationLockId(names.cluster_id()),
                                  controller::OperationLockId(names.group_id())}) {
    auto held = context.store.Get(controller::kOperationLockKind, lock);
    if (!held) return held.error();
    if (held->has_value()) return true;
  }
  return false;
}

Result<resources::ClusterRecord> ClusterForAction(const ArmCall& call) {
  GP_ASSIGN_OR_RETURN(const auto row,
                      call.context.store.Get(kClusterKind, call.names.cluster_id()));
  if (!row) return ClusterNotFoundError(call);
  GP_RETURN_IF_ERROR(RefuseWhileBusy(call));
  return resources::ClusterRecord::Decode(*row);
}

Status RefuseWhileBusy(const ArmCall& call) {
  GP_ASSIGN_OR_RETURN(const bool busy, ClusterBusy(call.context, call.names));
  if (busy) return BusyError(call.names.cluster);
  return OkStatus();
}

ArmAnswer AbortLatestOperation(const ArmCall& call, std::string_view kind,
                               const std::string& target_id) {
  const HandlerContext& context = call.context;
  GP_ASSIGN_OR_RETURN(const auto row, context.store.Get(kind, target_id));
  if (!row) return kind == kPoolKind ? PoolNotFoundError(call) : ClusterNotFoundError(call);
  GP_ASSIGN_OR_RETURN(std::vector<store::Mutation> changes,
                      context.operations.CancelRequests(
                          controller::OperationLockId(call.names.cluster_id()), target_id));
  // Nothing runs: nothing to abort, which the spec answers with 204.
  if (changes.empty()) return EmptyResponse(call.request.http, HttpStatus::no_content);
  GP_ASSIGN_OR_RETURN(store::Mutation canceling,
                      resources::WithProvisioningState(*row, "Canceling"));
  changes.push_back(std::move(canceling));
  // An operation that ends meanwhile makes the batch fail: 409, as the spec says.
  return AcceptOperation(call, resources::kAbortType, target_id, std::move(changes), std::nullopt);
}

}  // namespace gangplank::api
