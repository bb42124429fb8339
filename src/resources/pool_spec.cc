// AKS's rules for agent pools, with the messages a user needs to fix the request, and the plan of
// a pool PUT.
#include "resources/pool_spec.h"

#include <algorithm>
#include <boost/json.hpp>

#include "resources/arm_defaults.h"
#include "resources/arm_views.h"
#include "resources/limits.h"
#include "resources/spec_checks.h"

namespace gangplank::resources {
namespace json = boost::json;

namespace {

// One rule of ValidatePoolProperties: checks its fields and fills their defaults.
using PoolCheck = Status (*)(json::object& properties, const std::string& path);

// Checks that `value` is one of `allowed` (the first is the default) and stores it.
Status OneOf(json::object& properties, std::string_view field,
             std::initializer_list<std::string_view> allowed, const std::string& message,
             const std::string& path) {
  const std::string value = StringOr(properties, field, *allowed.begin());
  if (std::find(allowed.begin(), allowed.end(), value) == allowed.end())
    return Invalid(std::string(field) + " '" + value + "' " + message, path + "." + std::string(field));
  properties[field] = value;
  return OkStatus();
}

Status CheckFieldTypes(json::object& properties, const std::string& path) {
  return CheckStringFields(properties,
                           {"osType", "osSKU", "type", "mode", "vmSize", "orchestratorVersion"},
                           path);
}

Status CheckOs(json::object& properties, const std::string& path) {
  GP_RETURN_IF_ERROR(OneOf(properties, "osType", {"Linux"},
                           "is not supported: Gangplank manages SSH access to Linux node pools "
                           "only (osSKU Ubuntu, AzureLinux, CBLMariner or Mariner).",
                           path));
  return OneOf(properties, "osSKU", {"Ubuntu", "AzureLinux", "CBLMariner", "Mariner"},
               "is not supported; use Ubuntu, AzureLinux, CBLMariner or Mariner.", path);
}

Status CheckType(json::object& properties, const std::string& path) {
  if (StringOr(properties, "type", "") == "FlexNodes") {
    return Invalid(
        "type FlexNodes joins machines Gangplank does not run; use VirtualMachineScaleSets or "
        "VirtualMachines.",
        path + ".type");
  }
  return OneOf(properties, "type",
               {"VirtualMachineScaleSets", "VirtualMachines", "AvailabilitySet"},
               "is not a node pool type; use VirtualMachineScaleSets or VirtualMachines.", path);
}

// A VirtualMachines pool may give its size as virtualMachinesProfile.scale.manual[].count.
Status CountFromVirtualMachinesProfile(json::object& properties, const std::string&) {
  if (properties.at("type") != "VirtualMachines" || properties.contains("count"))
    return OkStatus();
  std::int64_t total = 0;
  const json::value* profile = properties.if_contains("virtualMachinesProfile");
  const json::value* scale =
      profile && profile->is_object() ? profile->get_object().if_contains("scale") : nullptr;
  const json::value* manual =
      scale && scale->is_object() ? scale->get_object().if_contains("manual") : nullptr;
  if (manual && manual->is_array()) {
    for (const json::value& entry : manual->get_array()) {
      const json::value* n = entry.is_object() ? entry.get_object().if_contains("count") : nullptr;
      if (n && n->is_int64()) total += n->get_int64();
    }
  }
  if (total > 0) properties["count"] = total;
  return OkStatus();
}

Status CheckMode(json::object& properties, const std::string& path) {
  return OneOf(properties, "mode", {"User", "System"}, "is not valid; use System or User.", path);
}

Status CheckCount(json::object& properties, const std::string& path) {
  const json::value* count = properties.if_contains("count");
  if (count != nullptr && !count->is_int64() && !count->is_uint64())
    return Invalid("count must be a whole number.", path + ".count");
  const std::int64_t nodes = count ? count->to_number<std::int64_t>() : 1;
  constexpr auto kMaxNodes = static_cast<std::int64_t>(limits::kNodesPerPool);
  if (nodes > kMaxNodes) {
    return OverQuota("count " + std::to_string(nodes) + " is over the limit of " +
                         std::to_string(kMaxNodes) + " nodes per pool; add another pool.",
                     path + ".count");
  }
  if (nodes < 0 || (properties.at("mode") == "System" && nodes < 1)) {
    return Invalid("count " + std::to_string(nodes) +
                       " is out of range: 1-1000 for System pools, 0-1000 for User pools.",
                   path + ".count");
  }
  properties["count"] = nodes;
  return OkStatus();
}

constexpr const char* kSshAccessModes[] = {"LocalUser", "EntraId", "Disabled"};

Status CheckSshAccess(json::object& properties, const std::string& path) {
  const json::value* security = properties.if_contains("securityProfile");
  if (security == nullptr || security->is_null()) return OkStatus();
  if (!security->is_object())
    return Invalid("securityProfile must be an object.", path + ".securityProfile");
  const std::string access = StringOr(security->get_object(), "sshAccess", "LocalUser");
  // Case-insensitive on input (aks-preview sends "localuser", "entraid"), the service's casing
  // on output.
  for (const char* known : kSshAccessModes) {
    if (store::IdKey(access) != store::IdKey(known)) continue;
    if (security->get_object().contains("sshAccess"))
      properties["securityProfile"].as_object()["sshAccess"] = known;
    if (std::string_view(known) != "EntraId") return OkStatus();
    // As on AKS, only scale set pools take it (CheckOs refused Windows pools already).
    if (StringOr(properties, "type", "VirtualMachineScaleSets") != "VirtualMachineScaleSets")
      return Invalid("securityProfile.sshAccess EntraId needs a VirtualMachineScaleSets pool; "
                     "this pool is of type " + StringOr(properties, "type", "") + ".",
                     path + ".securityProfile.sshAccess");
    return OkStatus();
  }
  return Invalid("securityProfile.sshAccess '" + access.substr(0, 40) +
                     "' is not valid; use LocalUser, EntraId or Disabled.",
                 path + ".securityProfile.sshAccess");
}

Status CheckPowerState(json::object& properties, const std::string& path) {
  const json::value* power = properties.if_contains("powerState");
  if (power == nullptr || power->is_null()) return OkStatus();
  const std::string code =
      power->is_object() ? StringOr(power->get_object(), "code", "Running") : "";
  if (code != "Running" && code != "Stopped")
    return Invalid("powerState.code must be Running or Stopped.", path + ".powerState.code");
  return OkStatus();
}

Status CheckUpgradeSettings(json::object& properties, const std::string& path) {
  const json::value* settings = properties.if_contains("upgradeSettings");
  if (settings == nullptr || settings->is_null()) return OkStatus();
  if (!settings->is_object())
    return Invalid("upgradeSettings must be an object.", path + ".upgradeSettings");
  if (const json::value* surge = settings->get_object().if_contains("maxSurge");
      surge && !surge->is_null() && !surge->is_string()) {
    return Invalid("upgradeSettings.maxSurge must be a string such as \"33%\" or \"3\".",
                   path + ".upgradeSettings.maxSurge");
  }
  if (auto surge = SurgeOf(properties, 100); !surge)
    return Invalid(surge.error().message + ".", path + ".upgradeSettings.maxSurge");
  return OkStatus();
}

// In this order: later rules read what earlier ones filled (the type, the mode).
constexpr PoolCheck kPoolChecks[] = {
    CheckFieldTypes, CheckOs,        CheckType,       CountFromVirtualMachinesProfile,
    CheckMode,       CheckCount,     CheckSshAccess,  CheckPowerState,
    CheckUpgradeSettings,
};

}  // namespace

bool IsValidPoolName(std::string_view name) {
  const auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (name.empty() || name.size() > 12 || !lower(name.front())) return false;
  return std::all_of(name.begin(), name.end(), [&](char c) { return lower(c) || digit(c); });
}

Status ValidatePoolProperties(json::object& properties, const std::string& path) {
  for (PoolCheck check : kPoolChecks) GP_RETURN_IF_ERROR(check(properties, path));
  return OkStatus();
}

Result<int> SurgeOf(const json::object& pool_properties, int count) {
  std::string surge = "10%";
  if (const auto* settings = pool_properties.if_contains("upgradeSettings");
      settings && settings->is_object()) {
    surge = StringOr(settings->get_object(), "maxSurge", "10%");
    if (surge.empty()) surge = "10%";
  }
  const bool percent = surge.back() == '%';
  const std::string number = percent ? surge.substr(0, surge.size() - 1) : surge;
  if (number.empty() || number.size() > 6 ||
      number.find_first_not_of("0123456789") != std::string::npos) {
    return MakeError(StatusCode::kInvalidArgument, "InvalidParameter",
                     "upgradeSettings.maxSurge '" + surge.substr(0, 20) +
                         "' is not a node count or a percentage such as 33%");
  }
  const int value = std::stoi(number);
  if (percent && (value < 1 || value > 100)) {
    return MakeError(StatusCode::kInvalidArgument, "InvalidParameter",
                     "upgradeSettings.maxSurge must be 1% to 100%");
  }
  const int nodes = percent ? (count * value + 99) / 100 : value;
  return std::max(1, nodes);
}

bool PoolRunning(const json::object& pool_properties) {
  const json::value* power = pool_properties.if_contains("powerState");
  return !(power && power->is_object() && StringOr(power->get_object(), "code", "") == "Stopped");
}

std::string SshAccessOf(const json::object& properties) {
  return SshAccessOr(properties, "LocalUser");
}

std::string SshAccessOr(const json::object& properties, std::string_view fallback) {
  if (const auto* security = properties.if_contains("securityProfile");
      security && security->is_object()) {
    if (const auto* value = security->get_object().if_contains("sshAccess");
        value && value->is_string()) {
      // In the service's casing, whatever the request's (CheckSshAccess refused the unknown).
      for (const char* known : kSshAccessModes)
        if (store::IdKey(value->get_string()) == store::IdKey(known)) return known;
      return std::string(value->get_string());
    }
  }
  return std::string(fallback);
}

std::string StringOr(const json::object& object, std::string_view key, std::string_view fallback) {
  const json::value* value = object.if_contains(key);
  return value && value->is_string() ? std::string(value->get_string()) : std::string(fallback);
}

Result<PoolSpec> DecodePoolSpec(std::string_view name, std::string_view body,
                                std::string_view api_version) {
  if (!IsValidPoolName(name)) {
    return Invalid("Agent pool name '" + std::string(name.substr(0, 40)) +
                       "' is invalid: use 1-12 lowercase letters and digits, starting with a "
                       "letter.",
                   "agentPoolName");
  }
  GP_ASSIGN_OR_RETURN(json::object request,
                      DecodeBody(body, "{\"properties\": {\"count\": 3, \"mode\": \"User\"}}"));
  PoolSpec spec{std::string(name), {}};
  if (const auto* sent = request.if_contains("properties"); sent && sent->is_object()) {
    spec.properties = sent->get_object();
  } else if (sent && !sent->is_null()) {
    return Invalid("properties must be an object.", "properties");
  }
  GP_RETURN_IF_ERROR(ShapePoolRequest(spec.properties, api_version, "properties"));
  DropReadOnlyPoolInput(spec.properties);
  json::object alone = spec.properties;  // checked as it is; merged, it is checked again
  GP_RETURN_IF_ERROR(ValidatePoolProperties(alone, "properties"));
  return spec;
}

PoolModel NewPoolModel(const SshModel& ssh, const json::object& properties) {
  // Version 1 is made by the request that creates the pool.
  return PoolModel{1, ssh, SshAccessOf(properties), {}, {{1, ModelChange{}}}};
}

PoolRecord PoolRow(const ResourceNames& names, json::object properties, const std::string& state,
                   PoolModel model, const std::string& kubernetes_version,
                   const LatestImage& latest_image) {
  properties["provisioningState"] = state;
  properties["powerState"] = json::object{{"code", PoolRunning(properties) ? "Running" : "Stopped"}};
  if (!properties.contains("orchestratorVersion") || properties["orchestratorVersion"] == "")
    properties["orchestratorVersion"] = kubernetes_version;
  properties["currentOrchestratorVersion"] = properties["orchestratorVersion"];
  properties["sshModelVersion"] = model.version;  // read-only: the model new nodes get
  // The view shows the access mode the model holds, whatever the request left out.
  if (json::value& security = properties["securityProfile"]; !security.is_object())
    security = json::object{};
  properties["securityProfile"].as_object()["sshAccess"] = model.ssh_access;
  if (!properties.contains("nodeImageVersion"))
    properties["nodeImageVersion"] = latest_image(StringOr(properties, "osSKU", "Ubuntu"));
  PoolRecord record;
  record.id = names.pool_id();
  record.parent = names.cluster_id();
  record.resource = json::object{{"id", names.pool_id()},
                                 {"name", names.pool},
                                 {"type", kPoolType},
                                 {"properties", std::move(properties)}};
  record.model = std::move(model);
  return record;
}

Result<WritePlan> PlanPoolPut(const PoolSpec& spec, const PoolPutInput& input) {
  const ResourceNames& names = input.names;
  const std::optional<PoolRecord>& before = input.before;
  if (!before && input.pools_in_cluster >= limits::kPoolsPerCluster) {
    return OverQuota("Cluster '" + names.cluster + "' already has " +
                         std::to_string(input.pools_in_cluster) + " pools, the limit of " +
                         std::to_string(limits::kPoolsPerCluster) +
                         " per cluster; delete one first.",
                     "agentPoolName");
  }
  // Before the merge: what this request says, or what the pool had.
  const std::string access =
      SshAccessOr(spec.properties, before ? before->model.ssh_access : "LocalUser");
  // As AKS does, a PUT on an existing pool changes what it names and keeps the rest (the spec's
  // AgentPools_Stop sends only powerState).
  json::object properties = before ? before->properties() : json::object{};
  for (const auto& [name, value] : spec.properties) properties[name] = value;
  GP_RETURN_IF_ERROR(ValidatePoolProperties(properties, "properties"));
  const json::object& cluster_properties = input.cluster.properties();
  FillPoolDefaults(properties, AzureCni(cluster_properties));
  PoolModel model = before ? before->model : NewPoolModel(input.cluster.ssh, properties);
  if (before) {
    properties["nodeImageVersion"] = before->properties().at("nodeImageVersion");
    if (access != model.ssh_access) {
      model.ssh_access = access;
      model.StartNextVersion(model.ssh.public_keys);
    }
  }
  WritePlan plan;
  plan.created = !before;
  plan.node_counts[names.pool_id()] = properties.at("count").as_int64();
  const PoolRecord row =
      PoolRow(names, std::move(properties), before ? "Updating" : "Creating", std::move(model),
              StringOr(cluster_properties, "kubernetesVersion", ""), input.latest_image);
  plan.mutations.push_back(store::Mutation::Put(
      row.Encode(), before ? store::Precondition::AtVersion(before->version)
                           : store::Precondition::Absent()));
  // The cluster must still be there when the pool is written (a delete may have just ended).
  plan.mutations.push_back(store::Mutation::Check(std::string(kClusterKind), names.cluster_id(),
                                                  store::Precondition::Exists()));
  return plan;
}

bool AzureCni(const json::object& cluster_properties) {
  const json::value* network = cluster_properties.if_contains("networkProfile");
  if (network == nullptr || !network->is_object()) return false;
  return StringOr(network->get_object(), "networkPlugin", "") == "azure" &&
         StringOr(network->get_object(), "networkPluginMode", "") != "overlay";
}

}  // namespace gangplank::resources
