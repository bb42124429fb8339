// AKS's rules for managed clusters, with the messages a user needs to fix the request, and the
// plan of a cluster PUT.
#include "resources/cluster_spec.h"

#include <algorithm>
#include <boost/json.hpp>
#include <map>
#include <set>

#include "common/text.h"
#include "resources/arm_defaults.h"
#include "resources/arm_views.h"
#include "resources/kubernetes_versions.h"
#include "resources/limits.h"
#include "resources/location.h"
#include "resources/spec_checks.h"
#include "sshkey/parse.h"

namespace gangplank::resources {
namespace json = boost::json;

namespace {

// From AKS's documentation of adminUsername: these cannot be used.
constexpr std::string_view kReservedUsers[] = {"root",
                                               "admin",
                                               "administrator",
                                               "adm",
                                               "bin",
                                               "daemon",
                                               "sys",
                                               "sync",
                                               "games",
                                               "man",
                                               "lp",
                                               "mail",
                                               "news",
                                               "uucp",
                                               "proxy",
                                               "www-data",
                                               "backup",
                                               "list",
                                               "irc",
                                               "nobody",
                                               "sshd",
                                               "systemd-network",
                                               "messagebus",
                                               "guest",
                                               "user",
                                               "test",
                                               "sudo",
                                               "wheel"};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsAlpha(char c) { return IsLower(c) || (c >= 'A' && c <= 'Z'); }
bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }

// ^[A-Za-z][-A-Za-z0-9_]*$, at most 32 characters (a Linux user name).
bool IsValidAdminUsername(std::string_view name) {
  if (name.empty() || name.size() > 32 || !IsAlpha(name.front())) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return IsAlnum(c) || c == '-' || c == '_'; });
}

// One keyData: a plain public key ("type base64 [comment]") as AKS takes it. Options would be
// dropped on the nodes, so a key with options is refused rather than installed without them;
// a comment is printable text, because it is written into authorized_keys and shown to users.
Result<sshkey::PublicKey> ParseKeyData(std::string_view text, const std::string& where) {
  constexpr const char* kTarget = "linuxProfile.ssh.publicKeys.keyData";
  if (text.size() > limits::kKeyDataBytes) {
    return OverQuota(where + " has " + std::to_string(text.size()) + " bytes; the limit is " +
                         std::to_string(limits::kKeyDataBytes) + " bytes.",
                     kTarget);
  }
  auto key = sshkey::ParseSinglePublicKey(text);
  if (!key) {
    // The sshkey library's messages never contain key material, private or not.
    return Invalid(where + " is not a valid SSH public key (" + key.error().reason +
                       "): " + key.error().message,
                   kTarget);
  }
  if (!key->options.empty()) {
    return Invalid(where + " (" + std::string(key->type()) + ", comment '" +
                       TerminalSafe(key->comment.substr(0, 64)) +
                       "') has authorized_keys options such as '" +
                       TerminalSafe(key->options.front().name.substr(0, 32)) +
                       "': AKS takes plain keys ('type base64 [comment]'), and the options would "
                       "not be kept on the nodes. Remove the options.",
                   kTarget);
  }
  if (key->comment.size() > limits::kKeyCommentBytes) {
    return OverQuota(where + " has a comment of " + std::to_string(key->comment.size()) +
                         " bytes; the limit is " + std::to_string(limits::kKeyCommentBytes) +
                         " bytes.",
                     kTarget);
  }
  if (TerminalSafe(key->comment) != key->comment) {
    return Invalid(where + " has a control character in its comment ('" +
                       TerminalSafe(key->comment.substr(0, 64)) +
                       "'); a comment is printable text. Remove the character.",
                   kTarget);
  }
  return std::move(*key);
}

}  // namespace

bool IsValidClusterName(std::string_view name) {
  if (name.empty() || name.size() > 63 || !IsAlnum(name.front()) || !IsAlnum(name.back()))
    return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return IsAlnum(c) || c == '-' || c == '_'; });
}

Result<std::optional<SshModel>> ParseLinuxProfile(const json::object& properties) {
  const json::value* profile_value = properties.if_contains("linuxProfile");
  if (profile_value == nullptr || profile_value->is_null()) return std::optional<SshModel>();
  if (!profile_value->is_object())
    return Invalid("linuxProfile must be an object.", "linuxProfile");
  const json::object& profile = profile_value->get_object();
  SshModel model;
  model.admin_username = StringOr(profile, "adminUsername", "azureuser");
  if (!IsValidAdminUsername(model.admin_username)) {
    return Invalid(
        "adminUsername must start with a letter and contain only letters, digits, '-' "
        "and '_' (at most 32 characters).",
        "linuxProfile.adminUsername");
  }
  for (std::string_view reserved : kReservedUsers) {
    std::string lower = model.admin_username;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == reserved) {
      return Invalid("adminUsername '" + model.admin_username +
                         "' is reserved; choose another "
                         "name such as azureuser.",
                     "linuxProfile.adminUsername");
    }
  }
  const json::value* ssh = profile.if_contains("ssh");
  const json::value* keys =
      ssh && ssh->is_object() ? ssh->get_object().if_contains("publicKeys") : nullptr;
  if (keys == nullptr || !keys->is_array() || keys->get_array().empty()) {
    return Invalid(
        "linuxProfile.ssh.publicKeys must list at least one key ({\"keyData\": \"ssh-ed25519 "
        "AAAA...\"}); to create a cluster without SSH keys, leave out linuxProfile.",
        "linuxProfile.ssh.publicKeys");
  }
  if (keys->get_array().size() > limits::kPublicKeysPerCluster) {
    return OverQuota("linuxProfile.ssh.publicKeys has " + std::to_string(keys->get_array().size()) +
                         " keys; the limit is " + std::to_string(limits::kPublicKeysPerCluster) +
                         " keys per cluster.",
                     "linuxProfile.ssh.publicKeys");
  }
  std::size_t index = 0;
  for (const json::value& entry : keys->get_array()) {
    const json::value* data =
        entry.is_object() ? entry.get_object().if_contains("keyData") : nullptr;
    const std::string where = "linuxProfile.ssh.publicKeys[" + std::to_string(index) + "].keyData";
    if (data == nullptr || !data->is_string()) {
      return Invalid(where +
                         " is missing; each key is {\"keyData\": \"ssh-ed25519 AAAA... "
                         "comment\"}.",
                     "linuxProfile.ssh.publicKeys.keyData");
    }
    GP_ASSIGN_OR_RETURN(const sshkey::PublicKey key,
                        ParseKeyData(std::string_view(data->get_string()), where));
    model.public_keys.push_back(key.ToPublicKeyLine());
    ++index;
  }
  return std::optional<SshModel>(std::move(model));
}

void DropSecrets(json::object& properties) {
  // (object under properties, field): every x-ms-secret of ManagedClusterProperties.
  static constexpr std::pair<std::string_view, std::string_view> kSecrets[] = {
      {"servicePrincipalProfile", "secret"},
      {"windowsProfile", "adminPassword"},
      {"aadProfile", "serverAppSecret"},
  };
  for (const auto& [object, field] : kSecrets) {
    if (json::value* holder = properties.if_contains(object); holder && holder->is_object())
      holder->get_object().erase(field);
  }
}

namespace {

// location: required, one ARM knows, spelled as ARM spells it.
Result<std::string> DecodeLocation(const json::object& body) {
  const json::value* sent = body.if_contains("location");
  if (!sent || !sent->is_string() || sent->get_string().empty())
    return InvalidInput("LocationRequired", "The location property is required.", "location");
  auto region = NormalizeLocation(sent->get_string(), "LocationNotAvailableForResourceType");
  if (!region) {
    Error error = region.error();
    error.target = "location";
    return error;
  }
  return region;
}

Result<json::object> DecodeProperties(const json::object& body) {
  json::object properties;
  if (const auto* sent = body.if_contains("properties"); sent && sent->is_object())
    properties = sent->get_object();
  else if (body.contains("properties"))
    return Invalid("properties must be an object.", "properties");
  GP_RETURN_IF_ERROR(CheckStringFields(
      properties, {"kubernetesVersion", "dnsPrefix", "nodeResourceGroup"}, "properties"));
  GP_RETURN_IF_ERROR(CheckObjectFields(properties,
                                       {"networkProfile", "servicePrincipalProfile",
                                        "windowsProfile", "aadProfile", "identityProfile",
                                        "securityProfile"},
                                       "properties"));
  DropReadOnlyClusterInput(properties);
  return properties;
}

// agentPoolProfiles: each an object with a valid, unique name, checked on its own.
Result<std::vector<PoolSpec>> DecodePoolProfiles(const json::object& properties,
                                                 std::string_view api_version) {
  const json::value* sent = properties.if_contains("agentPoolProfiles");
  if (sent == nullptr) return std::vector<PoolSpec>{};
  if (!sent->is_array())
    return Invalid("agentPoolProfiles must be an array.", "properties.agentPoolProfiles");
  const json::array& profiles = sent->get_array();
  if (profiles.size() > limits::kPoolsPerCluster) {
    return OverQuota("properties.agentPoolProfiles has " + std::to_string(profiles.size()) +
                         " pools; the limit is " + std::to_string(limits::kPoolsPerCluster) +
                         " pools per cluster.",
                     "properties.agentPoolProfiles");
  }
  std::vector<PoolSpec> pools;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < profiles.size(); ++i) {
    const std::string path = "properties.agentPoolProfiles[" + std::to_string(i) + "]";
    if (!profiles[i].is_object()) return Invalid(path + " must be an object.", path);
    PoolSpec pool{StringOr(profiles[i].get_object(), "name", ""), profiles[i].get_object()};
    if (!IsValidPoolName(pool.name)) {
      return Invalid("Agent pool name '" + pool.name.substr(0, 40) +
                         "' is invalid: use 1-12 lowercase letters and digits, starting with a "
                         "letter.",
                     path + ".name");
    }
    if (!seen.insert(pool.name).second)
      return Invalid("Agent pool name '" + pool.name + "' is used twice.", path + ".name");
    pool.properties.erase("name");
    GP_RETURN_IF_ERROR(ShapePoolRequest(pool.properties, api_version, path));
    DropReadOnlyPoolInput(pool.properties);
    json::object alone = pool.properties;  // with the cluster's defaults it is checked again
    GP_RETURN_IF_ERROR(ValidatePoolProperties(alone, path));
    pools.push_back(std::move(pool));
  }
  return pools;
}

}  // namespace

Result<ClusterSpec> DecodeClusterSpec(std::string_view name, std::string_view body,
                                      std::string_view api_version) {
  if (!IsValidClusterName(name)) {
    return Invalid(
        "Cluster names are 1-63 letters, digits, '-' and '_', starting and ending with a letter "
        "or digit.",
        "resourceName");
  }
  ClusterSpec spec;
  GP_ASSIGN_OR_RETURN(spec.resource,
                      DecodeBody(body, "{\"location\": \"westus2\", \"properties\": {...}}"));
  GP_ASSIGN_OR_RETURN(spec.location, DecodeLocation(spec.resource));
  spec.resource["location"] = spec.location;
  if (const json::value* tags = spec.resource.if_contains("tags"))
    GP_RETURN_IF_ERROR(CheckTags(*tags));
  GP_ASSIGN_OR_RETURN(spec.properties, DecodeProperties(spec.resource));
  GP_ASSIGN_OR_RETURN(spec.ssh, ParseLinuxProfile(spec.properties));
  GP_ASSIGN_OR_RETURN(spec.pools, DecodePoolProfiles(spec.properties, api_version));
  spec.properties.erase("agentPoolProfiles");
  spec.resource.erase("properties");
  return spec;
}

namespace {

// What the service computes for a cluster: its FQDNs (a private one for private clusters), node
// resource group, outbound IPs and the tenant of its Entra ID profile, as the spec's example
// responses show them.
void AddComputedFields(json::object& properties, const ResourceNames& names,
                       const std::string& location, const std::string& dns_prefix) {
  const std::string domain = "." + location + ".gangplank.local";
  properties["fqdn"] = dns_prefix + ".hcp" + domain;
  properties["azurePortalFQDN"] = dns_prefix + ".portal.hcp" + domain;
  if (const json::value* access = properties.if_contains("apiServerAccessProfile");
      access && access->is_object() && access->get_object().contains("enablePrivateCluster") &&
      access->get_object().at("enablePrivateCluster") == true) {
    properties["privateFQDN"] = dns_prefix + ".privatelink" + domain;
    json::object& profile = properties["apiServerAccessProfile"].as_object();
    if (!profile.contains("privateDNSZone")) profile["privateDNSZone"] = "system";
  }
  const std::string node_group = "MC_" + names.group + "_" + names.cluster + "_" + location;
  if (!properties.contains("nodeResourceGroup") || !properties["nodeResourceGroup"].is_string() ||
      properties["nodeResourceGroup"] == "")
    properties["nodeResourceGroup"] = node_group;
  properties["maxAgentPools"] = 100;
  json::object& network = properties["networkProfile"].as_object();
  if (StringOr(network, "outboundType", "loadBalancer") == "loadBalancer") {
    json::value& balancer = network["loadBalancerProfile"];
    if (!balancer.is_object()) balancer = json::object{};
    json::object& profile = balancer.as_object();
    if (!profile.contains("managedOutboundIPs") && !profile.contains("outboundIPs") &&
        !profile.contains("outboundIPPrefixes"))
      profile["managedOutboundIPs"] = json::object{{"count", 1}};
    if (!profile.contains("allocatedOutboundPorts")) profile["allocatedOutboundPorts"] = 0;
    if (!profile.contains("idleTimeoutInMinutes")) profile["idleTimeoutInMinutes"] = 30;
    const json::value* families = network.if_contains("ipFamilies");
    const bool dual_stack = families && families->is_array() &&
                            std::find(families->get_array().begin(), families->get_array().end(),
                                      json::value("IPv6")) != families->get_array().end();
    if (json::value* managed = profile.if_contains("managedOutboundIPs");
        dual_stack && managed && managed->is_object() &&
        !managed->get_object().contains("countIPv6"))
      managed->get_object()["countIPv6"] = 1;
    profile["effectiveOutboundIPs"] = json::array{
        json::object{{"id", "/subscriptions/" + names.subscription + "/resourceGroups/" +
                                StringOr(properties, "nodeResourceGroup", node_group) +
                                "/providers/Microsoft.Network/publicIPAddresses/" + names.cluster +
                                "-outbound"}}};
  }
  if (StringOr(network, "outboundType", "") == "managedNATGateway") {
    json::value& gateway = network["natGatewayProfile"];
    if (gateway.is_object()) {
      gateway.as_object()["effectiveOutboundIPs"] = json::array{json::object{
          {"id", "/subscriptions/" + names.subscription + "/resourceGroups/" +
                     StringOr(properties, "nodeResourceGroup", node_group) +
                     "/providers/Microsoft.Network/publicIPAddresses/" + names.cluster + "-nat"}}};
    }
  }
  if (json::value* aad = properties.if_contains("aadProfile"); aad && aad->is_object()) {
    if (!aad->get_object().contains("tenantID")) aad->get_object()["tenantID"] = "adfs";
  }
}

// A managed-identity cluster's server-made identities: identity.principalId/tenantId for a
// SystemAssigned identity and identityProfile.kubeletidentity (aks-preview's `aks update` reads
// it before its PUT). Made once at create, then kept: clients cannot set them.
void AddManagedIdentities(json::object& resource, json::object& properties,
                          const json::object* before, const ResourceNames& names,
                          const std::string& location, RandomSource& random) {
  const auto previous = [&](std::initializer_list<std::string_view> path) -> const json::value* {
    const json::value* at = nullptr;
    const json::object* object = before;
    for (std::string_view key : path) {
      if (object == nullptr || (at = object->if_contains(key)) == nullptr) return nullptr;
      object = at->if_object();
    }
    return at;
  };
  const json::value* identity = resource.if_contains("identity");
  const std::string type =
      identity && identity->is_object() ? StringOr(identity->get_object(), "type", "") : "";
  if (type == "SystemAssigned") {
    json::object& sent = resource["identity"].as_object();
    const json::value* principal = previous({"identity", "principalId"});
    sent["principalId"] = principal ? *principal : json::value(random.Uuid());
    sent["tenantId"] = "adfs";
  }
  // Each user-assigned identity gets the principal and client ids Entra ID would give it, once.
  // (Looked up again: json::object's operator[] above may have moved what `identity` pointed to.)
  json::value* sent_identity = resource.if_contains("identity");
  if (json::value* assigned =
          sent_identity && sent_identity->is_object()
              ? sent_identity->get_object().if_contains("userAssignedIdentities")
              : nullptr;
      assigned && assigned->is_object()) {
    const json::value* kept = previous({"identity", "userAssignedIdentities"});
    for (auto& [id, value] : assigned->get_object()) {
      const json::value* old =
          kept && kept->is_object() ? kept->get_object().if_contains(id) : nullptr;
      value = old && old->is_object()
                  ? *old
                  : json::value(json::object{{"principalId", random.Uuid()}, {"clientId", random.Uuid()}});
    }
  }
  properties.erase("identityProfile");
  if (type != "SystemAssigned" && type != "UserAssigned") return;
  if (const json::value* kept = previous({"properties", "identityProfile"})) {
    properties["identityProfile"] = *kept;
    return;
  }
  const std::string node_group = "MC_" + names.group + "_" + names.cluster + "_" + location;
  properties["identityProfile"] = json::object{
      {"kubeletidentity", json::object{{"resourceId", "/subscriptions/" + names.subscription +
                                                          "/resourcegroups/" + node_group +
                                                          "/providers/Microsoft.ManagedIdentity/"
                                                          "userAssignedIdentities/" +
                                                          names.cluster + "-agentpool"},
                                       {"clientId", random.Uuid()},
                                       {"objectId", random.Uuid()}}}};
}

// What a stored cluster does not let a PUT change.
Status CheckAgainstBefore(const ClusterSpec& spec, const ClusterRecord& before,
                          const ResourceNames& names) {
  if (before.location() != spec.location) {
    return MakeError(StatusCode::kFailedPrecondition, "InvalidResourceLocation",
                     "The cluster '" + names.cluster + "' already exists in location '" +
                         before.location() + "'; a cluster cannot move to '" + spec.location +
                         "'. Keep its location, or create a cluster of another name.",
                     "location");
  }
  if (before.stopped()) return StoppedError("Managed cluster '" + names.cluster + "'");
  return OkStatus();
}

// The pools a request names, each checked with the cluster's defaults: a new cluster gets the
// System pool AKS gives it (Automatic sku, or the first pool when none names a mode).
Result<std::vector<PoolSpec>> PoolsToWrite(const ClusterSpec& spec, bool creating,
                                           bool azure_cni) {
  std::vector<PoolSpec> pools = spec.pools;
  const json::value* sku = spec.resource.if_contains("sku");
  if (creating && pools.empty() && sku && sku->is_object() &&
      StringOr(sku->get_object(), "name", "") == "Automatic") {
    pools.push_back(
        PoolSpec{"nodepool1", json::object{{"count", 3}, {"mode", "System"}, {"osType", "Linux"}}});
  }
  if (creating && pools.empty()) {
    return Invalid("A new cluster needs at least one agent pool in properties.agentPoolProfiles.",
                   "properties.agentPoolProfiles");
  }
  if (creating && std::none_of(pools.begin(), pools.end(), [](const PoolSpec& pool) {
        return pool.properties.contains("mode");
      }))
    pools.front().properties["mode"] = "System";
  bool has_system = false;
  for (std::size_t i = 0; i < pools.size(); ++i) {
    json::object& properties = pools[i].properties;
    GP_RETURN_IF_ERROR(ValidatePoolProperties(
        properties, "properties.agentPoolProfiles[" + std::to_string(i) + "]"));
    FillPoolDefaults(properties, azure_cni);
    has_system = has_system || properties.at("mode") == "System";
  }
  if (creating && !has_system) {
    return Invalid("A cluster needs at least one agent pool with mode System.",
                   "properties.agentPoolProfiles");
  }
  return pools;
}

// The cluster's SSH model after the request, and whether its keys changed.
struct SshChange {
  SshModel ssh;
  bool keys_changed = false;
};
Result<SshChange> SshAfter(const ClusterSpec& spec, const ClusterPutInput& input) {
  if (!input.before) return SshChange{spec.ssh ? *spec.ssh : input.generated_ssh.value_or(SshModel{}), false};
  const SshModel& had = input.before->ssh;
  if (!spec.ssh || (spec.ssh->public_keys == had.public_keys &&
                    spec.ssh->admin_username == had.admin_username))
    return SshChange{had, false};
  if (spec.ssh->admin_username != had.admin_username) {
    return InvalidInput("PropertyChangeNotAllowed",
                        "linuxProfile.adminUsername cannot change after creation (it is '" +
                            had.admin_username + "').",
                        "linuxProfile.adminUsername");
  }
  for (const PoolRecord& pool : input.pools) {
    if (pool.properties().at("type") != "AvailabilitySet") continue;
    return InvalidInput("OperationNotAllowed",
                        "The SSH key can only be updated on clusters whose node pools are all "
                        "VirtualMachineScaleSets; pool '" +
                            pool.name() + "' is an AvailabilitySet pool.",
                        "properties.linuxProfile.ssh.publicKeys");
  }
  return SshChange{*spec.ssh, true};
}

// The ARM resource as stored: the client's fields (unknown ones kept), the server's read-only ones.
json::object ClusterResource(const ClusterSpec& spec, json::object properties, const SshModel& ssh,
                             const ClusterPutInput& input) {
  const ResourceNames& names = input.names;
  const std::optional<ClusterRecord>& before = input.before;
  json::object resource = spec.resource;
  DropSecrets(properties);
  if (properties["kubernetesVersion"].is_null() || properties["kubernetesVersion"] == "")
    properties["kubernetesVersion"] = DefaultKubernetesVersion();
  properties["currentKubernetesVersion"] = properties["kubernetesVersion"];
  properties["provisioningState"] = before ? "Updating" : "Creating";
  properties["powerState"] = json::object{{"code", "Running"}};  // a stopped one is refused
  const std::string dns_prefix = StringOr(properties, "dnsPrefix", names.cluster);
  properties["dnsPrefix"] = dns_prefix;
  AddComputedFields(properties, names, spec.location, dns_prefix);
  // Managed-identity clusters report clientId "msi"; az's show/list code relies on the field.
  if (!properties.contains("servicePrincipalProfile") ||
      !properties["servicePrincipalProfile"].is_object())
    properties["servicePrincipalProfile"] = json::object{{"clientId", "msi"}};
  if (!ssh.service_generated) {
    json::array keys;
    for (const auto& key : ssh.public_keys) keys.push_back(json::object{{"keyData", key}});
    properties["linuxProfile"] = json::object{
        {"adminUsername", ssh.admin_username}, {"ssh", json::object{{"publicKeys", std::move(keys)}}}};
  } else {
    properties.erase("linuxProfile");  // the service-generated key is never shown
  }
  AddManagedIdentities(resource, properties, before ? &before->resource : nullptr, names,
                       spec.location, input.random);
  resource["id"] = before ? before->id : names.cluster_id();
  resource["name"] = before ? before->resource.at("name") : json::value(names.cluster);
  resource["type"] = kClusterType;
  resource["properties"] = std::move(properties);
  return resource;
}

// A model changes version once per request, whatever changed in it.
void MoveModel(PoolModel& model, const SshChange& change, const std::string& access) {
  const std::vector<std::string> keys_until_now = model.ssh.public_keys;
  bool changed = false;
  if (change.keys_changed) {
    model.ssh.public_keys = change.ssh.public_keys;
    model.ssh.service_generated = false;
    changed = true;
  }
  if (access != model.ssh_access) {
    model.ssh_access = access;
    changed = true;
  }
  if (changed) model.StartNextVersion(keys_until_now);
}

// Pools: new ones get the current model; a changed key moves every scale-set pool's model on,
// also of the pools the request did not name.
void PlanPoolWrites(const std::vector<PoolSpec>& pools, const SshChange& change,
                    const std::string& kubernetes, const ClusterPutInput& input, WritePlan& plan) {
  std::map<std::string, const PoolRecord*> stored;
  for (const PoolRecord& pool : input.pools) stored[store::IdKey(pool.name())] = &pool;
  const std::string state = input.before ? "Updating" : "Creating";
  for (const PoolSpec& pool : pools) {
    ResourceNames names = input.names;
    names.pool = pool.name;
    json::object properties = pool.properties;
    plan.node_counts[names.pool_id()] = properties.at("count").as_int64();
    const auto found = stored.find(store::IdKey(pool.name));
    if (found == stored.end()) {
      properties.erase("nodeImageVersion");  // the server's: new nodes get the latest image
      plan.mutations.push_back(store::Mutation::Put(
          PoolRow(names, std::move(properties), state, NewPoolModel(change.ssh, pool.properties),
                  kubernetes, input.latest_image)
              .Encode(),
          store::Precondition::Absent()));
      continue;
    }
    const PoolRecord& before = *found->second;
    PoolModel model = before.model;
    MoveModel(model, change, SshAccessOr(properties, model.ssh_access));
    properties["nodeImageVersion"] = before.properties().at("nodeImageVersion");
    plan.mutations.push_back(store::Mutation::Put(
        PoolRow(names, std::move(properties), state, std::move(model), kubernetes,
                input.latest_image)
            .Encode(),
        store::Precondition::AtVersion(before.version)));
    stored.erase(found);
  }
  if (!change.keys_changed) return;  // the pools not named keep their properties
  for (const auto& [name, before] : stored) {
    PoolRecord pool = *before;
    MoveModel(pool.model, change, pool.model.ssh_access);
    pool.properties()["sshModelVersion"] = pool.model.version;
    plan.mutations.push_back(WriteBack(pool));
  }
}

}  // namespace

Result<WritePlan> PlanClusterPut(const ClusterSpec& spec, const ClusterPutInput& input) {
  const std::optional<ClusterRecord>& before = input.before;
  if (before) GP_RETURN_IF_ERROR(CheckAgainstBefore(spec, *before, input.names));
  // A PUT changes what it names and keeps the rest (clients that read with an older api-version
  // send fewer fields than the cluster has).
  json::object properties = spec.properties;
  if (before)
    for (const auto& [name, value] : before->properties())
      if (!properties.contains(name)) properties[name] = value;
  FillClusterDefaults(properties);
  GP_ASSIGN_OR_RETURN(const std::vector<PoolSpec> pools,
                      PoolsToWrite(spec, !before, AzureCni(properties)));
  GP_ASSIGN_OR_RETURN(const SshChange change, SshAfter(spec, input));
  ClusterRecord cluster;
  cluster.id = input.names.cluster_id();
  cluster.parent = input.names.group_id();
  cluster.resource = ClusterResource(spec, std::move(properties), change.ssh, input);
  cluster.ssh = change.ssh;
  cluster.uid = before && !before->uid.empty() ? before->uid : input.random.Uuid();
  if (before) cluster.credential_generation = before->credential_generation;
  WritePlan plan;
  plan.created = !before;
  plan.mutations.push_back(store::Mutation::Put(
      cluster.Encode(), before ? store::Precondition::AtVersion(before->version)
                               : store::Precondition::Absent()));
  const std::string kubernetes =
      StringOr(cluster.properties(), "kubernetesVersion", DefaultKubernetesVersion());
  PlanPoolWrites(pools, change, kubernetes, input, plan);
  return plan;
}

}  // namespace gangplank::resources
