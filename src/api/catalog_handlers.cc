// What a location offers and what a cluster or pool can move to: kubernetesVersions,
// orchestrators, and the upgrade profiles (latestNodeImageVersion is what `az aks nodepool
// get-upgrades` shows before the node image upgrade that makes a new SSH key take effect).
#include "api/container_service.h"
#include "resources/kubernetes_versions.h"
#include "resources/node_images.h"

namespace gangplank::api {
namespace {

using resources::KubernetesVersion;
using resources::KubernetesVersions;

std::string_view MinorOf(std::string_view version) {
  const std::size_t second_dot = version.find('.', version.find('.') + 1);
  return version.substr(0, second_dot);
}

// Every version later than `from` in the table (all of them when `from` is unknown: a client may
// have set any label).
json::array UpgradesFrom(std::string_view from, bool with_type) {
  json::array upgrades;
  bool later = std::none_of(KubernetesVersions().begin(), KubernetesVersions().end(),
                            [&](const KubernetesVersion& v) { return v.version == from; });
  for (const KubernetesVersion& v : KubernetesVersions()) {
    if (later) {
      json::object upgrade{{with_type ? "orchestratorVersion" : "kubernetesVersion", v.version},
                           {"isPreview", v.is_preview}};
      if (with_type) upgrade["orchestratorType"] = "Kubernetes";
      upgrades.push_back(std::move(upgrade));
    }
    if (v.version == from) later = true;
  }
  return upgrades;
}

std::string PropertyOr(const json::object& resource, std::string_view field,
                       std::string_view fallback) {
  return StringOr(resource.at("properties").as_object(), field, fallback);
}

}  // namespace

ArmAnswer ListKubernetesVersions(const ArmCall& call) {
  json::array values;
  for (const KubernetesVersion& v : KubernetesVersions()) {
    const std::string minor(MinorOf(v.version));
    json::object patch{{std::string(v.version), json::object{{"upgrades", json::array{}}}}};
    for (const json::value& up : UpgradesFrom(v.version, false))
      patch[v.version].as_object()["upgrades"].as_array().push_back(up.at("kubernetesVersion"));
    values.push_back(json::object{
        {"version", minor},
        {"isDefault", v.is_default},
        {"isPreview", v.is_preview},
        {"capabilities", json::object{{"supportPlan", json::array{"KubernetesOfficial"}}}},
        {"patchVersions", std::move(patch)}});
  }
  return JsonResponse(call.request.http, HttpStatus::ok,
                      json::object{{"values", std::move(values)}});
}

namespace {

// A "default" resource of the call's location: /subscriptions/S/providers/
// Microsoft.ContainerService/locations/L/`path`, of type …/locations/`type`.
HttpResponse LocationDefault(const ArmCall& call, std::string_view path, std::string_view type,
                             json::object properties) {
  return JsonResponse(
      call.request.http, HttpStatus::ok,
      json::object{{"id", "/subscriptions/" + call.names.subscription +
                              "/providers/Microsoft.ContainerService/locations/" + call.location +
                              "/" + std::string(path)},
                   {"name", "default"},
                   {"type", "Microsoft.ContainerService/locations/" + std::string(type)},
                   {"properties", std::move(properties)}});
}

}  // namespace

ArmAnswer ListOrchestrators(const ArmCall& call) {
  json::array orchestrators;
  for (const KubernetesVersion& v : KubernetesVersions()) {
    orchestrators.push_back(json::object{{"orchestratorType", "Kubernetes"},
                                         {"orchestratorVersion", v.version},
                                         {"default", v.is_default},
                                         {"isPreview", v.is_preview},
                                         {"upgrades", UpgradesFrom(v.version, true)}});
  }
  return LocationDefault(call, "orchestrators", "orchestrators",
                         json::object{{"orchestrators", std::move(orchestrators)}});
}

// ManagedClusters_GetOSOptions (api-versions 2021-03-01 to 2024-02-01): the OS types a location
// offers node pools. Gangplank's pools are Linux only, so Linux is the one entry.
ArmAnswer GetOsOptions(const ArmCall& call) {
  return LocationDefault(call, "osOptions/default", "osOptions",
                         json::object{{"osOptionPropertyList",
                                       json::array{json::object{{"os-type", "Linux"},
                                                                {"enable-fips-image", false}}}}});
}

ArmAnswer GetClusterUpgradeProfile(const ArmCall& call) {
  const ApiRequest& request = call.request;
  GP_ASSIGN_OR_RETURN(const auto row,
                      call.context.store.Get(kClusterKind, call.names.cluster_id()));
  if (!row) return ClusterNotFoundError(call);
  GP_ASSIGN_OR_RETURN(const resources::ClusterRecord record,
                      resources::ClusterRecord::Decode(*row));
  const std::string version = PropertyOr(record.resource, "kubernetesVersion", "");
  GP_ASSIGN_OR_RETURN(const std::vector<store::Resource> pools,
                      PoolsOf(call.context.store, call.names.cluster_id()));
  json::array pool_profiles;
  for (const auto& pool : pools) {
    const json::object view = PoolView(pool);
    const std::string pool_version = PropertyOr(view, "orchestratorVersion", version);
    pool_profiles.push_back(json::object{{"name", view.at("name")},
                                         {"kubernetesVersion", pool_version},
                                         {"osType", "Linux"},
                                         {"upgrades", UpgradesFrom(pool_version, false)}});
  }
  return JsonResponse(
      request.http, HttpStatus::ok,
      json::object{
          {"id", call.names.cluster_id() + "/upgradeProfiles/default"},
          {"name", "default"},
          {"type", "Microsoft.ContainerService/managedClusters/upgradeprofiles"},
          {"properties", json::object{{"controlPlaneProfile",
                                       json::object{{"kubernetesVersion", version},
                                                    {"name", "default"},
                                                    {"osType", "Linux"},
                                                    {"upgrades", UpgradesFrom(version, false)}}},
                                      {"agentPoolProfiles", std::move(pool_profiles)}}}});
}

ArmAnswer GetPoolUpgradeProfile(const ArmCall& call) {
  const ApiRequest& request = call.request;
  GP_ASSIGN_OR_RETURN(const auto row, call.context.store.Get(kPoolKind, call.names.pool_id()));
  if (!row) return PoolNotFoundError(call);
  const json::object pool = PoolView(*row);
  const std::string version = PropertyOr(pool, "orchestratorVersion", "");
  return JsonResponse(
      request.http, HttpStatus::ok,
      json::object{
          {"id", call.names.pool_id() + "/upgradeProfiles/default"},
          {"name", "default"},
          {"type", "Microsoft.ContainerService/managedClusters/agentPools/upgradeProfiles"},
          {"properties",
           json::object{{"kubernetesVersion", version},
                        {"osType", "Linux"},
                        {"upgrades", UpgradesFrom(version, false)},
                        {"latestNodeImageVersion",
                         call.context.images.Latest(PropertyOr(pool, "osSKU", "Ubuntu"))}}}});
}

ArmAnswer ListAvailablePoolVersions(const ArmCall& call) {
  const ApiRequest& request = call.request;
  GP_ASSIGN_OR_RETURN(const auto row,
                      call.context.store.Get(kClusterKind, call.names.cluster_id()));
  if (!row) return ClusterNotFoundError(call);
  json::array versions;
  for (const KubernetesVersion& v : KubernetesVersions()) {
    versions.push_back(json::object{
        {"kubernetesVersion", v.version}, {"default", v.is_default}, {"isPreview", v.is_preview}});
  }
  return JsonResponse(
      request.http, HttpStatus::ok,
      json::object{
          {"id", call.names.cluster_id() + "/availableAgentPoolVersions"},
          {"name", "availableAgentPoolVersions"},
          {"type", "Microsoft.ContainerService/managedClusters/availableAgentPoolVersions"},
          {"properties", json::object{{"agentPoolVersions", std::move(versions)}}}});
}

}  // namespace gangplank::api
