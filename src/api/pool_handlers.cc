// Agent pools and their machines: PUT, GET, DELETE, lists, node image upgrades, and the machines
// API with each node's logs and login events (the seed page's "kubelet logs").
#include <algorithm>
#include <boost/beast/http/field.hpp>
#include <set>

#include "api/container_service.h"
#include "controller/machines.h"
#include "resources/arm_defaults.h"
#include "resources/arm_views.h"
#include "resources/limits.h"

namespace gangplank::api {
namespace http = boost::beast::http;

using controller::kDeletePool;
using controller::kPutPool;
using controller::kUpgradeImage;

// GET …/machines, …/machines/NAME and …/machines/NAME/logs (the node's agent and sshd log and
// its login events: the "kubelet logs" of the seed page).
namespace {

HttpResponse GetMachines(const ApiRequest& request, const HandlerContext& context,
                         const ResourceNames& names, const std::optional<std::string>& machine,
                         bool logs) {
  auto pool = context.store.Get(kPoolKind, names.pool_id());
  if (!pool) return StoreFailure(request, pool.error());
  if (!pool->has_value()) return PoolNotFound(request, names);
  auto pool_record = resources::PoolRecord::Decode(**pool);
  if (!pool_record) return StoreFailure(request, pool_record.error());
  const controller::PoolTarget target = controller::TargetOf(*pool_record, context.images);
  auto machines = controller::MachinesOf(
      context.store, names.pool_id(),
      logs ? controller::MachineDetail::kLogs : controller::MachineDetail::kStatus);
  if (!machines) return StoreFailure(request, machines.error());
  auto cluster = context.store.Get(kClusterKind, names.cluster_id());
  if (!cluster) return StoreFailure(request, cluster.error());
  if (!cluster->has_value()) return ClusterNotFound(request, names);
  const json::object& pool_properties = pool_record->properties();
  auto cluster_record = resources::ClusterRecord::Decode(**cluster);
  if (!cluster_record) return StoreFailure(request, cluster_record.error());
  const std::string node_group = StringOr(cluster_record->properties(), "nodeResourceGroup", "");
  json::array value;
  for (const auto& row : *machines) {
    json::object view = controller::MachineView(row, target);
    // The newest spec's fields: the VM behind the machine, and its zone.
    const std::string name(view.at("name").as_string());
    view["properties"].as_object()["resourceId"] =
        "/subscriptions/" + names.subscription + "/resourceGroups/" + node_group +
        "/providers/Microsoft.Compute/virtualMachineScaleSets/" +
        name.substr(0, name.rfind("vmss") + 4) + "/virtualMachines/" + std::to_string(row.index);
    const json::value* zones = pool_properties.if_contains("availabilityZones");
    view["zones"] = zones && zones->is_array() ? *zones : json::value(json::array{});
    if (machine && store::IdKey(view.at("name").as_string()) == store::IdKey(*machine)) {
      if (!logs) return JsonResponse(request.http, HttpStatus::ok, view);
      return JsonResponse(
          request.http, HttpStatus::ok,
          json::object{{"name", view.at("name")},
                       {"logs", row.log},
                       {"loginEvents", json::parse(node::LoginEventsJson(row.logins))}});
    }
    if (!machine) value.push_back(std::move(view));
  }
  if (machine) {
    return ArmErrorResponse(request.http, HttpStatus::not_found, "NotFound",
                            "Machine '" + machine->substr(0, 80) +
                                "' was not found in agent pool '" + names.pool + "'.");
  }
  return JsonResponse(request.http, HttpStatus::ok, json::object{{"value", std::move(value)}});
}

}  // namespace

HttpResponse ListMachines(const ArmCall& call) {
  return GetMachines(call.request, call.context, call.names, std::nullopt, false);
}

HttpResponse GetMachine(const ArmCall& call) {
  return GetMachines(call.request, call.context, call.names, call.machine, false);
}

HttpResponse GetMachineLogs(const ArmCall& call) {
  return GetMachines(call.request, call.context, call.names, call.machine, true);
}

HttpResponse PutPool(const ArmCall& call) {
  const ApiRequest& request = call.request;
  const HandlerContext& context = call.context;
  const ResourceNames& names = call.names;
  const std::string& api_version = call.api_version;
  if (!IsValidPoolName(names.pool)) {
    return Error400(request, {"InvalidParameter",
                              "Agent pool name '" + names.pool.substr(0, 40) +
                                  "' is invalid: use 1-12 "
                                  "lowercase letters and digits, starting with a letter.",
                              "agentPoolName"});
  }
  auto body = ParseObject(request.http.body());
  if (!body) return NotJson(request, "{\"properties\": {\"count\": 3, \"mode\": \"User\"}}");
  json::object properties;
  if (const auto* sent = body->if_contains("properties"); sent && sent->is_object()) {
    properties = sent->get_object();
  } else if (const auto* bad = body->if_contains("properties"); bad && !bad->is_null()) {
    return Error400(request, {"InvalidParameter", "properties must be an object.", "properties"});
  }
  resources::ShapePoolRequest(properties, api_version);
  resources::DropReadOnlyPoolInput(properties);
  // What the request says must be valid on its own (a bad field is a 400 whatever exists);
  // merged with an existing pool below, it is checked again as a whole.
  if (json::object alone = properties; auto error = ValidatePoolProperties(alone, "properties"))
    return Error400(request, *error);
  auto cluster = context.store.Get(kClusterKind, names.cluster_id());
  if (!cluster) return StoreFailure(request, cluster.error());
  if (!cluster->has_value()) return ClusterNotFound(request, names);
  auto cluster_record = resources::ClusterRecord::Decode(**cluster);
  if (!cluster_record) return StoreFailure(request, cluster_record.error());
  auto existing = context.store.Get(kPoolKind, names.pool_id());
  if (!existing) return StoreFailure(request, existing.error());
  std::optional<resources::PoolRecord> before;
  if (existing->has_value()) {
    auto decoded = resources::PoolRecord::Decode(**existing);
    if (!decoded) return StoreFailure(request, decoded.error());
    before = std::move(decoded.value());
  }
  if (!before) {
    auto pools = PoolsOf(context.store, names.cluster_id());
    if (!pools) return StoreFailure(request, pools.error());
    if (pools->size() >= resources::limits::kPoolsPerCluster) {
      return Error400(request, {"QuotaExceeded",
                                "Cluster '" + names.cluster + "' already has " +
                                    std::to_string(pools->size()) + " pools, the limit of " +
                                    std::to_string(resources::limits::kPoolsPerCluster) +
                                    " per cluster; delete one first.",
                                "agentPoolName"});
    }
  }
  // Before the merge: what this request says, or what the pool had.
  const std::string access =
      SshAccessOr(properties, before ? before->model.ssh_access : "LocalUser");
  if (before) {
    // As AKS does, a PUT on an existing pool changes what it names and keeps the rest (the
    // spec's AgentPools_Stop sends only powerState).
    json::object merged = before->properties();
    for (const auto& [name, value] : properties) merged[name] = value;
    properties = std::move(merged);
  }
  if (auto error = ValidatePoolProperties(properties, "properties"))
    return Error400(request, *error);
  if (auto busy = RefuseWhileBusy(call)) return std::move(*busy);
  const json::object& cluster_properties = cluster_record->properties();
  resources::FillPoolDefaults(properties, AzureCni(cluster_properties));
  const std::string kubernetes = StringOr(cluster_properties, "kubernetesVersion", "");
  resources::PoolModel model;
  if (before) {
    model = before->model;
    properties["nodeImageVersion"] = before->properties().at("nodeImageVersion");
    if (access != model.ssh_access) {
      model.ssh_access = access;
      model.StartNextVersion(model.ssh.public_keys);
    }
  } else {
    model = NewPoolModel(cluster_record->ssh, properties);
  }
  const std::string state = existing->has_value() ? "Updating" : "Creating";
  const std::string location = cluster_record->location();
  const store::Resource row =
      PoolRow(names, properties, state, model, kubernetes, context.images).Encode();
  // The cluster must still be there when the pool is written (a delete may have just ended).
  std::vector<store::Mutation> changes = {
      store::Mutation::Put(row, existing->has_value()
                                    ? store::Precondition::AtVersion((*existing)->version)
                                    : store::Precondition::Absent()),
      store::Mutation::Check(std::string(kClusterKind), names.cluster_id(),
                             store::Precondition::Exists())};
  if (auto refused =
          ReserveLocalNodes(call, {{names.pool_id(), properties.at("count").as_int64()}}, changes))
    return std::move(*refused);
  auto accepted = CommitOperation(call, kPutPool, names.pool_id(), location, std::move(changes));
  if (auto* refused = std::get_if<HttpResponse>(&accepted)) return std::move(*refused);
  const Accepted& done = std::get<Accepted>(accepted);
  auto view = PoolViewFor(done.stored.front(), api_version);
  if (!view) return StoreFailure(request, view.error());
  HttpResponse response = JsonResponse(
      request.http, existing->has_value() ? HttpStatus::ok : HttpStatus::created, *view);
  AddOperationHeaders(response, context, done.operation, api_version, false);
  return response;
}

HttpResponse GetPool(const ArmCall& call) {
  const ApiRequest& request = call.request;
  const HandlerContext& context = call.context;
  const ResourceNames& names = call.names;
  auto row = context.store.Get(kPoolKind, names.pool_id());
  if (!row) return StoreFailure(request, row.error());
  if (!row->has_value()) return PoolNotFound(request, names);
  auto view = PoolViewFor(**row, call.api_version);
  if (!view) return StoreFailure(request, view.error());
  return JsonResponse(request.http, HttpStatus::ok, *view);
}

HttpResponse ListPools(const ArmCall& call) {
  const ApiRequest& request = call.request;
  const HandlerContext& context = call.context;
  const ResourceNames& names = call.names;
  auto cluster = context.store.Get(kClusterKind, names.cluster_id());
  if (!cluster) return StoreFailure(request, cluster.error());
  if (!cluster->has_value()) return ClusterNotFound(request, names);
  auto pools = PoolsOf(context.store, names.cluster_id());
  if (!pools) return StoreFailure(request, pools.error());
  json::array value;
  for (const auto& row : *pools) {
    auto view = PoolViewFor(row, call.api_version);
    if (!view && LeaveOutOfList(context, view.error())) continue;
    if (!view) return StoreFailure(request, view.error());
    value.push_back(std::move(*view));
  }
  return JsonResponse(request.http, HttpStatus::ok, json::object{{"value", std::move(value)}});
}

HttpResponse DeletePool(const ArmCall& call) {
  const ApiRequest& request = call.request;
  const HandlerContext& context = call.context;
  const ResourceNames& names = call.names;
  auto row = context.store.Get(kPoolKind, names.pool_id());
  if (!row) return StoreFailure(request, row.error());
  if (!row->has_value()) return EmptyResponse(request.http, HttpStatus::no_content);
  if (auto busy = RefuseWhileBusy(call)) return std::move(*busy);
  const auto mode = [](const store::Resource& pool) {
    const json::object view = PoolView(pool);  // empty when the record cannot be read
    const json::value* properties = view.if_contains("properties");
    return properties && properties->is_object() ? StringOr(properties->get_object(), "mode", "")
                                                 : std::string();
  };
  if (mode(**row) == "System") {
    auto pools = PoolsOf(context.store, names.cluster_id());
    if (!pools) return StoreFailure(request, pools.error());
    int systems = 0;
    for (const auto& pool : *pools)
      systems += mode(pool) == "System" ? 1 : 0;
    if (systems <= 1) {
      return Error400(request, {"OperationNotAllowed",
                                "Pool '" + names.pool +
                                    "' is the cluster's last System pool and cannot "
                                    "be deleted; add another System pool first.",
                                "agentPoolName"});
    }
  }
  return StartDelete(call, kDeletePool, **row, true);
}

HttpResponse UpgradeNodeImage(const ArmCall& call) {
  const ApiRequest& request = call.request;
  const HandlerContext& context = call.context;
  const ResourceNames& names = call.names;
  const std::string& api_version = call.api_version;
  auto row = context.store.Get(kPoolKind, names.pool_id());
  if (!row) return StoreFailure(request, row.error());
  if (!row->has_value()) return PoolNotFound(request, names);
  if (auto busy = RefuseWhileBusy(call)) return std::move(*busy);
  auto shown = PoolViewFor(**row, api_version);
  if (!shown) return StoreFailure(request, shown.error());
  json::object& view = *shown;
  if (!controller::PoolRunning(view.at("properties").as_object())) {
    return Stopped(request, "Agent pool '" + names.pool + "'");
  }
  if (view.at("properties").at("type") == "AvailabilitySet") {
    return Error400(request, {"OperationNotAllowed",
                              "Node image upgrades need a VirtualMachineScaleSets pool; '" +
                                  names.pool + "' is an AvailabilitySet pool.",
                              "agentPoolName"});
  }
  view["properties"].as_object()["provisioningState"] = "UpgradingNodeImageVersion";
  return StartAsync(call, kUpgradeImage, **row, "UpgradingNodeImageVersion", true,
                    json::value(view));
}

HttpResponse AbortPoolOperation(const ArmCall& call) {
  return AbortLatestOperation(call, kPoolKind, call.names.pool_id());
}

// deleteMachines: the named nodes go (their processes and directories with them) and the count
// drops by as many; the other nodes are untouched.
HttpResponse DeleteMachines(const ArmCall& call) {
  const ApiRequest& request = call.request;
  const HandlerContext& context = call.context;
  const ResourceNames& names = call.names;
  auto body = ParseObject(request.http.body());
  const json::value* list = body ? body->if_contains("machineNames") : nullptr;
  if (list == nullptr || !list->is_array() || list->get_array().empty()) {
    return Error400(request, {"InvalidParameter",
                              "machineNames must list the machines to delete, such as "
                              "{\"machineNames\": [\"aks-nodepool1-12345678-vmss000001\"]}.",
                              "machineNames"});
  }
  auto row = context.store.Get(kPoolKind, names.pool_id());
  if (!row) return StoreFailure(request, row.error());
  if (!row->has_value()) return PoolNotFound(request, names);
  if (auto busy = RefuseWhileBusy(call)) return std::move(*busy);
  auto machines =
      controller::MachinesOf(context.store, names.pool_id(), controller::MachineDetail::kDesired);
  if (!machines) return StoreFailure(request, machines.error());
  std::vector<store::Mutation> changes;
  std::set<std::string> chosen;
  for (const json::value& name : list->get_array()) {
    const std::string wanted = name.is_string() ? std::string(name.get_string()) : "";
    const auto found = std::find_if(machines->begin(), machines->end(), [&](const auto& machine) {
      return store::IdKey(machine.desired.node_name) == store::IdKey(wanted);
    });
    if (found == machines->end()) {
      return Error400(request, {"InvalidParameter",
                                "Machine '" + wanted.substr(0, 80) + "' is not in agent pool '" +
                                    names.pool + "'; list them with GET …/machines.",
                                "machineNames"});
    }
    if (!chosen.insert(found->row.id).second) continue;  // named twice: deleted once
    controller::RemoveMachine(found->row.id, found->uid, names.pool_id(), changes);
  }
  auto pool = resources::PoolRecord::Decode(**row);
  if (!pool) return StoreFailure(request, pool.error());
  json::object& properties = pool->properties();
  const std::int64_t count =
      properties.at("count").as_int64() - static_cast<std::int64_t>(chosen.size());
  if (count < 1 && properties.at("mode") == "System") {
    return Error400(request, {"InvalidParameter",
                              "Deleting these machines would leave System pool '" + names.pool +
                                  "' without a node; keep at least one.",
                              "machineNames"});
  }
  properties["count"] = std::max<std::int64_t>(count, 0);
  pool->set_provisioning_state("Updating");
  changes.push_back(resources::WriteBack(*pool));
  return AcceptOperation(call, kPutPool, names.pool_id(), std::move(changes));
}

}  // namespace gangplank::api
