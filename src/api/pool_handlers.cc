// Agent pools and their machines: PUT, GET, DELETE, lists, node image upgrades, and the machines
// API with each node's logs and login events (the seed page's "kubelet logs").
#include <algorithm>
#include <boost/beast/http/field.hpp>
#include <set>

#include "api/container_service.h"
#include "resources/machine_store.h"
#include "resources/spec_checks.h"

namespace gangplank::api {
namespace http = boost::beast::http;

using resources::kDeletePool;
using resources::kPutPool;
using resources::kUpgradeImage;

// GET …/machines, …/machines/NAME and …/machines/NAME/logs (the node's agent and sshd log and
// its login events: the "kubelet logs" of the seed page).
namespace {

// The pool of the call, decoded; 404 when it is not there.
Result<resources::PoolRecord> PoolOf(const ArmCall& call) {
  GP_ASSIGN_OR_RETURN(const auto row, call.context.store.Get(kPoolKind, call.names.pool_id()));
  if (!row) return PoolNotFoundError(call);
  return resources::PoolRecord::Decode(*row);
}

// A node's login events, each naming the change that put its model (and key) on the node: the
// operation (its id in the activity log), who asked, when.
json::array LoginEventsOf(const resources::Machine& machine, const resources::PoolModel& model) {
  json::array events = json::parse(protocol::LoginEventsJson(machine.logins)).as_array();
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto made = model.changes.find(machine.logins[i].model_version);
    if (made == model.changes.end() || made->second.operation_id.empty()) continue;
    events[i].as_object()["keyChange"] = json::object{{"operationId", made->second.operation_id},
                                                      {"caller", made->second.caller},
                                                      {"at", made->second.at}};
  }
  return events;
}

ArmAnswer GetMachines(const ArmCall& call, const std::optional<std::string>& machine, bool logs) {
  const ApiRequest& request = call.request;
  const HandlerContext& context = call.context;
  const ResourceNames& names = call.names;
  GP_ASSIGN_OR_RETURN(const resources::PoolRecord pool, PoolOf(call));
  GP_ASSIGN_OR_RETURN(const resources::PoolTarget target,
                      resources::TargetOf(context.store, pool, context.images));
  GP_ASSIGN_OR_RETURN(const std::vector<resources::Machine> machines,
                      resources::MachinesOf(context.store, names.pool_id(),
                                            logs ? resources::MachineDetail::kLogs
                                                 : resources::MachineDetail::kStatus));
  GP_ASSIGN_OR_RETURN(const auto cluster_row, context.store.Get(kClusterKind, names.cluster_id()));
  if (!cluster_row) return ClusterNotFoundError(call);
  GP_ASSIGN_OR_RETURN(const resources::ClusterRecord cluster,
                      resources::ClusterRecord::Decode(*cluster_row));
  const json::object& pool_properties = pool.properties();
  const std::string node_group = StringOr(cluster.properties(), "nodeResourceGroup", "");
  json::array value;
  for (const auto& row : machines) {
    json::object view = resources::MachineView(row, target);
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
      return JsonResponse(request.http, HttpStatus::ok,
                          json::object{{"name", view.at("name")},
                                       {"logs", row.log},
                                       {"loginEvents", LoginEventsOf(row, pool.model)}});
    }
    if (!machine) value.push_back(std::move(view));
  }
  if (machine) {
    return MakeError(StatusCode::kNotFound, "NotFound",
                     "Machine '" + machine->substr(0, 80) + "' was not found in agent pool '" +
                         names.pool + "'.");
  }
  return JsonResponse(request.http, HttpStatus::ok, json::object{{"value", std::move(value)}});
}

}  // namespace

ArmAnswer ListMachines(const ArmCall& call) { return GetMachines(call, std::nullopt, false); }

ArmAnswer GetMachine(const ArmCall& call) { return GetMachines(call, call.machine, false); }

ArmAnswer GetMachineLogs(const ArmCall& call) { return GetMachines(call, call.machine, true); }

// PUT and PATCH: decode → plan → commit, as for clusters.
ArmAnswer PutPool(const ArmCall& call) {
  const ResourceNames& names = call.names;
  store::Store& store = call.context.store;
  GP_ASSIGN_OR_RETURN(
      const resources::PoolSpec spec,
      resources::DecodePoolSpec(names.pool, call.request.http.body(), call.api_version));
  GP_ASSIGN_OR_RETURN(const auto cluster_row, store.Get(kClusterKind, names.cluster_id()));
  if (!cluster_row) return ClusterNotFoundError(call);
  GP_ASSIGN_OR_RETURN(const resources::ClusterRecord cluster,
                      resources::ClusterRecord::Decode(*cluster_row));
  GP_ASSIGN_OR_RETURN(const auto existing, store.Get(kPoolKind, names.pool_id()));
  std::optional<resources::PoolRecord> before;
  if (existing) {
    GP_ASSIGN_OR_RETURN(before, resources::PoolRecord::Decode(*existing));
  }
  std::size_t pools = 0;  // counted against the limit only when this request adds one
  if (!before) {
    GP_ASSIGN_OR_RETURN(const std::vector<store::Resource> rows,
                        PoolsOf(store, names.cluster_id()));
    pools = rows.size();
  }
  GP_RETURN_IF_ERROR(RefuseWhileBusy(call));
  GP_ASSIGN_OR_RETURN(
      resources::WritePlan plan,
      resources::PlanPoolPut(spec, {names, cluster, before, pools, LatestImages(call.context)}));
  GP_RETURN_IF_ERROR(ReserveLocalNodes(call, plan.node_counts, plan.mutations));
  const HttpStatus answered = plan.created ? HttpStatus::created : HttpStatus::ok;
  GP_ASSIGN_OR_RETURN(const Accepted done,
                      CommitOperation(call, kPutPool, names.pool_id(), cluster.location(),
                                      std::move(plan.mutations), answered));
  GP_ASSIGN_OR_RETURN(const json::object view, PoolViewFor(done.stored.front(), call.api_version));
  HttpResponse response = JsonResponse(call.request.http, answered, view);
  AddOperationHeaders(response, call.context, done.operation, call.api_version, false);
  return response;
}

ArmAnswer GetPool(const ArmCall& call) {
  GP_ASSIGN_OR_RETURN(const auto row, call.context.store.Get(kPoolKind, call.names.pool_id()));
  if (!row) return PoolNotFoundError(call);
  GP_ASSIGN_OR_RETURN(const json::object view, PoolViewFor(*row, call.api_version));
  return JsonResponse(call.request.http, HttpStatus::ok, view);
}

ArmAnswer ListPools(const ArmCall& call) {
  const HandlerContext& context = call.context;
  GP_ASSIGN_OR_RETURN(const auto cluster, context.store.Get(kClusterKind, call.names.cluster_id()));
  if (!cluster) return ClusterNotFoundError(call);
  GP_ASSIGN_OR_RETURN(const std::vector<store::Resource> pools,
                      PoolsOf(context.store, call.names.cluster_id()));
  json::array value;
  for (const auto& row : pools) {
    GP_ASSIGN_OR_RETURN(
        const bool readable,
        CallerMay(call, "Microsoft.ContainerService/managedClusters/agentPools/read", row.id));
    if (!readable) continue;  // a list holds what the caller may read
    auto view = PoolViewFor(row, call.api_version);
    if (!view && LeaveOutOfList(context, view.error())) continue;
    if (!view) return view.error();
    value.push_back(std::move(*view));
  }
  return JsonResponse(call.request.http, HttpStatus::ok, json::object{{"value", std::move(value)}});
}

namespace {

// A pool's mode, or "" when its record cannot be read.
std::string ModeOf(const store::Resource& pool) {
  const json::object view = PoolView(pool);
  const json::value* properties = view.if_contains("properties");
  return properties && properties->is_object() ? StringOr(properties->get_object(), "mode", "")
                                               : std::string();
}

}  // namespace

ArmAnswer DeletePool(const ArmCall& call) {
  const ResourceNames& names = call.names;
  GP_ASSIGN_OR_RETURN(const auto row, call.context.store.Get(kPoolKind, names.pool_id()));
  if (!row) return EmptyResponse(call.request.http, HttpStatus::no_content);
  GP_RETURN_IF_ERROR(RefuseWhileBusy(call));
  if (ModeOf(*row) == "System") {
    GP_ASSIGN_OR_RETURN(const std::vector<store::Resource> pools,
                        PoolsOf(call.context.store, names.cluster_id()));
    if (std::count_if(pools.begin(), pools.end(),
                      [](const auto& pool) { return ModeOf(pool) == "System"; }) <= 1) {
      return InvalidInput("OperationNotAllowed",
                          "Pool '" + names.pool +
                              "' is the cluster's last System pool and cannot be deleted; add "
                              "another System pool first.",
                          "agentPoolName");
    }
  }
  return StartDelete(call, kDeletePool, *row, true);
}

ArmAnswer UpgradeNodeImage(const ArmCall& call) {
  const ResourceNames& names = call.names;
  GP_ASSIGN_OR_RETURN(const auto row, call.context.store.Get(kPoolKind, names.pool_id()));
  if (!row) return PoolNotFoundError(call);
  GP_RETURN_IF_ERROR(RefuseWhileBusy(call));
  GP_ASSIGN_OR_RETURN(json::object view, PoolViewFor(*row, call.api_version));
  json::object& properties = view.at("properties").as_object();
  if (!resources::PoolRunning(properties))
    return resources::StoppedError("Agent pool '" + names.pool + "'");
  if (properties.at("type") == "AvailabilitySet") {
    return InvalidInput("OperationNotAllowed",
                        "Node image upgrades need a VirtualMachineScaleSets pool; '" + names.pool +
                            "' is an AvailabilitySet pool.",
                        "agentPoolName");
  }
  properties["provisioningState"] = "UpgradingNodeImageVersion";
  return StartAsync(call, kUpgradeImage, *row, "UpgradingNodeImageVersion", true,
                    json::value(view));
}

ArmAnswer AbortPoolOperation(const ArmCall& call) {
  return AbortLatestOperation(call, kPoolKind, call.names.pool_id());
}

// deleteMachines: the named nodes go (their processes and directories with them) and the count
// drops by as many; the other nodes are untouched.
ArmAnswer DeleteMachines(const ArmCall& call) {
  const ResourceNames& names = call.names;
  auto body = ParseObject(call.request.http.body());
  const json::value* list = body ? body->if_contains("machineNames") : nullptr;
  if (list == nullptr || !list->is_array() || list->get_array().empty()) {
    return resources::Invalid(
        "machineNames must list the machines to delete, such as {\"machineNames\": "
        "[\"aks-nodepool1-12345678-vmss000001\"]}.",
        "machineNames");
  }
  GP_ASSIGN_OR_RETURN(resources::PoolRecord pool, PoolOf(call));
  GP_RETURN_IF_ERROR(RefuseWhileBusy(call));
  GP_ASSIGN_OR_RETURN(const std::vector<resources::Machine> machines,
                      resources::MachinesOf(call.context.store, names.pool_id(),
                                            resources::MachineDetail::kDesired));
  std::vector<store::Mutation> changes;
  std::set<std::string> chosen;
  for (const json::value& name : list->get_array()) {
    const std::string wanted = name.is_string() ? std::string(name.get_string()) : "";
    const auto found = std::find_if(machines.begin(), machines.end(), [&](const auto& machine) {
      return store::IdKey(machine.desired.node_name) == store::IdKey(wanted);
    });
    if (found == machines.end()) {
      return resources::Invalid("Machine '" + wanted.substr(0, 80) + "' is not in agent pool '" +
                                    names.pool + "'; list them with GET …/machines.",
                                "machineNames");
    }
    if (!chosen.insert(found->row.id).second) continue;  // named twice: deleted once
    resources::RemoveMachine(found->row.id, found->uid, names.pool_id(), changes);
  }
  json::object& properties = pool.properties();
  const std::int64_t count =
      properties.at("count").as_int64() - static_cast<std::int64_t>(chosen.size());
  if (count < 1 && properties.at("mode") == "System") {
    return resources::Invalid("Deleting these machines would leave System pool '" + names.pool +
                                  "' without a node; keep at least one.",
                              "machineNames");
  }
  properties["count"] = std::max<std::int64_t>(count, 0);
  pool.set_provisioning_state("Updating");
  changes.push_back(resources::WriteBack(pool));
  return AcceptOperation(call, kPutPool, names.pool_id(), std::move(changes));
}

}  // namespace gangplank::api
