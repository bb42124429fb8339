// What the Microsoft.ContainerService handlers share (container_service.h).
#include "api/container_service.h"

#include <algorithm>
#include <boost/beast/http/field.hpp>

#include "controller/machines.h"
#include "resources/arm_views.h"
#include "resources/limits.h"

namespace gangplank::api {
namespace http = boost::beast::http;

std::string Etag(std::int64_t version) { return "\"" + std::to_string(version) + "\""; }

HttpResponse Error400(const ApiRequest& request, const SpecError& error) {
  return ArmErrorResponse(request.http, HttpStatus::bad_request, error.code, error.message,
                          error.target);
}

HttpResponse StoreFailure(const ApiRequest& request, const Error& error) {
  if (error.code == StatusCode::kAborted) {
    return ArmErrorResponse(request.http, HttpStatus::conflict, "OperationNotAllowed",
                            "Another request changed this resource at the same time; retry.");
  }
  return ArmErrorResponse(request.http, error);
}

std::optional<json::object> ParseObject(const std::string& body) {
  boost::system::error_code ec;
  json::value value = json::parse(body, ec);
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.get_object());
}

HttpResponse NotJson(const ApiRequest& request, std::string_view example) {
  return ArmErrorResponse(
      request.http, HttpStatus::bad_request, "InvalidRequestContent",
      "The request content is not a valid JSON object; expected something like " +
          std::string(example) + ".");
}

HttpResponse Busy(const ApiRequest& request, const std::string& cluster) {
  return ArmErrorResponse(request.http, HttpStatus::conflict, "OperationNotAllowed",
                          "Operation is not allowed because there's an in progress operation on "
                          "managed cluster '" +
                              cluster + "'; wait for it to finish and retry.");
}

HttpResponse Stopped(const ApiRequest& request, const std::string& what) {
  return ArmErrorResponse(request.http, HttpStatus::conflict, "OperationNotAllowed",
                          what +
                              " is stopped: nothing but a start is allowed on it; start it "
                              "first (az aks start, or az aks nodepool start for a pool).");
}

HttpResponse ClusterNotFound(const ApiRequest& request, const ResourceNames& names) {
  return ArmErrorResponse(request.http, HttpStatus::not_found, "ResourceNotFound",
                          "The Resource 'Microsoft.ContainerService/managedClusters/" +
                              names.cluster + "' under resource group '" + names.group +
                              "' was not found.");
}

HttpResponse PoolNotFound(const ApiRequest& request, const ResourceNames& names) {
  return ArmErrorResponse(
      request.http, HttpStatus::not_found, "NotFound",
      "Agent pool '" + names.pool + "' was not found in managed cluster '" + names.cluster + "'.");
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

bool AzureCni(const json::object& cluster_properties) {
  const json::value* network = cluster_properties.if_contains("networkProfile");
  if (network == nullptr || !network->is_object()) return false;
  return StringOr(network->get_object(), "networkPlugin", "") == "azure" &&
         StringOr(network->get_object(), "networkPluginMode", "") != "overlay";
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

resources::PoolModel NewPoolModel(const SshModel& ssh, const json::object& properties) {
  return resources::PoolModel{1, ssh, SshAccessOf(properties), {}};
}

// A pool row for `properties` (validated), keeping `previous` model unless this creates it.
resources::PoolRecord PoolRow(const ResourceNames& names, json::object properties,
                              const std::string& state, resources::PoolModel model,
                              const std::string& kubernetes_version,
                              controller::NodeImageCatalog& images) {
  properties["provisioningState"] = state;
  properties["powerState"] =
      json::object{{"code", controller::PoolRunning(properties) ? "Running" : "Stopped"}};
  if (!properties.contains("orchestratorVersion") || properties["orchestratorVersion"] == "") {
    properties["orchestratorVersion"] = kubernetes_version;
  }
  properties["currentOrchestratorVersion"] = properties["orchestratorVersion"];
  properties["sshModelVersion"] = model.version;  // read-only: the model new nodes get
  // The view shows the access mode the model holds, whatever the request left out.
  if (json::value& security = properties["securityProfile"]; !security.is_object())
    security = json::object{};
  properties["securityProfile"].as_object()["sshAccess"] = model.ssh_access;
  if (!properties.contains("nodeImageVersion"))
    properties["nodeImageVersion"] =
        images.Latest(controller::StringOr(properties, "osSKU", "Ubuntu"));
  resources::PoolRecord record;
  record.id = names.pool_id();
  record.parent = names.cluster_id();
  record.resource = json::object{{"id", names.pool_id()},
                                 {"name", names.pool},
                                 {"type", kPoolType},
                                 {"properties", std::move(properties)}};
  record.model = std::move(model);
  return record;
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
  if (!cluster->has_value()) {
    return MakeError(StatusCode::kNotFound, "ResourceNotFound",
                     "The Resource 'Microsoft.ContainerService/managedClusters/" + names.cluster +
                         "' under resource group '" + names.group + "' was not found.");
  }
  auto record = resources::ClusterRecord::Decode(**cluster);
  if (record) return record->location();
  if (record.error().reason != "CorruptRecord") return record.error();
  // An unreadable cluster (which may still be deleted): its operation lives under its group's
  // location instead.
  auto group = context.store.Get("resourceGroup", names.group_id());
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

std::optional<HttpResponse> ReserveLocalNodes(const ArmCall& call,
                                              const std::map<std::string, std::int64_t>& asked,
                                              std::vector<store::Mutation>& changes) {
  const HandlerContext& context = call.context;
  if (context.node_tokens == nullptr) return std::nullopt;  // simulated nodes
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
  auto quota = context.store.Get(kQuotaKind, kQuotaId);
  if (!quota) return StoreFailure(call.request, quota.error());
  auto pools = context.store.ListKind(kPoolKind);
  if (!pools) return StoreFailure(call.request, pools.error());
  const std::vector<store::Resource>& rows = pools.value();
  std::int64_t elsewhere = 0, before = 0;
  for (const store::Resource& row : rows) {
    auto pool = resources::PoolRecord::Decode(row);
    if (!pool) continue;
    const json::value* count = pool->properties().if_contains("count");
    const std::int64_t nodes = count && count->is_int64() ? count->get_int64() : 0;
    (asked_by_key.contains(store::IdKey(row.id)) ? before : elsewhere) += nodes;
  }
  if (wanted <= before) return std::nullopt;  // no more nodes than these pools have now
  constexpr auto kLimit = static_cast<std::int64_t>(resources::limits::kLocalNodesPerControlPlane);
  if (elsewhere + wanted > kLimit) {
    return Error400(call.request,
                    {"QuotaExceeded",
                     "This control plane runs its nodes as containers on one host, at most " +
                         std::to_string(kLimit) + "; " + std::to_string(elsewhere) +
                         " run or are asked for in other pools and this request asks for " +
                         std::to_string(wanted) + ". Scale a pool down or delete one first.",
                     "count"});
  }
  changes.push_back(
      store::Mutation::Put({std::string(kQuotaKind), std::string(kQuotaId), "",
                            json::serialize(json::object{{"nodes", elsewhere + wanted}}), 0},
                           quota->has_value() ? store::Precondition::AtVersion((*quota)->version)
                                              : store::Precondition::Absent()));
  return std::nullopt;
}

std::variant<Accepted, HttpResponse> CommitOperation(const ArmCall& call, const char* type,
                                                     const std::string& target,
                                                     const std::string& location,
                                                     std::vector<store::Mutation> changes) {
  const HandlerContext& context = call.context;
  const bool abort = std::string_view(type) == controller::kAbort;
  auto started = context.operations.Begin(
      "/subscriptions/" + call.names.subscription +
          "/providers/Microsoft.ContainerService/locations/" + location + "/operations/",
      type, target, abort ? controller::Locking{} : ClusterLocking(call.names));
  const std::size_t puts =
      static_cast<std::size_t>(std::count_if(changes.begin(), changes.end(), [](const auto& m) {
        return m.type == store::Mutation::Type::kPut;
      }));
  for (auto& record : started.records) changes.push_back(std::move(record));
  auto applied = context.store.Apply(changes);
  if (!applied) {
    // Lost a race: tell which operation won when one holds the lock now.
    if (applied.error().code == StatusCode::kAborted) {
      if (auto busy = RefuseWhileBusy(call)) return std::move(*busy);
    }
    return StoreFailure(call.request, applied.error());
  }
  applied->resize(puts);
  return Accepted{started.operation, std::move(applied.value())};
}

HttpResponse AcceptOperation(const ArmCall& call, const char* type, const std::string& target,
                             std::vector<store::Mutation> changes,
                             std::optional<json::value> reply_body) {
  const ApiRequest& request = call.request;
  const HandlerContext& context = call.context;
  // Operations live under the cluster's location, pool operations too.
  auto location = ClusterLocation(context, call.names);
  if (!location) return ArmErrorResponse(request.http, location.error());
  auto accepted = CommitOperation(call, type, target, *location, std::move(changes));
  if (auto* refused = std::get_if<HttpResponse>(&accepted)) return std::move(*refused);
  HttpResponse response = reply_body ? JsonResponse(request.http, HttpStatus::accepted, *reply_body)
                                     : EmptyResponse(request.http, HttpStatus::accepted);
  AddOperationHeaders(response, context, std::get<Accepted>(accepted).operation, call.api_version,
                      true);
  return response;
}

HttpResponse StartAsync(const ArmCall& call, const char* type, const store::Resource& row,
                        const std::string& state, bool pool,
                        std::optional<json::value> reply_body) {
  auto changed = resources::WithProvisioningState(row, state);
  if (!changed) return StoreFailure(call.request, changed.error());
  return AcceptOperation(call, type, pool ? call.names.pool_id() : call.names.cluster_id(),
                         {std::move(changed.value())}, std::move(reply_body));
}

HttpResponse StartDelete(const ArmCall& call, const char* type, const store::Resource& row,
                         bool pool) {
  auto changed = resources::WithProvisioningState(row, "Deleting");
  // A record that cannot be read can still be deleted: the operation then holds only if nobody
  // wrote the row meanwhile, and shows no state on a record nobody can read.
  if (!changed && changed.error().reason == "CorruptRecord")
    changed = store::Mutation::Check(row.kind, row.id, store::Precondition::AtVersion(row.version));
  if (!changed) return StoreFailure(call.request, changed.error());
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

std::variant<resources::ClusterRecord, HttpResponse> ClusterForAction(const ArmCall& call) {
  auto row = call.context.store.Get(kClusterKind, call.names.cluster_id());
  if (!row) return StoreFailure(call.request, row.error());
  if (!row->has_value()) return ClusterNotFound(call.request, call.names);
  if (auto busy = RefuseWhileBusy(call)) return std::move(*busy);
  auto cluster = resources::ClusterRecord::Decode(**row);
  if (!cluster) return StoreFailure(call.request, cluster.error());
  return std::move(cluster.value());
}

std::optional<HttpResponse> RefuseWhileBusy(const ArmCall& call) {
  auto busy = ClusterBusy(call.context, call.names);
  if (!busy) return StoreFailure(call.request, busy.error());
  if (*busy) return Busy(call.request, call.names.cluster);
  return std::nullopt;
}

HttpResponse AbortLatestOperation(const ArmCall& call, std::string_view kind,
                                  const std::string& target_id) {
  const ApiRequest& request = call.request;
  const HandlerContext& context = call.context;
  auto row = context.store.Get(kind, target_id);
  if (!row) return StoreFailure(request, row.error());
  if (!row->has_value()) {
    return kind == kPoolKind ? PoolNotFound(request, call.names)
                             : ClusterNotFound(request, call.names);
  }
  auto cancels = context.operations.CancelRequests(
      controller::OperationLockId(call.names.cluster_id()), target_id);
  if (!cancels) return StoreFailure(request, cancels.error());
  // Nothing runs: nothing to abort, which the spec answers with 204.
  if (cancels->empty()) return EmptyResponse(request.http, HttpStatus::no_content);
  auto canceling = resources::WithProvisioningState(**row, "Canceling");
  if (!canceling) return StoreFailure(request, canceling.error());
  std::vector<store::Mutation> changes = std::move(cancels.value());
  changes.push_back(std::move(canceling.value()));
  // An operation that ends meanwhile makes the batch fail: 409, as the spec says.
  return AcceptOperation(call, controller::kAbort, target_id, std::move(changes), std::nullopt);
}

}  // namespace gangplank::api
