// Managed clusters and agent pools (Microsoft.ContainerService, api-version 2022-11-01): the
// desired state is written with an operation record in one batch; the operations engine finishes
// it. Pools carry the SSH model their nodes are provisioned from (DESIGN.md §1).
#include <algorithm>
#include <boost/beast/http/field.hpp>
#include <boost/json.hpp>
#include <set>

#include "api/arm_response.h"
#include "api/cluster_spec.h"
#include "api/handlers.h"
#include "common/random.h"
#include "controller/cluster_docs.h"
#include "controller/machines.h"
#include "sshkey/generate.h"

namespace gangplank::api {
namespace json = boost::json;
namespace http = boost::beast::http;

namespace {

using controller::kClusterKind;
using controller::kPoolKind;
using controller::kPoolType;
using controller::PoolsOf;
using controller::PoolView;
using controller::SshAccessOf;
using controller::SshFromJson;
using controller::SshJson;
using controller::StringOr;
constexpr std::string_view kClusterType = "Microsoft.ContainerService/ManagedClusters";
constexpr std::string_view kDefaultKubernetes = "1.25.6";

using controller::kDeleteCluster;
using controller::kDeletePool;
using controller::kPutCluster;
using controller::kPutPool;
using controller::kUpgradeImage;

struct Names {
  std::string subscription, group, cluster, pool;
  std::string group_id() const {
    return "/subscriptions/" + subscription + "/resourceGroups/" + group;
  }
  std::string cluster_id() const {
    return group_id() + "/providers/Microsoft.ContainerService/managedClusters/" + cluster;
  }
  std::string pool_id() const { return cluster_id() + "/agentPools/" + pool; }
};

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

HttpResponse ClusterNotFound(const ApiRequest& request, const Names& names) {
  return ArmErrorResponse(request.http, HttpStatus::not_found, "ResourceNotFound",
                          "The Resource 'Microsoft.ContainerService/managedClusters/" +
                              names.cluster + "' under resource group '" + names.group +
                              "' was not found.");
}

HttpResponse PoolNotFound(const ApiRequest& request, const Names& names) {
  return ArmErrorResponse(
      request.http, HttpStatus::not_found, "NotFound",
      "Agent pool '" + names.pool + "' was not found in managed cluster '" + names.cluster + "'.");
}

// ---- views -----------------------------------------------------------------------------------

// The cluster as ARM shows it: the stored resource plus agentPoolProfiles built from its pools.
Result<json::object> ClusterView(store::Store& store, const store::Resource& row) {
  json::object resource = json::parse(row.body).at("resource").as_object();
  auto pools = PoolsOf(store, row.id);
  if (!pools) return pools.error();
  json::array profiles;
  for (const auto& pool : *pools) {
    json::object view = PoolView(pool);
    json::object profile = view.at("properties").as_object();
    profile["name"] = view.at("name");
    profiles.push_back(std::move(profile));
  }
  resource["properties"].as_object()["agentPoolProfiles"] = std::move(profiles);
  return resource;
}

std::string OperationUrl(const HandlerContext& context, const controller::Operation& operation,
                         std::string_view api_version) {
  return context.config.server_url + operation.id.substr(1) +
         "?api-version=" + std::string(api_version);
}

std::string OperationResultUrl(const HandlerContext& context,
                               const controller::Operation& operation,
                               std::string_view api_version) {
  std::string id = operation.id;
  id.replace(id.rfind("/operations/"), 12, "/operationresults/");
  return context.config.server_url + id.substr(1) + "?api-version=" + std::string(api_version);
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

// ---- pools: building and model changes -------------------------------------------------------

json::object NewPoolModel(const SshModel& ssh, const json::object& properties) {
  json::object model = SshJson(ssh);
  model["version"] = 1;
  model["sshAccess"] = SshAccessOf(properties);
  return model;
}

// A pool row for `properties` (validated), keeping `previous` model unless this creates it.
store::Resource PoolRow(const Names& names, json::object properties, const std::string& state,
                        json::object model, const std::string& kubernetes_version,
                        controller::NodeImageCatalog& images) {
  properties["provisioningState"] = state;
  properties["powerState"] = json::object{{"code", "Running"}};
  if (!properties.contains("orchestratorVersion") || properties["orchestratorVersion"] == "") {
    properties["orchestratorVersion"] = kubernetes_version;
  }
  properties["currentOrchestratorVersion"] = properties["orchestratorVersion"];
  properties["sshModelVersion"] = model.at("version");  // read-only: the model new nodes get
  if (!properties.contains("nodeImageVersion"))
    properties["nodeImageVersion"] =
        images.Latest(controller::StringOr(properties, "osSKU", "Ubuntu"));
  json::object resource{{"id", names.pool_id()},
                        {"name", names.pool},
                        {"type", kPoolType},
                        {"properties", std::move(properties)}};
  return store::Resource{
      std::string(kPoolKind), names.pool_id(), names.cluster_id(),
      json::serialize(json::object{{"resource", std::move(resource)}, {"model", std::move(model)}}),
      0};
}

// ---- machines (the nodes of a pool; controller/machines.h) ----------------------------------

// GET …/machines, …/machines/NAME and …/machines/NAME/logs (the node's agent and sshd log and
// its login events: the "kubelet logs" of the seed page).
HttpResponse GetMachines(const ApiRequest& request, const HandlerContext& context,
                         const Names& names, const std::optional<std::string>& machine, bool logs) {
  auto pool = context.store.Get(kPoolKind, names.pool_id());
  if (!pool) return StoreFailure(request, pool.error());
  if (!pool->has_value()) return PoolNotFound(request, names);
  const controller::PoolTarget target =
      controller::TargetOf(json::parse((*pool)->body).as_object(), context.images);
  auto machines = controller::MachinesOf(
      context.store, names.pool_id(),
      logs ? controller::MachineDetail::kLogs : controller::MachineDetail::kStatus);
  if (!machines) return StoreFailure(request, machines.error());
  json::array value;
  for (const auto& row : *machines) {
    json::object view = controller::MachineView(row, target);
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

// ---- managed clusters ------------------------------------------------------------------------

SshModel GeneratedSshModel() {
  // --no-ssh-key: a key pair whose private half is dropped here, so nobody can log in with it.
  SshModel ssh;
  auto pair =
      sshkey::GenerateKeyPair({sshkey::KeyKind::kEd25519, 0, "gangplank-service-generated"});
  if (pair) ssh.public_keys.push_back(pair->public_key.ToPublicKeyLine());
  ssh.service_generated = true;
  return ssh;  // `pair` (and its wiped private key buffer) ends here
}

// A managed-identity cluster's server-made identities: identity.principalId/tenantId for a
// SystemAssigned identity and identityProfile.kubeletidentity (aks-preview's `aks update` reads
// it before its PUT). Made once at create, then kept: clients cannot set them.
void AddManagedIdentities(json::object& resource, json::object& properties,
                          const json::object* before, const Names& names,
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
  properties.erase("identityProfile");
  if (type != "SystemAssigned" && type != "UserAssigned") return;
  if (const json::value* kept = previous({"properties", "identityProfile"})) {
    properties["identityProfile"] = *kept;
    return;
  }
  const std::string node_group = "MC_" + names.group + "_" + names.cluster + "_" + location;
  properties["identityProfile"] = json::object{
      {"kubeletidentity",
       json::object{{"resourceId", "/subscriptions/" + names.subscription + "/resourcegroups/" +
                                       node_group +
                                       "/providers/Microsoft.ManagedIdentity/"
                                       "userAssignedIdentities/" +
                                       names.cluster + "-agentpool"},
                    {"clientId", NewUuid()},
                    {"objectId", NewUuid()}}}};
}

HttpResponse PutCluster(const ApiRequest& request, const HandlerContext& context,
                        const Names& names, const std::string& api_version) {
  if (!IsValidClusterName(names.cluster)) {
    return Error400(request, {"InvalidParameter",
                              "Cluster names are 1-63 letters, digits, '-' and '_', starting and "
                              "ending with a letter or digit.",
                              "resourceName"});
  }
  auto body = ParseObject(request.http.body());
  if (!body) return NotJson(request, "{\"location\": \"westus2\", \"properties\": {...}}");
  const json::value* location = body->if_contains("location");
  if (!location || !location->is_string() || location->get_string().empty()) {
    return Error400(request,
                    {"LocationRequired", "The location property is required.", "location"});
  }
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
  if (existing->has_value() && context.operations.HasUnfinished(names.cluster_id())) {
    return Busy(request, names.cluster);
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
  auto linux_profile = ParseLinuxProfile(properties);
  if (auto* error = std::get_if<SpecError>(&linux_profile)) return Error400(request, *error);
  std::optional<SshModel> requested_ssh = std::get<std::optional<SshModel>>(linux_profile);

  // Agent pool profiles: validate every one before anything is written.
  json::array profiles;
  if (const auto* sent = properties.if_contains("agentPoolProfiles"); sent && sent->is_array()) {
    profiles = sent->get_array();
  } else if (properties.contains("agentPoolProfiles")) {
    return Error400(request, {"InvalidParameter", "agentPoolProfiles must be an array.",
                              "properties.agentPoolProfiles"});
  }
  if (!existing->has_value() && profiles.empty()) {
    return Error400(request, {"InvalidParameter",
                              "A new cluster needs at least one agent pool in "
                              "properties.agentPoolProfiles.",
                              "properties.agentPoolProfiles"});
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
    if (auto error = ValidatePoolProperties(profile, path)) return Error400(request, *error);
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
    const json::object stored = json::parse((*existing)->body).as_object();
    ssh = SshFromJson(stored.at("ssh").as_object());
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
    properties["kubernetesVersion"] = kDefaultKubernetes;
  }
  const std::string kubernetes = std::string(properties["kubernetesVersion"].as_string());
  properties["currentKubernetesVersion"] = kubernetes;
  properties["provisioningState"] = state;
  properties["powerState"] = json::object{{"code", "Running"}};
  const std::string dns_prefix =
      properties.contains("dnsPrefix") && properties["dnsPrefix"].is_string()
          ? std::string(properties["dnsPrefix"].as_string())
          : names.cluster;
  properties["dnsPrefix"] = dns_prefix;
  properties["fqdn"] =
      dns_prefix + ".hcp." + std::string(location->as_string()) + ".gangplank.local";
  properties["nodeResourceGroup"] =
      "MC_" + names.group + "_" + names.cluster + "_" + std::string(location->as_string());
  properties["maxAgentPools"] = 100;
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
  json::object before;
  if (existing->has_value()) before = json::parse((*existing)->body).at("resource").as_object();
  AddManagedIdentities(resource, properties, existing->has_value() ? &before : nullptr, names,
                       std::string(location->as_string()));
  resource["id"] = existing->has_value() ? (*existing)->id : names.cluster_id();
  resource["name"] = existing->has_value()
                         ? json::parse((*existing)->body).at("resource").at("name")
                         : json::value(names.cluster);
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
  auto apply_model_changes = [&](json::object& model, const std::string& access) {
    bool changed = false;
    if (keys_changed) {
      model["publicKeys"] = SshJson(ssh).at("publicKeys");
      model["serviceGenerated"] = false;
      changed = true;
    }
    if (access != std::string(model["sshAccess"].as_string())) {
      model["sshAccess"] = access;
      changed = true;
    }
    if (changed) model["version"] = model["version"].as_int64() + 1;
  };
  std::vector<store::Mutation> mutations;
  for (auto& value : profiles) {
    json::object profile = value.as_object();
    Names pool_names = names;
    pool_names.pool = std::string(profile["name"].as_string());
    profile.erase("name");
    const auto found = by_name.find(store::IdKey(pool_names.pool));
    json::object model;
    if (found == by_name.end()) {
      model = NewPoolModel(ssh, profile);
      profile.erase("nodeImageVersion");  // the server's: new nodes get the latest image
      mutations.push_back(store::Mutation::Put(
          PoolRow(pool_names, profile, state, model, kubernetes, context.images),
          store::Precondition::Absent()));
    } else {
      model = json::parse(found->second.body).at("model").as_object();
      apply_model_changes(model, SshAccessOf(profile));
      profile["nodeImageVersion"] = PoolView(found->second).at("properties").at("nodeImageVersion");
      mutations.push_back(store::Mutation::Put(
          PoolRow(pool_names, profile, state, model, kubernetes, context.images),
          store::Precondition::AtVersion(found->second.version)));
      by_name.erase(found);
    }
  }
  for (const auto& [name, row] : by_name) {
    // Pools the request did not mention keep their properties; a new key still enters their model.
    if (!keys_changed) continue;
    json::object doc = json::parse(row.body).as_object();
    json::object& model = doc["model"].as_object();
    apply_model_changes(model, std::string(model["sshAccess"].as_string()));
    doc["resource"].as_object()["properties"].as_object()["sshModelVersion"] = model["version"];
    store::Resource updated = row;
    updated.body = json::serialize(doc);
    mutations.push_back(store::Mutation::Put(updated, store::Precondition::AtVersion(row.version)));
  }

  auto started = context.operations.Begin(names.subscription, std::string(location->as_string()),
                                          kPutCluster, names.cluster_id());
  const store::Resource cluster_row{
      std::string(kClusterKind), names.cluster_id(), names.group_id(),
      json::serialize(json::object{{"resource", resource}, {"ssh", SshJson(ssh)}}), 0};
  mutations.insert(
      mutations.begin(),
      store::Mutation::Put(cluster_row, existing->has_value()
                                            ? store::Precondition::AtVersion((*existing)->version)
                                            : store::Precondition::Absent()));
  mutations.push_back(started.record);
  auto applied = context.store.Apply(mutations);
  if (!applied) return StoreFailure(request, applied.error());
  context.operations.Enqueue(started.operation.id);

  auto view = ClusterView(context.store, applied->front());
  if (!view) return StoreFailure(request, view.error());
  HttpResponse response = JsonResponse(
      request.http, existing->has_value() ? HttpStatus::ok : HttpStatus::created, *view);
  response.set(http::field::etag, Etag(applied->front().version));
  AddOperationHeaders(response, context, started.operation, api_version, false);
  return response;
}

// The cluster's view joins its row and its pools' rows; it is rendered once per store revision
// (`revision` was read before `row`).
Result<ViewCache::View> CachedClusterView(const HandlerContext& context, std::uint64_t revision,
                                          const store::Resource& row) {
  const std::string key = store::IdKey(row.id);
  if (auto cached = context.views.Find(key, revision)) return *cached;
  auto view = ClusterView(context.store, row);
  if (!view) return view.error();
  ViewCache::View rendered{std::make_shared<const std::string>(json::serialize(*view)),
                           Etag(row.version)};
  context.views.Insert(key, revision, rendered);
  return rendered;
}

HttpResponse GetCluster(const ApiRequest& request, const HandlerContext& context,
                        const Names& names) {
  const std::uint64_t revision = context.store.Revision();
  auto cached = context.views.Find(store::IdKey(names.cluster_id()), revision);
  if (!cached) {
    auto row = context.store.Get(kClusterKind, names.cluster_id());
    if (!row) return StoreFailure(request, row.error());
    if (!row->has_value()) return ClusterNotFound(request, names);
    auto view = CachedClusterView(context, revision, **row);
    if (!view) return StoreFailure(request, view.error());
    cached = std::move(view.value());
  }
  HttpResponse response = JsonTextResponse(request.http, HttpStatus::ok, *cached->body);
  response.set(http::field::etag, cached->etag);
  return response;
}

// Marks the target with `state`, records the operation, and answers 202 with LRO headers.
HttpResponse StartAsync(const ApiRequest& request, const HandlerContext& context,
                        const Names& names, const std::string& api_version, const char* type,
                        const store::Resource& row, const std::string& state, bool pool,
                        std::optional<json::value> reply_body) {
  json::object doc = json::parse(row.body).as_object();
  doc["resource"].as_object()["properties"].as_object()["provisioningState"] = state;
  store::Resource updated = row;
  updated.body = json::serialize(doc);
  // Operations live under the cluster's location, pool operations too.
  std::string location;
  if (pool) {
    auto cluster = context.store.Get(kClusterKind, names.cluster_id());
    if (!cluster || !cluster->has_value()) return ClusterNotFound(request, names);
    location = std::string(json::parse((*cluster)->body).at("resource").at("location").as_string());
  } else {
    location = std::string(doc["resource"].as_object()["location"].as_string());
  }
  auto started = context.operations.Begin(names.subscription, location, type,
                                          pool ? names.pool_id() : names.cluster_id());
  auto applied = context.store.Apply(
      {store::Mutation::Put(updated, store::Precondition::AtVersion(row.version)), started.record});
  if (!applied) return StoreFailure(request, applied.error());
  context.operations.Enqueue(started.operation.id);
  HttpResponse response = reply_body ? JsonResponse(request.http, HttpStatus::accepted, *reply_body)
                                     : EmptyResponse(request.http, HttpStatus::accepted);
  AddOperationHeaders(response, context, started.operation, api_version, true);
  return response;
}

bool ClusterBusy(const HandlerContext& context, const Names& names) {
  if (context.operations.HasUnfinished(names.cluster_id())) return true;
  auto pools = PoolsOf(context.store, names.cluster_id());
  if (!pools) return true;
  for (const auto& row : *pools) {
    if (context.operations.HasUnfinished(row.id)) return true;
  }
  return false;
}

// PATCH: tags only (ManagedClusters_UpdateTags; `az aks update --tags`). Nodes are not touched;
// the operation is recorded like any other so clients poll it the same way.
HttpResponse PatchCluster(const ApiRequest& request, const HandlerContext& context,
                          const Names& names, const std::string& api_version) {
  auto body = ParseObject(request.http.body());
  if (!body) return NotJson(request, "{\"tags\": {\"team\": \"platform\"}}");
  const json::value* tags = body->if_contains("tags");
  if (tags != nullptr && !tags->is_null()) {
    if (auto error = CheckTags(*tags)) return Error400(request, *error);
  }
  auto row = context.store.Get(kClusterKind, names.cluster_id());
  if (!row) return StoreFailure(request, row.error());
  if (!row->has_value()) return ClusterNotFound(request, names);
  if (ClusterBusy(context, names)) return Busy(request, names.cluster);
  json::object doc = json::parse((*row)->body).as_object();
  json::object& resource = doc["resource"].as_object();
  resource["tags"] = tags && tags->is_object() ? *tags : json::value(json::object{});
  resource["properties"].as_object()["provisioningState"] = "Updating";
  store::Resource updated = **row;
  updated.body = json::serialize(doc);
  auto started = context.operations.Begin(
      names.subscription, std::string(resource["location"].as_string()), kPutCluster,
      names.cluster_id());
  auto applied = context.store.Apply(
      {store::Mutation::Put(updated, store::Precondition::AtVersion(updated.version)),
       started.record});
  if (!applied) return StoreFailure(request, applied.error());
  context.operations.Enqueue(started.operation.id);
  auto view = ClusterView(context.store, applied->front());
  if (!view) return StoreFailure(request, view.error());
  HttpResponse response = JsonResponse(request.http, HttpStatus::ok, *view);
  response.set(http::field::etag, Etag(applied->front().version));
  AddOperationHeaders(response, context, started.operation, api_version, false);
  return response;
}

HttpResponse DeleteCluster(const ApiRequest& request, const HandlerContext& context,
                           const Names& names, const std::string& api_version) {
  auto row = context.store.Get(kClusterKind, names.cluster_id());
  if (!row) return StoreFailure(request, row.error());
  if (!row->has_value()) return EmptyResponse(request.http, HttpStatus::no_content);
  if (ClusterBusy(context, names)) return Busy(request, names.cluster);
  return StartAsync(request, context, names, api_version, kDeleteCluster, **row, "Deleting", false,
                    std::nullopt);
}

HttpResponse ListClusters(const ApiRequest& request, const HandlerContext& context,
                          const std::string& subscription,
                          const std::optional<std::string>& group) {
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
    auto view = CachedClusterView(context, revision, row);
    if (!view) return StoreFailure(request, view.error());
    if (!first) body += ',';
    body += *view->body;
    first = false;
  }
  body += "]}";
  return JsonTextResponse(request.http, HttpStatus::ok, body);
}

// ---- agent pools -----------------------------------------------------------------------------

HttpResponse PutPool(const ApiRequest& request, const HandlerContext& context, const Names& names,
                     const std::string& api_version) {
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
  auto cluster = context.store.Get(kClusterKind, names.cluster_id());
  if (!cluster) return StoreFailure(request, cluster.error());
  if (!cluster->has_value()) return ClusterNotFound(request, names);
  auto existing = context.store.Get(kPoolKind, names.pool_id());
  if (!existing) return StoreFailure(request, existing.error());
  if (existing->has_value()) {
    // As AKS does, a PUT on an existing pool changes what it names and keeps the rest (the
    // spec's AgentPools_Stop sends only powerState).
    json::object merged = PoolView(**existing).at("properties").as_object();
    for (const auto& [name, value] : properties) merged[name] = value;
    properties = std::move(merged);
  }
  if (auto error = ValidatePoolProperties(properties, "properties"))
    return Error400(request, *error);
  if (ClusterBusy(context, names)) return Busy(request, names.cluster);
  const json::object cluster_doc = json::parse((*cluster)->body).as_object();
  const std::string kubernetes =
      std::string(cluster_doc.at("resource").at("properties").at("kubernetesVersion").as_string());
  json::object model;
  if (existing->has_value()) {
    model = json::parse((*existing)->body).at("model").as_object();
    const json::object old = PoolView(**existing).at("properties").as_object();
    properties["nodeImageVersion"] = old.at("nodeImageVersion");
    if (SshAccessOf(properties) != std::string(model["sshAccess"].as_string())) {
      model["sshAccess"] = SshAccessOf(properties);
      model["version"] = model["version"].as_int64() + 1;
    }
  } else {
    model = NewPoolModel(SshFromJson(cluster_doc.at("ssh").as_object()), properties);
  }
  const std::string state = existing->has_value() ? "Updating" : "Creating";
  const std::string location = std::string(cluster_doc.at("resource").at("location").as_string());
  auto started = context.operations.Begin(names.subscription, location, kPutPool, names.pool_id());
  const store::Resource row = PoolRow(names, properties, state, model, kubernetes, context.images);
  auto applied = context.store.Apply(
      {store::Mutation::Put(row, existing->has_value()
                                     ? store::Precondition::AtVersion((*existing)->version)
                                     : store::Precondition::Absent()),
       started.record});
  if (!applied) return StoreFailure(request, applied.error());
  context.operations.Enqueue(started.operation.id);
  HttpResponse response =
      JsonResponse(request.http, existing->has_value() ? HttpStatus::ok : HttpStatus::created,
                   PoolView(applied->front()));
  AddOperationHeaders(response, context, started.operation, api_version, false);
  return response;
}

HttpResponse GetPool(const ApiRequest& request, const HandlerContext& context, const Names& names) {
  auto row = context.store.Get(kPoolKind, names.pool_id());
  if (!row) return StoreFailure(request, row.error());
  if (!row->has_value()) return PoolNotFound(request, names);
  return JsonResponse(request.http, HttpStatus::ok, PoolView(**row));
}

HttpResponse ListPools(const ApiRequest& request, const HandlerContext& context,
                       const Names& names) {
  auto cluster = context.store.Get(kClusterKind, names.cluster_id());
  if (!cluster) return StoreFailure(request, cluster.error());
  if (!cluster->has_value()) return ClusterNotFound(request, names);
  auto pools = PoolsOf(context.store, names.cluster_id());
  if (!pools) return StoreFailure(request, pools.error());
  json::array value;
  for (const auto& row : *pools) value.push_back(PoolView(row));
  return JsonResponse(request.http, HttpStatus::ok, json::object{{"value", std::move(value)}});
}

HttpResponse DeletePool(const ApiRequest& request, const HandlerContext& context,
                        const Names& names, const std::string& api_version) {
  auto row = context.store.Get(kPoolKind, names.pool_id());
  if (!row) return StoreFailure(request, row.error());
  if (!row->has_value()) return EmptyResponse(request.http, HttpStatus::no_content);
  if (ClusterBusy(context, names)) return Busy(request, names.cluster);
  if (PoolView(**row).at("properties").at("mode") == "System") {
    auto pools = PoolsOf(context.store, names.cluster_id());
    if (!pools) return StoreFailure(request, pools.error());
    int systems = 0;
    for (const auto& pool : *pools)
      systems += PoolView(pool).at("properties").at("mode") == "System" ? 1 : 0;
    if (systems <= 1) {
      return Error400(request, {"OperationNotAllowed",
                                "Pool '" + names.pool +
                                    "' is the cluster's last System pool and cannot "
                                    "be deleted; add another System pool first.",
                                "agentPoolName"});
    }
  }
  return StartAsync(request, context, names, api_version, kDeletePool, **row, "Deleting", true,
                    std::nullopt);
}

HttpResponse UpgradeNodeImage(const ApiRequest& request, const HandlerContext& context,
                              const Names& names, const std::string& api_version) {
  auto row = context.store.Get(kPoolKind, names.pool_id());
  if (!row) return StoreFailure(request, row.error());
  if (!row->has_value()) return PoolNotFound(request, names);
  if (ClusterBusy(context, names)) return Busy(request, names.cluster);
  json::object view = PoolView(**row);
  if (view.at("properties").at("type") != "VirtualMachineScaleSets") {
    return Error400(request, {"OperationNotAllowed",
                              "Node image upgrades need a VirtualMachineScaleSets pool; '" +
                                  names.pool + "' is an AvailabilitySet pool.",
                              "agentPoolName"});
  }
  view["properties"].as_object()["provisioningState"] = "UpgradingNodeImageVersion";
  return StartAsync(request, context, names, api_version, kUpgradeImage, **row,
                    "UpgradingNodeImageVersion", true, json::value(view));
}

// ---- operation status ------------------------------------------------------------------------

HttpResponse GetOperation(const ApiRequest& request, const HandlerContext& context,
                          bool result_form, const std::string& api_version) {
  std::string id = "/subscriptions/" + request.segments[1] +
                   "/providers/Microsoft.ContainerService/locations/" + request.segments[5] +
                   "/operations/" + request.segments[7];
  auto operation = context.operations.Get(id);
  if (!operation) return StoreFailure(request, operation.error());
  if (!operation->has_value()) {
    return ArmErrorResponse(request.http, HttpStatus::not_found, "NotFound",
                            "Operation '" + request.segments[7].substr(0, 64) + "' was not found.");
  }
  const controller::Operation& op = **operation;
  if (!result_form) {
    HttpResponse response =
        JsonTextResponse(request.http, HttpStatus::ok, controller::OperationStatusJson(op));
    // ARM clients wait Retry-After between polls (30 s without it): operations here are quick.
    if (op.status == "InProgress") response.set(http::field::retry_after, "1");
    return response;
  }
  if (op.status == "InProgress") {
    HttpResponse response = EmptyResponse(request.http, HttpStatus::accepted);
    response.set(http::field::location, OperationResultUrl(context, op, api_version));
    response.set(http::field::retry_after, "1");
    return response;
  }
  if (op.status == "Failed" && op.error) {
    return ArmErrorResponse(request.http, HttpStatus::bad_request, op.error->reason,
                            op.error->message);
  }
  // Done: 200 with the resource the operation produced (the pool after upgradeNodeImageVersion,
  // the cluster after a PUT), or with no body when there is none (a delete). Never 204: the SDKs
  // check this status against the statuses the spec gives the operation, and 204 is not among
  // upgradeNodeImageVersion's.
  for (std::string_view kind : {kPoolKind, kClusterKind}) {
    auto row = context.store.Get(kind, op.target);
    if (!row) return StoreFailure(request, row.error());
    if (!row->has_value()) continue;
    if (kind == kPoolKind) return JsonResponse(request.http, HttpStatus::ok, PoolView(**row));
    auto view = ClusterView(context.store, **row);
    if (!view) return StoreFailure(request, view.error());
    return JsonResponse(request.http, HttpStatus::ok, *view);
  }
  return EmptyResponse(request.http, HttpStatus::ok);
}

}  // namespace

HttpResponse HandleContainerService(const ApiRequest& request, const HandlerContext& context) {
  const auto& path = request.lower_segments;
  const std::string api_version = request.Query("api-version").value_or("");
  const HttpVerb verb = request.http.method();
  Names names;
  names.subscription = request.segments[1];
  // /subscriptions/S/providers/Microsoft.ContainerService/…
  if (path[2] == "providers") {
    if (request.Matches(
            {"subscriptions", "*", "providers", "microsoft.containerservice", "managedclusters"}) &&
        verb == HttpVerb::get) {
      return ListClusters(request, context, names.subscription, std::nullopt);
    }
    if (verb == HttpVerb::get &&
        (request.Matches({"subscriptions", "*", "providers", "microsoft.containerservice",
                          "locations", "*", "operations", "*"}) ||
         request.Matches({"subscriptions", "*", "providers", "microsoft.containerservice",
                          "locations", "*", "operationresults", "*"}))) {
      return GetOperation(request, context, path[6] == "operationresults", api_version);
    }
    return ArmErrorResponse(request.http, HttpStatus::not_found, "NotFound",
                            "No such Microsoft.ContainerService resource.");
  }
  // /subscriptions/S/resourceGroups/G/providers/Microsoft.ContainerService/managedClusters[/C[/agentPools[/P[/upgradeNodeImageVersion]]]]
  names.group = request.segments[3];
  if (path.size() < 7 || path[6] != "managedclusters") {
    return ArmErrorResponse(request.http, HttpStatus::not_found, "NotFound",
                            "No such Microsoft.ContainerService resource.");
  }
  if (path.size() == 7) {
    if (verb != HttpVerb::get) {
      return ArmErrorResponse(request.http, HttpStatus::method_not_allowed, "MethodNotAllowed",
                              "list clusters with GET");
    }
    return ListClusters(request, context, names.subscription, names.group);
  }
  names.cluster = request.segments[7];
  if (path.size() == 8) {
    switch (verb) {
      case HttpVerb::put:
        return PutCluster(request, context, names, api_version);
      case HttpVerb::get:
        return GetCluster(request, context, names);
      case HttpVerb::delete_:
        return DeleteCluster(request, context, names, api_version);
      case HttpVerb::patch:
        return PatchCluster(request, context, names, api_version);
      default:
        return ArmErrorResponse(request.http, HttpStatus::method_not_allowed, "MethodNotAllowed",
                                "managed clusters take PUT, PATCH, GET or DELETE");
    }
  }
  if (path[8] != "agentpools") {
    return ArmErrorResponse(request.http, HttpStatus::not_found, "NotFound",
                            "No such managed cluster resource.");
  }
  if (path.size() == 9) {
    if (verb != HttpVerb::get) {
      return ArmErrorResponse(request.http, HttpStatus::method_not_allowed, "MethodNotAllowed",
                              "list agent pools with GET");
    }
    return ListPools(request, context, names);
  }
  names.pool = request.segments[9];
  if (path.size() == 10) {
    switch (verb) {
      case HttpVerb::put:
        return PutPool(request, context, names, api_version);
      case HttpVerb::get:
        return GetPool(request, context, names);
      case HttpVerb::delete_:
        return DeletePool(request, context, names, api_version);
      default:
        return ArmErrorResponse(request.http, HttpStatus::method_not_allowed, "MethodNotAllowed",
                                "agent pools take PUT, GET or DELETE");
    }
  }
  if ((path.size() == 11 || path.size() == 12) && path[10] == "machines" && verb == HttpVerb::get) {
    return GetMachines(request, context, names,
                       path.size() == 12 ? std::optional(request.segments[11]) : std::nullopt,
                       false);
  }
  if (path.size() == 13 && path[10] == "machines" && path[12] == "logs" && verb == HttpVerb::get) {
    return GetMachines(request, context, names, request.segments[11], true);
  }
  if (path.size() == 11 && path[10] == "upgradenodeimageversion" && verb == HttpVerb::post) {
    return UpgradeNodeImage(request, context, names, api_version);
  }
  return ArmErrorResponse(request.http, HttpStatus::not_found, "NotFound",
                          "No such agent pool resource.");
}

}  // namespace gangplank::api
