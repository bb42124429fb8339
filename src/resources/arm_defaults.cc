// The default and read-only tables (arm_defaults.h), taken from the spec's example responses
// and its readOnly markings.
#include "resources/arm_defaults.h"

#include <boost/json.hpp>
#include <string_view>

namespace gangplank::resources {
namespace json = boost::json;

namespace {

// The object at a dotted path below `root`, or null when a part is missing or not an object.
json::object* ObjectAt(json::object& root, std::string_view path) {
  json::object* at = &root;
  while (!path.empty()) {
    const std::size_t dot = path.find('.');
    const std::string_view part = path.substr(0, dot);
    json::value* next = at->if_contains(part);
    if (next == nullptr || !next->is_object()) return nullptr;
    at = &next->get_object();
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
  }
  return at;
}

// Erases the field at a dotted path, when it is there.
void Erase(json::object& root, std::string_view path) {
  const std::size_t dot = path.rfind('.');
  json::object* parent =
      dot == std::string_view::npos ? &root : ObjectAt(root, path.substr(0, dot));
  if (parent != nullptr) parent->erase(path.substr(dot == std::string_view::npos ? 0 : dot + 1));
}

// Sets the field at a dotted path unless present (non-null), making the objects on the way.
void Default(json::object& root, std::string_view path, json::value value) {
  json::object* at = &root;
  for (;;) {
    const std::size_t dot = path.find('.');
    const std::string_view part = path.substr(0, dot);
    if (dot == std::string_view::npos) {
      json::value* current = at->if_contains(part);
      if (current == nullptr || current->is_null()) (*at)[part] = std::move(value);
      return;
    }
    json::value& next = (*at)[part];
    if (next.is_null()) next = json::object{};
    if (!next.is_object()) return;  // the client's value of another type stays; validation says
    at = &next.get_object();
    path = path.substr(dot + 1);
  }
}

constexpr std::string_view kReadOnlyCluster[] = {
    "provisioningState",
    "powerState",
    "maxAgentPools",
    "currentKubernetesVersion",
    "fqdn",
    "privateFQDN",
    "azurePortalFQDN",
    "resourceUID",
    "status",
    "networkProfile.loadBalancerProfile.effectiveOutboundIPs",
    "networkProfile.natGatewayProfile.effectiveOutboundIPs",
    "oidcIssuerProfile.issuerURL",
};

constexpr std::string_view kReadOnlyPool[] = {
    "provisioningState", "currentOrchestratorVersion", "nodeImageVersion", "eTag", "status",
    "sshModelVersion",
};

}  // namespace

void DropReadOnlyClusterInput(json::object& properties) {
  for (std::string_view path : kReadOnlyCluster) Erase(properties, path);
}

void DropReadOnlyPoolInput(json::object& pool_properties) {
  for (std::string_view path : kReadOnlyPool) Erase(pool_properties, path);
}

void FillClusterDefaults(json::object& properties) {
  Default(properties, "enableRBAC", true);
  Default(properties, "supportPlan", "KubernetesOfficial");
  if (const json::value* sent = properties.if_contains("networkProfile");
      sent && !sent->is_null() && !sent->is_object())
    return;  // the caller refuses it
  Default(properties, "networkProfile.networkPlugin", "kubenet");
  // Looked up on each use: the defaults below may grow the objects it lives in.
  const auto text = [&](std::string_view key) {
    const json::value* value = properties.at("networkProfile").as_object().if_contains(key);
    return value && value->is_string() ? std::string(value->get_string()) : std::string();
  };
  // Pods get addresses from a pod CIDR with kubenet and with Azure CNI's overlay mode; plain
  // Azure CNI gives them addresses from the nodes' subnet.
  if (text("networkPlugin") == "kubenet" || text("networkPluginMode") == "overlay") {
    Default(properties, "networkProfile.podCidr", "10.244.0.0/16");
    Default(properties, "networkProfile.podCidrs", json::array{"10.244.0.0/16"});
  }
  Default(properties, "networkProfile.serviceCidr", "10.0.0.0/16");
  Default(properties, "networkProfile.serviceCidrs", json::array{"10.0.0.0/16"});
  Default(properties, "networkProfile.dnsServiceIP", "10.0.0.10");
  Default(properties, "networkProfile.outboundType", "loadBalancer");
  Default(properties, "networkProfile.loadBalancerSku", "standard");
  Default(properties, "networkProfile.ipFamilies", json::array{"IPv4"});
  Default(properties, "networkProfile.dockerBridgeCidr", "172.17.0.1/16");
  if (text("outboundType") == "managedNATGateway") {
    Default(properties, "networkProfile.natGatewayProfile.managedOutboundIPProfile.count", 1);
    Default(properties, "networkProfile.natGatewayProfile.idleTimeoutInMinutes", 4);
  }
  if (const json::value* mesh = properties.if_contains("serviceMeshProfile");
      mesh && mesh->is_object() && mesh->get_object().contains("mode") &&
      mesh->get_object().at("mode") == "Istio") {
    Default(properties, "serviceMeshProfile.istio.revisions", json::array{"asm-1-25"});
  }
}

void FillPoolDefaults(json::object& pool_properties, bool azure_cni) {
  Default(pool_properties, "vmSize", "Standard_DS2_v2");
  Default(pool_properties, "maxPods", azure_cni ? 30 : 110);
  Default(pool_properties, "osDiskSizeGB", 128);
  Default(pool_properties, "osDiskType", "Managed");
  Default(pool_properties, "kubeletDiskType", "OS");
  Default(pool_properties, "enableNodePublicIP", false);
  Default(pool_properties, "enableFIPS", false);
  Default(pool_properties, "enableEncryptionAtHost", false);
  Default(pool_properties, "scaleDownMode", "Delete");
  Default(pool_properties, "upgradeSettings.maxSurge", "10%");
  if (const json::value* priority = pool_properties.if_contains("scaleSetPriority");
      priority && *priority == "Spot") {
    Default(pool_properties, "spotMaxPrice", -1);
    Default(pool_properties, "scaleSetEvictionPolicy", "Delete");
  }
}

}  // namespace gangplank::resources
