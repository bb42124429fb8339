// Managed clusters: PUT (create and update, with the SSH model every pool's nodes come from),
// GET, PATCH (tags), DELETE and lists; the desired state and its operation are written in one
// batch.
#include <algorithm>
#include <boost/beast/http/field.hpp>
#include <map>
#include <set>

#include "api/container_service.h"
#include "common/random.h"
#include "resources/arm_defaults.h"
#include "resources/arm_views.h"
#include "resources/kubernetes_versions.h"
#include "resources/limits.h"
#include "resources/location.h"
#include "sshkey/generate.h"

namespace gangplank::api {
namespace http = boost::beast::http;

namespace {

using controller::kDeleteCluster;
using controller::kPutCluster;

SshModel GeneratedSshModel() {
  // --no-ssh-key: a key pair whose private half is dropped here, so nobody can log in with it.
  SshModel ssh;
  auto pair =
      sshkey::GenerateKeyPair({sshkey::KeyKind::kEd25519, 0, "gangplank-service-generated"});
  if (pair) ssh.public_keys.push_back(pair->public_key.ToPublicKeyLine());
  ssh.service_generated = true;
  return ssh;  // `pair` (and its wiped private key buffer) ends here
}

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
                          const std::string& location) {
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
    sent["principalId"] = principal ? *principal : json::value(NewUuid());
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
                  : json::value(json::object{{"principalId", NewUuid()}, {"clientId", NewUuid()}});
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
                                       {"clientId", NewUuid()},
                                       {"objectId", NewUuid()}}}};
}

// The cluster's own uid: made at create, kept by every update; a cluster deleted and created
// again under the same name gets a new one, so credentials of the old one stop working.
// The answer to a PUT or PATCH that wrote `row` and started `operation`: the cluster's view with
// its ETag and the Azure-AsyncOperation header.
HttpResponse Written(const ArmCall& call, const store::Resource& row,
                     const controller::Operation& operation, HttpStatus status) {
  auto view = ClusterView(call.context.store, row, call.api_version);
  if (!view) return StoreFailure(call.request, view.error());
  HttpResponse response = JsonResponse(call.request.http, status, *view);
  response.set(http::field::etag, Etag(row.version));
  AddOperationHeaders(response, call.context, operation, call.api_version, false);
  return response;
}

// stop / start: every pool's powerState, reconciled by a cluster operation (nodes keep their
// model and image; a stopped node runs no sshd).
HttpResponse PowerCluster(const ArmCall& call, bool start) {
  auto found = ClusterForAction(call);
  if (auto* refused = std::get_if<HttpResponse>(&found)) return std::move(*refused);
  auto& cluster = std::get<resources::ClusterRecord>(found);
  auto pools = PoolsOf(call.context.store, call.names.cluster_id());
  if (!pools) return StoreFailure(call.request, pools.error());
  const char* state = start ? "Starting" : "Stopping";
  std::vector<store::Mutation> changes;
  for (const auto& pool : *pools) {
    auto record = resources::PoolRecord::Decode(pool);
    if (!record) return StoreFailure(call.request, record.error());
    record->set_power(start);
    record->set_provisioning_state(state);
    changes.push_back(resources::WriteBack(*record));
  }
  cluster.set_provisioning_state(state);
  changes.push_back(resources::WriteBack(cluster));
  return AcceptOperation(call, kPutCluster, call.names.cluster_id(), std::move(changes));
}

}  // namespace

HttpResponse StopCluster(const ArmCall& call) { return PowerCluster(call, false); }
HttpResponse AbortClusterOperation(const ArmCall& call) {
  return AbortLatestOperation(call, kClusterKind, call.names.cluster_id());
}
HttpResponse StartCluster(const ArmCall& call) { return PowerCluster(call, true); }

HttpResponse PutCluster(const ArmCall& call) {
  const ApiRequest& request = call.request;
  const HandlerContext& context = call.context;
  const ResourceNames& names = call.names;
  const std::string& api_version = call.api_version;
  if (!IsValidClusterName(names.cluster)) {
    return Error400(request, {"InvalidParameter",
                              "Cluster names are 1-63 letters, digits, '-' and '_', starting and "
                              "ending with a letter or digit.",
                              "resourceName"});
  }
  auto body = ParseObject(request.http.body());
  if (!body) return NotJson(request, "{\"location\": \"westus2\", \"properties\": {...}}");
  const json::value* sent_location = body->if_contains("location");
  if (!sent_location || !sent_location->is_string() || sent_location->get_string().empty()) {
    return Error400(request,
                    {"LocationRequired", "The location property is required.", "location"});
  }
  auto region = resources::NormalizeLocation(sent_location->get_string(),
                                             "LocationNotAvailableForResourceType");
  if (!region) return ArmErrorResponse(request.http, region.error(), "location");
  (*body)["location"] = *region;
  const json::value* location = body->if_contains("location");
  if (const json::value* tags = body->if_contains("tags"); tags && !tags->is_null()) {
    if (auto error = CheckTags(*tags)) return Error400(request, *error);
  }
  auto group = context.store.Get("resourceGroup", names.group_id());
  if (!group) return StoreFailure(request, group.error());
  if (!group->has_value()) {
    return ArmErrorResponse(request.http, HttpStatus::not_found, "ResourceGroupNotFound",
                            "Resource group '" + names.group + "' could not be found.");
  }
  auto existing = context.store.Get(kClusterKind, names.cluster_id());
  if (!existing) return StoreFailure(request, existing.error());
  const auto if_match = request.http[http::field::if_match];
  const auto if_none_match = request.http[http::field::if_none_match];
  if (!if_match.empty() &&
      (!existing->has_value() || (if_match != "*" && if_match != Etag((*existing)->version)))) {
    return ArmErrorResponse(
        request.http, HttpStatus::precondition_failed, "PreconditionFailed",
        "The If-Match header does not match the cluster's current ETag; read it again.");
  }
  if (if_none_match == "*" && existing->has_value()) {
    return ArmErrorResponse(request.http, HttpStatus::precondition_failed, "PreconditionFailed",
                            "The cluster already exists (If-None-Match: *).");
  }
  if (auto busy = RefuseWhileBusy(call)) return std::move(*busy);
  std::optional<resources::ClusterRecord> before;
  if (existing->has_value()) {
    auto decoded = resources::ClusterRecord::Decode(**existing);
    if (!decoded) return StoreFailure(request, decoded.error());
    before = std::move(decoded.value());
  }
  if (before && before->location() != *region) {
    return ArmErrorResponse(request.http, HttpStatus::conflict, "InvalidResourceLocation",
                            "The cluster '" + names.cluster + "' already exists in location '" +
                                before->location() + "'; a cluster cannot move to '" + *region +
                                "'. Keep its location, or create a cluster of another name.",
                            "location");
  }
  if (before && before->stopped()) {
    return Stopped(request, "Managed cluster '" + names.cluster + "'");
  }

  json::object properties;
  if (const auto* sent = body->if_contains("properties"); sent && sent->is_object()) {
    properties = sent->get_object();
  } else if (body->contains("properties")) {
    return Error400(request, {"InvalidParameter", "properties must be an object.", "properties"});
  }
  if (auto error = CheckStringFields(
          properties, {"kubernetesVersion", "dnsPrefix", "nodeResourceGroup"}, "properties")) {
    return Error400(request, *error);
  }
  if (auto error = CheckObjectFields(properties,
                                     {"networkProfile", "servicePrincipalProfile", "windowsProfile",
                                      "aadProfile", "identityProfile", "securityProfile"},
                                     "properties")) {
    return Error400(request, *error);
  }
  resources::DropReadOnlyClusterInput(properties);
  auto linux_profile = ParseLinuxProfile(properties);
  if (auto* error = std::get_if<SpecError>(&linux_profile)) return Error400(request, *error);
  std::optional<SshModel> requested_ssh = std::get<std::optional<SshModel>>(linux_profile);
  if (existing->has_value()) {
    // A PUT changes what it names and keeps the rest (clients that read with an older
    // api-version send fewer fields than the cluster has).
    for (const auto& [name, value] : before->properties())
      if (!properties.contains(name)) properties[name] = value;
  }
  resources::FillClusterDefaults(properties);
  const bool azure_cni = AzureCni(properties);

  // Agent pool profiles: validate every one before anything is written.
  json::array profiles;
  if (const auto* sent = properties.if_contains("agentPoolProfiles"); sent && sent->is_array()) {
    profiles = sent->get_array();
  } else if (properties.contains("agentPoolProfiles")) {
    return Error400(request, {"InvalidParameter", "agentPoolProfiles must be an array.",
                              "properties.agentPoolProfiles"});
  }
  // An Automatic cluster (sku.name Automatic) gets its system pool from the service.
  if (const json::value* sku = body->if_contains("sku");
      !existing->has_value() && profiles.empty() && sku && sku->is_object() &&
      StringOr(sku->get_object(), "name", "") == "Automatic") {
    profiles.push_back(
        json::object{{"name", "nodepool1"}, {"count", 3}, {"mode", "System"}, {"osType", "Linux"}});
  }
  if (profiles.size() > resources::limits::kPoolsPerCluster) {
    return Error400(
        request, {"QuotaExceeded",
                  "properties.agentPoolProfiles has " + std::to_string(profiles.size()) +
                      " pools; the limit is " +
                      std::to_string(resources::limits::kPoolsPerCluster) + " pools per cluster.",
                  "properties.agentPoolProfiles"});
  }
  if (!existing->has_value() && profiles.empty()) {
    return Error400(request, {"InvalidParameter",
                              "A new cluster needs at least one agent pool in "
                              "properties.agentPoolProfiles.",
                              "properties.agentPoolProfiles"});
  }
  // As AKS does, a new cluster whose pools name no mode gets its first pool as the System pool.
  if (!existing->has_value() &&
      std::none_of(
          profiles.begin(), profiles.end(),
          [](const json::value& p) { return p.is_object() && p.get_object().contains("mode"); }) &&
      profiles[0].is_object()) {
    profiles[0].as_object()["mode"] = "System";
  }
  std::set<std::string> seen;
  bool has_system = false;
  for (std::size_t i = 0; i < profiles.size(); ++i) {
    const std::string path = "properties.agentPoolProfiles[" + std::to_string(i) + "]";
    if (!profiles[i].is_object())
      return Error400(request, {"InvalidParameter", path + " must be an object.", path});
    json::object& profile = profiles[i].as_object();
    const std::string pool_name = profile.contains("name") && profile["name"].is_string()
                                      ? std::string(profile["name"].as_string())
                                      : "";
    if (!IsValidPoolName(pool_name)) {
      return Error400(request, {"InvalidParameter",
                                "Agent pool name '" + pool_name.substr(0, 40) +
                                    "' is invalid: use 1-12 "
                                    "lowercase letters and digits, starting with a letter.",
                                path + ".name"});
    }
    if (!seen.insert(pool_name).second) {
      return Error400(request,
                      {"InvalidParameter", "Agent pool name '" + pool_name + "' is used twice.",
                       path + ".name"});
    }
    resources::ShapePoolRequest(profile, api_version);
    resources::DropReadOnlyPoolInput(profile);
    if (auto error = ValidatePoolProperties(profile, path)) return Error400(request, *error);
    resources::FillPoolDefaults(profile, azure_cni);
    has_system = has_system || profile["mode"] == "System";
  }
  if (!existing->has_value() && !has_system) {
    return Error400(
        request, {"InvalidParameter", "A cluster needs at least one agent pool with mode System.",
                  "properties.agentPoolProfiles"});
  }

  // SSH model: what the client sent, what the cluster had, or a generated key (--no-ssh-key).
  SshModel ssh;
  bool keys_changed = false;
  if (existing->has_value()) {
    ssh = before->ssh;
    if (requested_ssh && (requested_ssh->public_keys != ssh.public_keys ||
                          requested_ssh->admin_username != ssh.admin_username)) {
      if (requested_ssh->admin_username != ssh.admin_username) {
        return Error400(request,
                        {"PropertyChangeNotAllowed",
                         "linuxProfile.adminUsername cannot change after creation (it is '" +
                             ssh.admin_username + "').",
                         "linuxProfile.adminUsername"});
      }
      ssh = *requested_ssh;
      keys_changed = true;
    }
  } else {
    ssh = requested_ssh ? *requested_ssh : GeneratedSshModel();
  }

  // The ARM resource as stored: the client's fields (unknown ones kept), the server's read-only
  // ones.
  const std::string state = existing->has_value() ? "Updating" : "Creating";
  json::object resource = *body;
  properties.erase("agentPoolProfiles");
  DropSecrets(properties);
  if (properties["kubernetesVersion"].is_null() || properties["kubernetesVersion"] == "") {
    properties["kubernetesVersion"] = resources::DefaultKubernetesVersion();
  }
  const std::string kubernetes = std::string(properties["kubernetesVersion"].as_string());
  properties["currentKubernetesVersion"] = kubernetes;
  properties["provisioningState"] = state;
  properties["powerState"] = json::object{{"code", "Running"}};  // a stopped one is refused above
  const std::string dns_prefix =
      properties.contains("dnsPrefix") && properties["dnsPrefix"].is_string()
          ? std::string(properties["dnsPrefix"].as_string())
          : names.cluster;
  properties["dnsPrefix"] = dns_prefix;
  AddComputedFields(properties, names, std::string(location->as_string()), dns_prefix);
  // Managed-identity clusters report clientId "msi"; az's show/list code relies on the field.
  if (!properties.contains("servicePrincipalProfile") ||
      !properties["servicePrincipalProfile"].is_object()) {
    properties["servicePrincipalProfile"] = json::object{{"clientId", "msi"}};
  }
  if (!ssh.service_generated) {
    json::array keys;
    for (const auto& key : ssh.public_keys) keys.push_back(json::object{{"keyData", key}});
    properties["linuxProfile"] =
        json::object{{"adminUsername", ssh.admin_username},
                     {"ssh", json::object{{"publicKeys", std::move(keys)}}}};
  } else {
    properties.erase("linuxProfile");  // the service-generated key is never shown
  }
  AddManagedIdentities(resource, properties, before ? &before->resource : nullptr, names,
                       std::string(location->as_string()));
  resource["id"] = before ? before->id : names.cluster_id();
  resource["name"] = before ? before->resource.at("name") : json::value(names.cluster);
  resource["type"] = kClusterType;
  resource["properties"] = std::move(properties);

  // Pools: new ones get the current model; changed keys bump every scale-set pool's model.
  auto pools = PoolsOf(context.store, names.cluster_id());
  if (!pools) return StoreFailure(request, pools.error());
  std::map<std::string, store::Resource> by_name;
  for (const auto& row : *pools) by_name[store::IdKey(PoolView(row).at("name").as_string())] = row;
  if (keys_changed) {
    for (const auto& [name, row] : by_name) {
      const json::object view = PoolView(row);
      if (view.at("properties").at("type") == "AvailabilitySet") {
        return Error400(
            request,
            {"OperationNotAllowed",
             "The SSH key can only be updated on clusters whose node pools are all "
             "VirtualMachineScaleSets; pool '" +
                 std::string(view.at("name").as_string()) + "' is an AvailabilitySet pool.",
             "properties.linuxProfile.ssh.publicKeys"});
      }
    }
  }
  // A model changes version once per request, whatever changed in it.
  auto apply_model_changes = [&](resources::PoolModel& model, const std::string& access) {
    const std::vector<std::string> keys_until_now = model.ssh.public_keys;
    bool changed = false;
    if (keys_changed) {
      model.ssh.public_keys = ssh.public_keys;
      model.ssh.service_generated = false;
      changed = true;
    }
    if (access != model.ssh_access) {
      model.ssh_access = access;
      changed = true;
    }
    if (changed) model.StartNextVersion(keys_until_now);
  };
  std::vector<store::Mutation> mutations;
  for (auto& value : profiles) {
    json::object profile = value.as_object();
    ResourceNames pool_names = names;
    pool_names.pool = std::string(profile["name"].as_string());
    profile.erase("name");
    const auto found = by_name.find(store::IdKey(pool_names.pool));
    if (found == by_name.end()) {
      profile.erase("nodeImageVersion");  // the server's: new nodes get the latest image
      mutations.push_back(
          store::Mutation::Put(PoolRow(pool_names, profile, state, NewPoolModel(ssh, profile),
                                       kubernetes, context.images)
                                   .Encode(),
                               store::Precondition::Absent()));
    } else {
      auto pool = resources::PoolRecord::Decode(found->second);
      if (!pool) return StoreFailure(request, pool.error());
      apply_model_changes(pool->model, SshAccessOr(profile, pool->model.ssh_access));
      profile["nodeImageVersion"] = pool->properties().at("nodeImageVersion");
      mutations.push_back(store::Mutation::Put(
          PoolRow(pool_names, profile, state, pool->model, kubernetes, context.images).Encode(),
          store::Precondition::AtVersion(found->second.version)));
      by_name.erase(found);
    }
  }
  for (const auto& [name, row] : by_name) {
    // Pools the request did not mention keep their properties; a new key still enters their model.
    if (!keys_changed) continue;
    auto pool = resources::PoolRecord::Decode(row);
    if (!pool) return StoreFailure(request, pool.error());
    apply_model_changes(pool->model, pool->model.ssh_access);
    pool->properties()["sshModelVersion"] = pool->model.version;
    mutations.push_back(resources::WriteBack(*pool));
  }

  resources::ClusterRecord cluster;
  cluster.id = names.cluster_id();
  cluster.parent = names.group_id();
  cluster.resource = std::move(resource);
  cluster.ssh = ssh;
  cluster.uid = before && !before->uid.empty() ? before->uid : NewUuid();
  const store::Resource cluster_row = cluster.Encode();
  mutations.insert(
      mutations.begin(),
      store::Mutation::Put(cluster_row, before ? store::Precondition::AtVersion(before->version)
                                               : store::Precondition::Absent()));
  std::map<std::string, std::int64_t> asked;  // the pools this request names, and their counts
  for (const auto& value : profiles) {
    const json::object& profile = value.as_object();
    ResourceNames pool_names = names;
    pool_names.pool = std::string(profile.at("name").as_string());
    asked[pool_names.pool_id()] = profile.at("count").as_int64();
  }
  if (auto refused = ReserveLocalNodes(call, asked, mutations)) return std::move(*refused);
  auto accepted = CommitOperation(call, kPutCluster, names.cluster_id(),
                                  std::string(location->as_string()), std::move(mutations));
  if (auto* refused = std::get_if<HttpResponse>(&accepted)) return std::move(*refused);
  const Accepted& done = std::get<Accepted>(accepted);
  return Written(call, done.stored.front(), done.operation,
                 existing->has_value() ? HttpStatus::ok : HttpStatus::created);
}

HttpResponse GetCluster(const ArmCall& call) {
  const ApiRequest& request = call.request;
  const HandlerContext& context = call.context;
  const ResourceNames& names = call.names;
  const std::uint64_t revision = context.store.Revision();
  auto cached = context.views.Find(ViewKey(names.cluster_id(), call.api_version), revision);
  if (!cached) {
    auto row = context.store.Get(kClusterKind, names.cluster_id());
    if (!row) return StoreFailure(request, row.error());
    if (!row->has_value()) return ClusterNotFound(request, names);
    auto view = CachedClusterView(context, revision, **row, call.api_version);
    if (!view) return StoreFailure(request, view.error());
    cached = std::move(view.value());
  }
  HttpResponse response = JsonTextResponse(request.http, HttpStatus::ok, *cached->body);
  response.set(http::field::etag, cached->etag);
  return response;
}

// PATCH: tags only (ManagedClusters_UpdateTags; `az aks update --tags`). Nodes are not touched;
// the operation is recorded like any other so clients poll it the same way.
HttpResponse PatchCluster(const ArmCall& call) {
  const ApiRequest& request = call.request;
  const HandlerContext& context = call.context;
  const ResourceNames& names = call.names;
  auto body = ParseObject(request.http.body());
  if (!body) return NotJson(request, "{\"tags\": {\"team\": \"platform\"}}");
  const json::value* tags = body->if_contains("tags");
  if (tags != nullptr && !tags->is_null()) {
    if (auto error = CheckTags(*tags)) return Error400(request, *error);
  }
  auto row = context.store.Get(kClusterKind, names.cluster_id());
  if (!row) return StoreFailure(request, row.error());
  if (!row->has_value()) return ClusterNotFound(request, names);
  if (auto busy = RefuseWhileBusy(call)) return std::move(*busy);
  auto cluster = resources::ClusterRecord::Decode(**row);
  if (!cluster) return StoreFailure(request, cluster.error());
  cluster->resource["tags"] = tags && tags->is_object() ? *tags : json::value(json::object{});
  cluster->set_provisioning_state("Updating");
  auto accepted = CommitOperation(call, kPutCluster, names.cluster_id(), cluster->location(),
                                  {resources::WriteBack(*cluster)});
  if (auto* refused = std::get_if<HttpResponse>(&accepted)) return std::move(*refused);
  const Accepted& done = std::get<Accepted>(accepted);
  return Written(call, done.stored.front(), done.operation, HttpStatus::ok);
}

HttpResponse DeleteCluster(const ArmCall& call) {
  const ApiRequest& request = call.request;
  const HandlerContext& context = call.context;
  const ResourceNames& names = call.names;
  auto row = context.store.Get(kClusterKind, names.cluster_id());
  if (!row) return StoreFailure(request, row.error());
  if (!row->has_value()) return EmptyResponse(request.http, HttpStatus::no_content);
  if (auto busy = RefuseWhileBusy(call)) return std::move(*busy);
  return StartDelete(call, kDeleteCluster, **row, false);
}

namespace {

HttpResponse ListClusters(const ApiRequest& request, const HandlerContext& context,
                          const std::string& subscription, const std::optional<std::string>& group,
                          std::string_view api_version) {
  const std::uint64_t revision = context.store.Revision();
  Result<std::vector<store::Resource>> rows =
      group ? context.store.List(kClusterKind,
                                 "/subscriptions/" + subscription + "/resourceGroups/" + *group)
            : context.store.ListKind(kClusterKind);
  if (!rows) return StoreFailure(request, rows.error());
  // {"value": [views…]}, joined from the cached views without parsing them again.
  std::string body = "{\"value\":[";
  const std::string prefix = store::IdKey("/subscriptions/" + subscription + "/");
  bool first = true;
  for (const auto& row : *rows) {
    if (!store::IdKey(row.id).starts_with(prefix)) continue;
    auto view = CachedClusterView(context, revision, row, api_version);
    if (!view && LeaveOutOfList(context, view.error())) continue;
    if (!view) return StoreFailure(request, view.error());
    if (!first) body += ',';
    body += *view->body;
    first = false;
  }
  body += "]}";
  return JsonTextResponse(request.http, HttpStatus::ok, body);
}

}  // namespace

HttpResponse ListClustersInGroup(const ArmCall& call) {
  return ListClusters(call.request, call.context, call.names.subscription, call.names.group,
                      call.api_version);
}

HttpResponse ListClustersInSubscription(const ArmCall& call) {
  return ListClusters(call.request, call.context, call.names.subscription, std::nullopt,
                      call.api_version);
}

}  // namespace gangplank::api
