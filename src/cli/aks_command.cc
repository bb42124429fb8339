// `gangplank login` and `gangplank aks …`: the seed page's commands against gangplankd. The SSH
// key is resolved and validated before anything is sent (sshkey::ResolveSshKey).
#include "cli/aks_command.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <cctype>
#include <functional>
#include <iostream>

#include "cli/aks_support.h"
#include "cli/az_output.h"
#include "cli/arm_client.h"
#include "cli/output.h"
#include "cli/output_flags.h"
#include "cli/ssh_key_flags.h"
#include "common/file_io.h"
#include "common/paths.h"
#include "common/process.h"
#include "resources/api_versions.h"
#include "sshkey/parse.h"

namespace gangplank::cli {
namespace json = boost::json;

namespace {

int RunLogin(AksCommandState& state, CliContext& context) {
  Result<CliConfig> config = CliConfig{};
  if (!state.login_data_dir.empty()) {
    config = ConfigFromDataDir(ExpandUser(state.login_data_dir, context.home));
  } else {
    if (state.login_server.empty() || state.login_client_id.empty() ||
        state.login_client_secret.empty() || state.login_ca_file.empty()) {
      context.err << "error: give --data-dir DIR (a local gangplankd), or --server, --client-id, "
                     "--client-secret and --ca-file\n";
      return kExitUsage;
    }
    CliConfig given;
    given.server = state.login_server;
    if (!given.server.ends_with('/')) given.server += '/';
    given.ca_file = ExpandUser(state.login_ca_file, context.home);
    given.client_id = state.login_client_id;
    given.client_secret = state.login_client_secret;
    if (given.client_secret == "-") {
      // From standard input, so that the secret shows in no process list or shell history.
      auto secret = context.read_stdin(4096);
      if (!secret) return Fail(context, secret.error());
      given.client_secret.assign(secret->data(), secret->size());
      while (!given.client_secret.empty() &&
             (given.client_secret.back() == '\n' || given.client_secret.back() == '\r'))
        given.client_secret.pop_back();
    }
    given.subscription_id = state.login_subscription;
    config = given;
  }
  if (!config) return Fail(context, config.error());
  auto client = Connect(context, *config, /*cached=*/false);
  if (!client) return Fail(context, client.error());
  // The login proves itself: a token, then the subscription it can see.
  auto subscriptions = client->Call("GET", "/subscriptions?api-version=2020-01-01");
  if (!subscriptions) return Fail(context, subscriptions.error());
  if (config->subscription_id.empty()) {
    const auto& list = subscriptions->body.at("value").as_array();
    if (list.empty())
      return Fail(context, MakeError(StatusCode::kNotFound, "NoSubscription",
                                     "the login sees no subscription"));
    config->subscription_id = std::string(list.at(0).at("subscriptionId").as_string());
  }
  if (Status saved = SaveCliConfig(context, *config); !saved.ok())
    return Fail(context, saved.error());
  // Another login: nothing of the last one's token or TLS session is used again.
  std::error_code ignored;
  for (const char* cache : {"/tokens.json", "/tls-session"})
    std::filesystem::remove(ConfigDir(context) + cache, ignored);
  context.err << "Logged in to " << config->server << " (subscription " << config->subscription_id
              << "); the credentials are in " << ConfigDir(context) << "/config.json (0600)\n";
  return kExitOk;
}

// az's default DNS prefix: the first 10 of the name (starting with a letter), the first 16 of
// the group, the first 6 of the subscription.
std::string DefaultDnsPrefix(const std::string& name, const std::string& group,
                             const std::string& subscription) {
  const auto clean = [](const std::string& text, std::size_t most) {
    std::string kept;
    for (const char c : text)
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '-') kept += c;
    return kept.substr(0, most);
  };
  std::string name_part = clean(name, 10);
  if (name_part.empty() || !std::isalpha(static_cast<unsigned char>(name_part[0])))
    name_part = ("a" + name_part).substr(0, 10);
  return name_part + "-" + clean(group, 16) + "-" + subscription.substr(0, 6);
}

// What az 2.45 sends for `az aks create` with no other flag (recorded); flags change it.
json::object CreateBody(const AksCommandState& state, const std::string& subscription) {
  json::object pool{{"count", 3},
                    {"vmSize", "Standard_DS2_v2"},
                    {"osDiskSizeGB", 0},
                    {"osType", "Linux"},
                    {"enableAutoScaling", false},
                    {"type", "VirtualMachineScaleSets"},
                    {"mode", "System"},
                    {"orchestratorVersion", ""},
                    {"upgradeSettings", json::object()},
                    {"enableNodePublicIP", false},
                    {"scaleSetPriority", "Regular"},
                    {"scaleSetEvictionPolicy", "Delete"},
                    {"spotMaxPrice", -1.0},
                    {"nodeTaints", json::array()},
                    {"enableEncryptionAtHost", false},
                    {"enableUltraSSD", false},
                    {"enableFIPS", false},
                    {"name", "nodepool1"}};
  json::object properties{
      {"kubernetesVersion", ""},
      {"dnsPrefix", DefaultDnsPrefix(state.name, state.group, subscription)},
      {"agentPoolProfiles", json::array{std::move(pool)}},
      {"addonProfiles", json::object()},
      {"enableRBAC", true},
      {"networkProfile", json::object{{"networkPlugin", "kubenet"},
                                      {"podCidr", "10.244.0.0/16"},
                                      {"serviceCidr", "10.0.0.0/16"},
                                      {"dnsServiceIP", "10.0.0.10"},
                                      {"dockerBridgeCidr", "172.17.0.1/16"},
                                      {"outboundType", "loadBalancer"},
                                      {"loadBalancerSku", "standard"}}},
      {"disableLocalAccounts", false},
      {"storageProfile", json::object()}};
  // az fills the SDK's default CIDRs only when no network flag is given; with one, the profile
  // holds what was given (set by the flags) and no default.
  static constexpr const char* kNetworkFlags[] = {"--network-plugin", "--pod-cidr",
                                                  "--service-cidr", "--dns-service-ip",
                                                  "--docker-bridge-address", "--network-policy"};
  if (std::any_of(std::begin(kNetworkFlags), std::end(kNetworkFlags),
                  [&](const char* flag) { return state.flags.Given(flag); })) {
    properties["networkProfile"] =
        json::object{{"outboundType", "loadBalancer"}, {"loadBalancerSku", "standard"}};
  }
  return json::object{{"location", ""},
                      {"identity", json::object{{"type", "SystemAssigned"}}},
                      {"properties", std::move(properties)}};
}

// The flags into the body, and their headers into the client.
Status ApplyFlags(const AzFlagSet& flags, json::object& body, AzBody kind, CliContext& context,
                  ArmClient& client) {
  AzRequestExtras extras;
  if (Status applied = flags.Apply(body, kind, context.home, extras); !applied.ok())
    return applied;
  client.set_extra_headers(std::move(extras.headers));
  return OkStatus();
}

int RunCreate(AksCommandState& state, CliContext& context) {
  // The flags and the key first: an error there must leave the server untouched.
  if (Status checked = state.flags.Check(AzBody::kCluster, context.home); !checked.ok())
    return Fail(context, checked.error());
  auto resolved = sshkey::ResolveSshKey(state.key_flags, {context.home, {}});
  if (!resolved) return Fail(context, resolved.error());
  for (const auto& notice : resolved->notices) context.err << notice << "\n";
  auto client = Client(context);
  if (!client) return Fail(context, client.error());
  json::object body = CreateBody(state, client->config().subscription_id);
  if (Status applied = ApplyFlags(state.flags, body, AzBody::kCluster, context, *client);
      !applied.ok())
    return Fail(context, applied.error());
  json::object& properties = body["properties"].as_object();
  // kubenet alone has a pod CIDR of its own.
  json::object& network = properties["networkProfile"].as_object();
  if (network["networkPlugin"] != "kubenet" && !state.flags.Given("--pod-cidr"))
    network.erase("podCidr");
  if (resolved->key) {
    properties["linuxProfile"] = json::object{
        {"adminUsername", state.admin_username},
        {"ssh", json::object{{"publicKeys", json::array{json::object{
                                                {"keyData", resolved->key->ToPublicKeyLine()}}}}}}};
  }
  if (!state.flags.Given("--location")) {
    auto group = client->Call("GET", client->SubscriptionPath() + "/resourcegroups/" +
                                         state.group + "?api-version=2021-04-01");
    if (!group) return Fail(context, group.error());
    body["location"] = group->body.at("location");
  }
  const json::value request = std::move(body);
  auto created = client->Call("PUT", ClusterPath(*client, state) + Query(), &request);
  if (!created) return Fail(context, created.error());
  if (state.no_wait) return PrintOutput(context, AzClusterView(created->body), state.output);
  Status done = WaitFor(context, *client, created->async_operation, "Creating " + state.name);
  EndProgress(context);
  if (!done.ok()) return Fail(context, done.error());
  auto shown = client->Call("GET", ClusterPath(*client, state) + Query());
  if (!shown) return Fail(context, shown.error());
  return PrintOutput(context, AzClusterView(shown->body), state.output);
}

// Pools whose SSH access a change of `before` to `after` switches (they need a reimage).
std::vector<std::string> SshAccessChanged(const json::object& before, const json::object& after) {
  const auto access = [](const json::value& pool) {
    const auto* profile = pool.as_object().if_contains("securityProfile");
    const auto* value =
        profile && profile->is_object() ? profile->as_object().if_contains("sshAccess") : nullptr;
    return value && value->is_string() ? std::string(value->as_string()) : "LocalUser";
  };
  std::vector<std::string> changed;
  const auto* old_pools = before.at("properties").as_object().if_contains("agentPoolProfiles");
  const auto& new_pools = after.at("properties").at("agentPoolProfiles").as_array();
  for (std::size_t i = 0; old_pools && i < new_pools.size() && i < old_pools->as_array().size();
       ++i) {
    if (access(old_pools->as_array()[i]) != access(new_pools[i]))
      changed.emplace_back(new_pools[i].at("name").as_string());
  }
  return changed;
}

// "After their next node image upgrade …": asked before SSH access is switched off.
bool ConfirmDisabling(CliContext& context, const AksCommandState& state,
                      const std::string& pools) {
  return state.yes || state.flags.Given("--yes") ||
         Confirm(context, "After their next node image upgrade, no node of " + pools +
                                           " will accept SSH connections. Continue?");
}

int RunUpdate(AksCommandState& state, CliContext& context) {
  if (Status checked = state.flags.Check(AzBody::kCluster, context.home); !checked.ok())
    return Fail(context, checked.error());
  std::optional<sshkey::ResolvedKey> resolved;
  if (state.key_flags.ssh_key_value) {
    auto key = sshkey::ResolveSshKey(state.key_flags, {context.home, {}});
    if (!key) return Fail(context, key.error());
    resolved = std::move(key.value());
  }
  auto client = Client(context);
  if (!client) return Fail(context, client.error());
  auto current = client->Call("GET", ClusterPath(*client, state) + Query());
  if (!current) return Fail(context, current.error());
  // As az does: the cluster as read, changed, PUT back whole. With no flag at all, that moves
  // the cluster to its goal state again.
  const json::object before = current->body.as_object();
  json::object body = ClusterPutBack(before);
  if (state.flags.SetsPoolFields() &&
      body["properties"].as_object()["agentPoolProfiles"].as_array().size() != 1) {
    return Fail(context,
                MakeError(StatusCode::kInvalidArgument, "MultiplePools",
                          "the autoscaler flags of aks update work on a cluster with one node "
                          "pool; this one has several: use gangplank aks nodepool update"));
  }
  if (Status applied = ApplyFlags(state.flags, body, AzBody::kCluster, context, *client);
      !applied.ok())
    return Fail(context, applied.error());
  json::object& properties = body["properties"].as_object();
  if (state.flags.Words("--ssh-access") == std::vector<std::string>{"disabled"} &&
      !ConfirmDisabling(context, state, "this cluster's pools"))
    return kExitFailure;
  if (resolved) {
    std::string admin = "azureuser";
    if (const auto* profile = properties.if_contains("linuxProfile");
        profile && profile->is_object())
      admin = std::string(profile->at("adminUsername").as_string());
    properties["linuxProfile"] = json::object{
        {"adminUsername", admin},
        {"ssh", json::object{{"publicKeys", json::array{json::object{
                                                {"keyData", resolved->key->ToPublicKeyLine()}}}}}}};
  }
  const std::vector<std::string> access_changed = SshAccessChanged(before, body);
  const json::value request = body;
  auto updated = client->Call("PUT", ClusterPath(*client, state) + Query(), &request);
  if (!updated) return Fail(context, updated.error());
  if (!state.no_wait) {
    Status done = WaitFor(context, *client, updated->async_operation, "Updating " + state.name);
    EndProgress(context);
    if (!done.ok()) return Fail(context, done.error());
  }
  std::vector<std::string> reimage = access_changed;
  if (resolved) {
    context.err << "The new key is in every node pool's model. Running nodes keep the old key "
                   "until a node image upgrade reimages them.\n";
    reimage.clear();
    for (const auto& pool : properties.at("agentPoolProfiles").as_array())
      reimage.emplace_back(pool.at("name").as_string());
  } else if (!reimage.empty()) {
    context.err << "SSH access changes when a pool's nodes are reimaged.\n";
  }
  if (!reimage.empty()) context.err << "Run, for each pool:\n";
  for (const std::string& pool : reimage) {
    context.err << "  gangplank aks nodepool upgrade -g " << state.group << " --cluster-name "
                << state.name << " -n " << pool << " --node-image-only\n";
  }
  auto shown = client->Call("GET", ClusterPath(*client, state) + Query());
  if (!shown) return Fail(context, shown.error());
  return PrintOutput(context, AzClusterView(shown->body), state.output);
}

int RunShow(AksCommandState& state, CliContext& context) {
  auto client = ClientFor(context, state);
  if (!client) return Fail(context, client.error());
  auto shown = client->Call("GET", ClusterPath(*client, state) + Query());
  if (!shown) return Fail(context, shown.error());
  return PrintOutput(context, AzClusterView(shown->body), state.output);
}

// GET a pool, apply the command's flags, PUT it back, and wait unless --no-wait (or
// `wait_anyway`: a change that must land before what follows).
Result<json::object> ChangePool(CliContext& context, AksCommandState& state, ArmClient& client,
                                const std::string& what, bool wait_anyway) {
  const std::string path = PoolPathFor(context, state) + Query();
  auto current = client.Call("GET", path);
  if (!current) return current.error();
  json::object body = PoolPutBack(current->body);
  if (Status applied = ApplyFlags(state.flags, body, AzBody::kPool, context, client); !applied.ok())
    return applied.error();
  const json::value request = body;
  auto updated = client.Call("PUT", path, &request);
  if (!updated) return updated.error();
  if (!state.no_wait || wait_anyway) {
    Status done = WaitFor(context, client, updated->async_operation, what);
    EndProgress(context);
    if (!done.ok()) return done.error();
  }
  return body;
}

int RunNodepoolUpgrade(AksCommandState& state, CliContext& context) {
  if (Status checked = state.flags.Check(AzBody::kPool, context.home); !checked.ok())
    return Fail(context, checked.error());
  const bool change_model = state.flags.Given("--kubernetes-version") ||
                            state.flags.Given("--max-surge") || state.flags.Given("--snapshot-id");
  if (!state.node_image_only && !state.flags.Given("--kubernetes-version")) {
    context.err << "error: say what to upgrade: --node-image-only (reimage onto the latest model "
                   "and node image) or --kubernetes-version VERSION\n";
    return kExitUsage;
  }
  auto client = Client(context);
  if (!client) return Fail(context, client.error());
  const std::string pool_path = ClusterPath(*client, state) + "/agentPools/" + state.pool;
  if (change_model) {
    auto changed = ChangePool(context, state, *client, "Updating " + state.pool,
                              state.node_image_only);
    if (!changed) return Fail(context, changed.error());
    if (!state.node_image_only) {
      return state.no_wait ? kExitOk
                           : RunGet(context, state, pool_path + Query(), Printed::kPool);
    }
  }
  auto started = client->Call("POST", pool_path + "/upgradeNodeImageVersion" + Query());
  if (!started) return Fail(context, started.error());
  if (state.no_wait) return kExitOk;  // as az, which prints nothing then
  Status done = WaitFor(context, *client, started->async_operation, "Reimaging " + state.pool);
  EndProgress(context);
  if (!done.ok()) return Fail(context, done.error());
  auto shown = client->Call("GET", pool_path + Query());
  if (!shown) return Fail(context, shown.error());
  return PrintOutput(context, AzView(shown->body, "AgentPool"), state.output);
}

// What az 2.45 sends for `az aks nodepool add` with no other flag; flags change it.
json::object PoolAddBody() {
  return json::object{{"properties", json::object{{"count", 3},
                                                  {"vmSize", "Standard_DS2_v2"},
                                                  {"osDiskSizeGB", 0},
                                                  {"osType", "Linux"},
                                                  {"scaleDownMode", "Delete"},
                                                  {"type", "VirtualMachineScaleSets"},
                                                  {"mode", "User"},
                                                  {"enableAutoScaling", false},
                                                  {"enableNodePublicIP", false},
                                                  {"scaleSetPriority", "Regular"},
                                                  {"scaleSetEvictionPolicy", "Delete"},
                                                  {"spotMaxPrice", -1.0},
                                                  {"nodeTaints", json::array()},
                                                  {"upgradeSettings", json::object()},
                                                  {"enableEncryptionAtHost", false},
                                                  {"enableUltraSSD", false},
                                                  {"enableFIPS", false}}}};
}

int RunNodepoolAdd(AksCommandState& state, CliContext& context) {
  if (Status checked = state.flags.Check(AzBody::kPool, context.home); !checked.ok())
    return Fail(context, checked.error());
  auto client = Client(context);
  if (!client) return Fail(context, client.error());
  json::object body = PoolAddBody();
  if (Status applied = ApplyFlags(state.flags, body, AzBody::kPool, context, *client);
      !applied.ok())
    return Fail(context, applied.error());
  const std::string path = PoolPathFor(context, state) + Query();
  const json::value request = std::move(body);
  return CallWaitPrint(context, state, *client, "PUT", path, &request, "Adding " + state.pool, path,
                       Printed::kPool);
}

int RunNodepoolUpdate(AksCommandState& state, CliContext& context) {
  if (Status checked = state.flags.Check(AzBody::kPool, context.home); !checked.ok())
    return Fail(context, checked.error());
  const bool access = state.flags.Given("--ssh-access");
  if (state.flags.Words("--ssh-access") == std::vector<std::string>{"disabled"} &&
      !ConfirmDisabling(context, state, state.pool))
    return kExitFailure;
  auto client = Client(context);
  if (!client) return Fail(context, client.error());
  auto changed = ChangePool(context, state, *client, "Updating " + state.pool, false);
  if (!changed) return Fail(context, changed.error());
  if (access) {
    context.err << "SSH access changes when the pool's nodes are reimaged: gangplank aks "
                   "nodepool upgrade -g "
                << state.group << " --cluster-name " << state.name << " -n " << state.pool
                << " --node-image-only\n";
  }
  return state.no_wait ? kExitOk
                       : RunGet(context, state, PoolPathFor(context, state) + Query(),
                                Printed::kPool);
}

Result<json::array> Machines(ArmClient& client, const AksCommandState& state,
                             const std::string& pool) {
  auto reply = client.Call(
      "GET", ClusterPath(client, state) + "/agentPools/" + pool + "/machines" + Query());
  if (!reply) return reply.error();
  return reply->body.at("value").as_array();
}

// The pools to look at: the one named, or every pool of the cluster.
Result<std::vector<std::string>> Pools(ArmClient& client, const AksCommandState& state) {
  if (!state.pool.empty()) return std::vector<std::string>{state.pool};
  auto reply = client.Call("GET", ClusterPath(client, state) + "/agentPools" + Query());
  if (!reply) return reply.error();
  std::vector<std::string> pools;
  for (const auto& pool : reply->body.at("value").as_array())
    pools.emplace_back(pool.at("name").as_string());
  return pools;
}

// One node as `machine list` and `machine show -o table` print it.
json::object MachineRow(const json::value& machine, const std::string& pool) {
  const json::object& p = machine.at("properties").as_object();
  const json::array& fingerprints = p.at("hostKeyFingerprints").as_array();
  json::object row{{"name", machine.at("name")},
                   {"pool", pool},
                   {"address", p.at("network").at("ipAddresses").at(0).at("ip")},
                   {"port", p.at("port")},
                   {"state", p.at("state")},
                   {"nodeImageVersion", p.at("nodeImageVersion")},
                   {"latestModelApplied", p.at("latestModelApplied")},
                   {"sshAccess", p.at("sshAccess")},
                   {"hostKey", fingerprints.empty() ? json::value("") : fingerprints.at(0)},
                   {"hostKeyFingerprints", fingerprints}};
  if (const auto* health = p.if_contains("sshdHealth")) row["sshdHealth"] = *health;
  return row;
}

int RunMachineList(AksCommandState& state, CliContext& context) {
  auto client = Client(context);
  if (!client) return Fail(context, client.error());
  auto pools = Pools(*client, state);
  if (!pools) return Fail(context, pools.error());
  json::array rows;
  for (const auto& pool : *pools) {
    auto machines = Machines(*client, state, pool);
    if (!machines) return Fail(context, machines.error());
    for (const auto& machine : *machines) rows.push_back(MachineRow(machine, pool));
  }
  return PrintOutput(context, rows, state.output);
}

// The whole machine in JSON (as az prints it); its row in table and tsv.
int RunMachineShow(AksCommandState& state, CliContext& context) {
  auto client = Client(context);
  if (!client) return Fail(context, client.error());
  auto machine = client->Call("GET", ClusterPath(*client, state) + "/agentPools/" + state.pool +
                                         "/machines/" + state.node + Query());
  if (!machine) return Fail(context, machine.error());
  const bool row = (state.output.output == "table" || state.output.output == "tsv") &&
                   state.output.query.empty();
  return PrintOutput(context,
                     row ? json::value(MachineRow(machine->body, state.pool)) : machine->body,
                     state.output);
}

// The private key in ~/.ssh whose .pub is one of the cluster's keys ("the right key"), if any.
std::string MatchingIdentity(const CliContext& context, const json::value& cluster) {
  const auto* profile = cluster.at("properties").as_object().if_contains("linuxProfile");
  if (!profile || !profile->is_object()) return "";
  std::vector<std::string> blobs;
  for (const auto& key : profile->at("ssh").at("publicKeys").as_array()) {
    if (auto parsed = sshkey::ParseSinglePublicKey(key.at("keyData").as_string()))
      blobs.push_back(parsed->blob);
  }
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(context.home + "/.ssh", ec)) {
    const std::string path = entry.path().string();
    if (!path.ends_with(".pub")) continue;
    auto text = ReadFile(path, 64 * 1024);
    if (!text) continue;
    auto parsed = sshkey::ParseSinglePublicKey(*text);
    const std::string private_key = path.substr(0, path.size() - 4);
    if (parsed && std::find(blobs.begin(), blobs.end(), parsed->blob) != blobs.end() &&
        std::filesystem::exists(private_key)) {
      return private_key;
    }
  }
  return "";
}

// What the API says about why ssh into `machine` (of `pool`) cannot work, with the commands that
// fix it; empty when it may work. `definite`: ssh would surely fail (said before trying); else a
// hint for after ssh was refused.
struct SshDiagnosis {
  std::string why;
  bool definite = false;
};

SshDiagnosis DiagnoseSsh(const AksCommandState& state, const json::value& cluster,
                         const std::string& pool, const json::object& machine,
                         const std::string& identity) {
  const json::object& p = machine.at("properties").as_object();
  const auto text = [&](const char* key) {
    const json::value* value = p.if_contains(key);
    return value && value->is_string() ? std::string(value->as_string()) : std::string();
  };
  const std::string node = std::string(machine.at("name").as_string());
  const std::string pool_flags =
      "-g " + state.group + " --cluster-name " + state.name + " -n " + pool;
  const std::string reimage = "gangplank aks nodepool upgrade " + pool_flags + " --node-image-only";
  const bool latest = p.if_contains("latestModelApplied") && p.at("latestModelApplied") == true;
  const auto* profile = cluster.at("properties").as_object().if_contains("linuxProfile");
  const bool cluster_has_key = profile && profile->is_object();
  if (text("state") == "Stopped") {
    return {"node " + node + " is stopped, and a stopped node runs no sshd. Start it: gangplank "
            "aks nodepool start " + pool_flags + " (or the whole cluster: gangplank aks start -g " +
                state.group + " -n " + state.name + ")",
            true};
  }
  if (text("sshAccess") == "Disabled") {
    return {"SSH is disabled on node " + node + " (pool " + pool +
                "'s sshAccess was Disabled when it was last reimaged), so nothing listens on its "
                "port. To open it: gangplank aks nodepool update " + pool_flags +
                " --ssh-access localuser, then " + reimage,
            true};
  }
  if (!cluster_has_key && latest) {
    return {"cluster " + state.name + " has no SSH key (it was created with --no-ssh-key), so no "
            "key opens its nodes. Give it yours: gangplank aks update -g " + state.group + " -n " +
                state.name + " --ssh-key-value ~/.ssh/id_rsa.pub, then " + reimage,
            true};
  }
  if (identity.empty() && latest) {
    return {"none of the keys in ~/.ssh is one of cluster " + state.name + "'s keys, and node " +
                node + " has only those. Pass the private key of one with -i, or give the "
                "cluster yours: gangplank aks update -g " + state.group + " -n " + state.name +
                " --ssh-key-value ~/.ssh/id_rsa.pub, then " + reimage,
            true};
  }
  if (!latest) {
    return {"node " + node + " has not applied its pool's latest model (it runs version " +
                std::to_string(p.if_contains("appliedModelVersion")
                                   ? p.at("appliedModelVersion").to_number<long long>()
                                   : 0) +
                "): a key set with aks update reaches it only when it is reimaged: " + reimage,
            false};
  }
  return {};
}

int RunSsh(AksCommandState& state, CliContext& context) {
  auto client = Client(context);
  if (!client) return Fail(context, client.error());
  auto cluster = client->Call("GET", ClusterPath(*client, state) + Query());
  if (!cluster) return Fail(context, cluster.error());
  std::string admin = "azureuser";
  if (const auto* profile = cluster->body.at("properties").as_object().if_contains("linuxProfile");
      profile && profile->is_object())
    admin = std::string(profile->at("adminUsername").as_string());
  auto pools = Pools(*client, state);
  if (!pools) return Fail(context, pools.error());
  std::optional<json::object> target;
  std::string target_pool;
  for (const auto& pool : *pools) {
    auto machines = Machines(*client, state, pool);
    if (!machines) return Fail(context, machines.error());
    for (const auto& machine : *machines) {
      if (state.node.empty() || machine.at("name").as_string() == state.node) {
        target = machine.as_object();
        target_pool = pool;
        break;
      }
    }
    if (target) break;
  }
  if (!target) {
    return Fail(context, MakeError(StatusCode::kNotFound, "NodeNotFound",
                                   state.node.empty() ? "the cluster has no node"
                                                      : "no node named " + state.node));
  }
  const json::object& p = target->at("properties").as_object();
  const std::string address(p.at("network").at("ipAddresses").at(0).at("ip").as_string());
  const std::string port = std::to_string(p.at("port").as_int64());
  if (!IsLinuxUserName(admin) || !IsIpAddress(address)) {
    return Fail(context,
                MakeError(StatusCode::kFailedPrecondition, "UnexpectedNodeAddress",
                          "the server gave the user '" + admin + "' and the address '" + address +
                              "', which are not a Linux user name and an IP address; "
                              "not passing them to ssh"));
  }
  // What the API knows first: a stopped node, SSH disabled, no key that can work.
  const std::string identity = state.identity.empty() ? MatchingIdentity(context, cluster->body)
                                                      : ExpandUser(state.identity, context.home);
  const SshDiagnosis diagnosis = DiagnoseSsh(state, cluster->body, target_pool, *target, identity);
  if (diagnosis.definite) {
    return Fail(context, MakeError(StatusCode::kFailedPrecondition, "SshNotPossible",
                                   diagnosis.why));
  }
  if (p.at("hostKeys").as_array().empty()) {
    return Fail(context, MakeError(StatusCode::kFailedPrecondition, "NoHostKeys",
                                   "node " + std::string(target->at("name").as_string()) +
                                       " has reported no host keys yet (state " +
                                       std::string(p.at("state").as_string()) + ")"));
  }
  // known_hosts from the control plane: the node's host keys are checked, never skipped.
  const std::string known_hosts = ConfigDir(context) + "/known_hosts";
  std::string lines;
  for (const auto& key : p.at("hostKeys").as_array())
    lines += (port == "22" ? address : "[" + address + "]:" + port) + " " +
             std::string(key.as_string()) + "\n";
  if (Status dir = EnsureDirectory(ConfigDir(context), 0700); !dir.ok())
    return Fail(context, dir.error());
  if (Status written = WriteFileAtomically(known_hosts, lines, 0600, IfExists::kReplace);
      !written.ok())
    return Fail(context, written.error());
  // The user and the address come from the server: each goes where ssh reads only that (-l, and
  // after --), so neither can be read as an option such as -oProxyCommand.
  std::vector<std::string> argv = {"/usr/bin/ssh",
                                   "-o",
                                   "StrictHostKeyChecking=yes",
                                   "-o",
                                   "UserKnownHostsFile=" + known_hosts,
                                   "-p",
                                   port,
                                   "-l",
                                   admin};
  if (!identity.empty()) argv.insert(argv.end(), {"-i", identity, "-o", "IdentitiesOnly=yes"});
  argv.insert(argv.end(), {"--", address});
  argv.insert(argv.end(), state.command.begin(), state.command.end());
  context.out.flush();
  const int status = RunToCompletion(argv);  // ssh shares the terminal
  if (status == 255 && !diagnosis.why.empty()) context.err << "note: " << diagnosis.why << "\n";
  return status < 0 ? kExitFailure : status;
}

// aks scale, as az does it: GET the cluster, change the named pool's count (the only pool when
// none is named), PUT the cluster back, print it.
int ScaleCluster(CliContext& context, AksCommandState& state) {
  auto client = ClientFor(context, state);
  if (!client) return Fail(context, client.error());
  const std::string path = ClusterPath(*client, state) + Query();
  auto current = client->Call("GET", path);
  if (!current) return Fail(context, current.error());
  json::object body = ClusterPutBack(current->body);
  json::array& pools = body["properties"].as_object()["agentPoolProfiles"].as_array();
  if (state.pool.empty() && pools.size() > 1) {
    return Fail(context, MakeError(StatusCode::kInvalidArgument, "InvalidArgumentValue",
                                   "there is more than one node pool in the cluster; name one "
                                   "with --nodepool-name"));
  }
  json::object* scaled = nullptr;
  for (json::value& pool : pools)
    if (state.pool.empty() || pool.at("name").as_string() == state.pool) scaled = &pool.as_object();
  if (!scaled) {
    return Fail(context, MakeError(StatusCode::kNotFound, "NodePoolNotFound",
                                   "the cluster has no node pool named " + state.pool));
  }
  if (const json::value* autoscaled = scaled->if_contains("enableAutoScaling");
      autoscaled && autoscaled->is_bool() && autoscaled->get_bool()) {
    return Fail(context, MakeError(StatusCode::kInvalidArgument, "InvalidArgumentValue",
                                   "cannot scale a node pool whose cluster autoscaler is enabled; "
                                   "disable it first: gangplank aks nodepool update "
                                   "--disable-cluster-autoscaler"));
  }
  (*scaled)["count"] = state.count;
  const std::string what = "Scaling " + std::string((*scaled)["name"].as_string());
  body["properties"].as_object().erase("servicePrincipalProfile");  // as az does: see RunUpgrade
  const json::value request = std::move(body);
  return CallWaitPrint(context, state, *client, "PUT", path, &request, what, path,
                       Printed::kCluster);
}

// aks nodepool scale: GET the pool, change its count, PUT it back, print it.
int ScalePool(CliContext& context, AksCommandState& state) {
  auto client = ClientFor(context, state);
  if (!client) return Fail(context, client.error());
  const std::string path = PoolPathFor(context, state) + Query();
  auto current = client->Call("GET", path);
  if (!current) return Fail(context, current.error());
  json::object body = PoolPutBack(current->body);
  body["properties"].as_object()["count"] = state.count;
  const json::value request = std::move(body);
  return CallWaitPrint(context, state, *client, "PUT", path, &request, "Scaling " + state.pool, path,
                       Printed::kPool);
}

}  // namespace

std::shared_ptr<AksCommandState> RegisterAksCommands(CLI::App& app, CliContext& context,
                                                     int& exit_code) {
  auto state = std::make_shared<AksCommandState>();
  CLI::App* login = app.add_subcommand(
      "login",
      "Log in to a control plane.\n\nExamples:\n"
      "  gangplank login --data-dir ~/.local/share/gangplank\n"
      "  gangplank login --server https://127.0.0.1:8443/ --client-id ID --client-secret S "
      "--ca-file ca.crt\n"
      "  pass show gangplank | gangplank login --server https://gp.example:8443/ --client-id ID "
      "--client-secret - --ca-file ca.crt");
  login->add_option("--data-dir", state->login_data_dir,
                    "A local gangplankd's data dir (its credentials.json)");
  login->add_option("--server", state->login_server, "https://HOST:PORT/");
  login->add_option("--client-id", state->login_client_id, "Client id");
  login->add_option("--client-secret", state->login_client_secret,
                    "Client secret, or - to read it from standard input");
  login->add_option("--ca-file", state->login_ca_file, "CA certificate of the server");
  login->add_option("--subscription", state->login_subscription,
                    "Subscription (default: the first the login sees)");
  login->callback([state, &context, &exit_code] { exit_code = RunLogin(*state, context); });

  CLI::App* aks = app.add_subcommand("aks", "Managed clusters, node pools and their nodes.");
  aks->require_subcommand(1);

  CLI::App* create = aks->add_subcommand(
      "create",
      "Create a cluster. The SSH key is checked before anything is sent.\n\nExamples:\n"
      "  gangplank aks create -g rg1 -n c1 --generate-ssh-keys\n"
      "  gangplank aks create -g rg1 -n c1 --ssh-key-value ~/.ssh/id_ed25519.pub\n"
      "  gangplank aks create -g rg1 -n c1 --no-ssh-key");
  AddResourceFlags(create, *state);
  AddSshKeyFlags(*create, state->key_flags);
  create->add_option("-u,--admin-username", state->admin_username,
                     "Admin user (default azureuser)");
  state->flags.Register(*create, kAksCreate);
  create->add_flag("--no-wait", state->no_wait, "Return once the request is accepted");
  AddOutputFlags(*create, state->output);
  create->callback([state, &context, &exit_code] { exit_code = RunCreate(*state, context); });

  CLI::App* update = aks->add_subcommand(
      "update",
      "Change a cluster, as az does: GET, change, PUT. A new SSH key goes into every node pool's "
      "model (running nodes keep the old key until a node image upgrade).\n\nExamples:\n"
      "  gangplank aks update -g rg1 -n c1 --ssh-key-value ~/.ssh/new_key.pub\n"
      "  gangplank aks update -g rg1 -n c1 --tags team=platform env=dev");
  AddResourceFlags(update, *state);
  update->add_option("--ssh-key-value", state->key_flags.ssh_key_value,
                     "The new public key: a path or the key itself");
  state->flags.Register(*update, kAksUpdate);
  update->add_flag("--no-wait", state->no_wait, "Return once the request is accepted");
  AddOutputFlags(*update, state->output);
  update->callback([state, &context, &exit_code] { exit_code = RunUpdate(*state, context); });

  CLI::App* show = aks->add_subcommand(
      "show",
      "Show a cluster.\n\nExamples:\n  gangplank aks show -g rg1 -n c1\n"
      "  gangplank aks show -g rg1 -n c1 --query linuxProfile.ssh.publicKeys[0].keyData "
      "-o tsv");
  AddResourceFlags(show, *state);
  state->flags.Register(*show, kAksShow);
  AddOutputFlags(*show, state->output);
  show->callback([state, &context, &exit_code] {
    state->output.table_query = kClusterTable;
    exit_code = RunShow(*state, context);
  });

  CLI::App* nodepool = aks->add_subcommand("nodepool", "Node pools.");
  nodepool->require_subcommand(1);
  RegisterAksLifecycleCommands(*aks, *nodepool, *state, context, exit_code);
  RegisterAksCredentialsCommand(*aks, *state, context, exit_code);
  CLI::App* upgrade = nodepool->add_subcommand(
      "upgrade",
      "Reimage a pool's nodes onto its latest model and node image, maxSurge at a time.\n\n"
      "Example:\n  gangplank aks nodepool upgrade -g rg1 --cluster-name c1 -n nodepool1 "
      "--node-image-only --max-surge 33%");
  upgrade->add_option("-g,--resource-group", state->group, "Resource group")->required();
  upgrade->add_option("--cluster-name", state->name, "Cluster name")->required();
  upgrade->add_option("-n,--name,--nodepool-name", state->pool, "Node pool name")->required();
  upgrade->add_flag("--node-image-only", state->node_image_only,
                    "Reimage the nodes onto the latest model and node image");
  state->flags.Register(*upgrade, kPoolUpgrade);
  upgrade->add_flag("--no-wait", state->no_wait, "Return once the request is accepted");
  AddOutputFlags(*upgrade, state->output);
  upgrade->callback(
      [state, &context, &exit_code] { exit_code = RunNodepoolUpgrade(*state, context); });

  CLI::App* machine = aks->add_subcommand("machine", "The nodes of a cluster.");
  machine->require_subcommand(1);
  CLI::App* list = machine->add_subcommand(
      "list",
      "Every node: address, state, image, whether the latest SSH key is applied, host key.\n\n"
      "Examples:\n  gangplank aks machine list -g rg1 --cluster-name c1 -o table\n"
      "  gangplank aks machine list -g rg1 --cluster-name c1 --query "
      "\"[?!latestModelApplied].name\" -o tsv");
  list->add_option("-g,--resource-group", state->group, "Resource group")->required();
  list->add_option("--cluster-name", state->name, "Cluster name")->required();
  list->add_option("--nodepool-name", state->pool, "Only this pool");
  AddOutputFlags(*list, state->output);
  list->callback([state, &context, &exit_code] {
    state->output.own_order = true;
    exit_code = RunMachineList(*state, context);
  });
  CLI::App* show_machine = machine->add_subcommand(
      "show",
      "One node: its state, address, port, model and image, SSH access, sshd health and host "
      "keys.\n\nExample:\n  gangplank aks machine show -g rg1 --cluster-name c1 --nodepool-name "
      "nodepool1 --machine-name aks-nodepool1-12345678-vmss000000 -o table");
  show_machine->add_option("-g,--resource-group", state->group, "Resource group")->required();
  show_machine->add_option("--cluster-name", state->name, "Cluster name")->required();
  show_machine->add_option("--nodepool-name", state->pool, "Pool of the node")->required();
  show_machine->add_option("--machine-name", state->node, "Node name")->required();
  AddOutputFlags(*show_machine, state->output);
  show_machine->callback([state, &context, &exit_code] {
    state->output.own_order = true;
    exit_code = RunMachineShow(*state, context);
  });

  CLI::App* ssh = aks->add_subcommand(
      "ssh",
      "Log into a node with the real ssh, its host keys taken from the control plane.\n\n"
      "Examples:\n  gangplank aks ssh -g rg1 -n c1\n"
      "  gangplank aks ssh -g rg1 -n c1 --node aks-nodepool1-12345678-vmss000001 -i ~/.ssh/key "
      "-- uptime");
  AddResourceFlags(ssh, *state);
  ssh->add_option("--nodepool-name", state->pool, "Pool of the node");
  ssh->add_option("--node", state->node, "Node name (default: the first)");
  ssh->add_option("-i,--identity", state->identity,
                  "Private key to log in with (default: the key in ~/.ssh whose .pub the cluster "
                  "has)");
  ssh->add_option("command", state->command, "Command to run (after --)");
  ssh->callback([state, &context, &exit_code] { exit_code = RunSsh(*state, context); });

  const auto output_and_wait = [&state](CLI::App* command, bool wait) {
    AddOutputFlags(*command, state->output);
    if (wait) command->add_flag("--no-wait", state->no_wait, "Return once the request is accepted");
  };
  const auto pool_flags = [&state](CLI::App* command, bool pool) {
    command->add_option("-g,--resource-group", state->group, "Resource group")->required();
    command->add_option("--cluster-name", state->name, "Cluster name")->required();
    if (pool)
      command->add_option("-n,--name,--nodepool-name", state->pool, "Node pool name")->required();
  };

  // aks list / delete / scale
  CLI::App* list_clusters = aks->add_subcommand(
      "list",
      "List clusters (of a resource group).\n\nExamples:\n  gangplank aks list -o table\n"
      "  gangplank aks list -g rg1 --query [].name -o tsv");
  list_clusters->add_option("-g,--resource-group", state->group, "Resource group (default: all)");
  output_and_wait(list_clusters, false);
  list_clusters->callback([state, &context, &exit_code] {
    state->output.table_query = kClustersTable;
    auto config = LoadCliConfig(context);
    const std::string scope = state->group.empty()
                                  ? "/subscriptions/" + (config ? config->subscription_id : "-")
                                  : GroupPath(context, *state);
    exit_code =
        RunGet(context, *state,
               scope + "/providers/Microsoft.ContainerService/managedClusters" + Query(),
               Printed::kClusters);
  });
  CLI::App* delete_cluster =
      aks->add_subcommand("delete",
                          "Delete a cluster and every node of it (asks; --yes in scripts).\n\n"
                          "Example:\n  gangplank aks delete -g rg1 -n c1 --yes");
  AddResourceFlags(delete_cluster, *state);
  state->flags.Register(*delete_cluster, kAksDelete);
  delete_cluster->add_flag("-y,--yes", state->yes, "Do not ask for confirmation");
  output_and_wait(delete_cluster, true);
  delete_cluster->callback([state, &context, &exit_code] {
    if (!state->yes && !Confirm(context, "Delete cluster " + state->name + " and all its nodes?")) {
      exit_code = kExitFailure;
      return;
    }
    exit_code = CallWaitPrint(context, *state, "DELETE", ClusterPathFor(context, *state) + Query(),
                              nullptr, "Deleting " + state->name, "", Printed::kAsSent);
  });
  CLI::App* scale = aks->add_subcommand(
      "scale",
      "Scale a pool: new nodes get the latest model, the highest-numbered go first.\n\n"
      "Example:\n  gangplank aks scale -g rg1 -n c1 -c 5 --nodepool-name nodepool1");
  AddResourceFlags(scale, *state);
  scale->add_option("-c,--node-count", state->count, "Nodes")
      ->required()
      ->check(CLI::Range(0, 1000));
  scale->add_option("--nodepool-name", state->pool, "Pool (default: the only one)");
  state->flags.Register(*scale, kAksScale);
  output_and_wait(scale, true);
  scale->callback([state, &context, &exit_code] {
    exit_code = ScaleCluster(context, *state);
  });

  // nodepool add / list / show / scale / update / delete
  CLI::App* add = nodepool->add_subcommand(
      "add",
      "Add a pool; its nodes get the cluster's current SSH model.\n\nExample:\n"
      "  gangplank aks nodepool add -g rg1 --cluster-name c1 -n tools -c 2 --os-sku "
      "AzureLinux");
  pool_flags(add, true);
  state->flags.Register(*add, kPoolAdd);
  output_and_wait(add, true);
  add->callback([state, &context, &exit_code] { exit_code = RunNodepoolAdd(*state, context); });
  CLI::App* list_pools = nodepool->add_subcommand(
      "list",
      "List a cluster's pools.\n\nExample:\n  gangplank aks nodepool list -g rg1 --cluster-name c1 "
      "--query \"[].{name:name, count:count, ssh:securityProfile.sshAccess}\" -o table");
  pool_flags(list_pools, false);
  output_and_wait(list_pools, false);
  list_pools->callback([state, &context, &exit_code] {
    state->output.table_query = kPoolsTable;
    exit_code =
        RunGet(context, *state, ClusterPathFor(context, *state) + "/agentPools" + Query(),
               Printed::kPools);
  });
  CLI::App* show_pool =
      nodepool->add_subcommand("show",
                               "Show a pool.\n\nExample:\n  gangplank aks nodepool show -g rg1 "
                               "--cluster-name c1 -n nodepool1");
  pool_flags(show_pool, true);
  output_and_wait(show_pool, false);
  show_pool->callback([state, &context, &exit_code] {
    state->output.table_query = kPoolTable;
    exit_code = RunGet(context, *state, PoolPathFor(context, *state) + Query(), Printed::kPool);
  });
  CLI::App* scale_pool = nodepool->add_subcommand(
      "scale",
      "Scale a pool: new nodes get the latest model, the highest-numbered go first.\n\nExample:\n"
      "  gangplank aks nodepool scale -g rg1 --cluster-name c1 -n tools -c 3");
  pool_flags(scale_pool, true);
  state->flags.Register(*scale_pool, kPoolScale);
  scale_pool->add_option("-c,--node-count", state->count, "Nodes")
      ->required()
      ->check(CLI::Range(0, 1000));
  output_and_wait(scale_pool, true);
  scale_pool->callback([state, &context, &exit_code] {
    exit_code = ScalePool(context, *state);
  });
  CLI::App* update_pool = nodepool->add_subcommand(
      "update",
      "Change a pool, as az does: GET, change, PUT. SSH access applies at its next node image "
      "upgrade.\n\n"
      "Example:\n  gangplank aks nodepool update -g rg1 --cluster-name c1 -n nodepool1 "
      "--ssh-access disabled --yes");
  pool_flags(update_pool, true);
  state->flags.Register(*update_pool, kPoolUpdate);
  update_pool->add_flag("-y,--yes", state->yes, "Do not ask for confirmation");
  output_and_wait(update_pool, true);
  update_pool->callback(
      [state, &context, &exit_code] { exit_code = RunNodepoolUpdate(*state, context); });
  CLI::App* delete_pool = nodepool->add_subcommand(
      "delete",
      "Delete a pool and its nodes.\n\nExample:\n  gangplank aks nodepool delete -g rg1 "
      "--cluster-name c1 -n tools");
  pool_flags(delete_pool, true);
  state->flags.Register(*delete_pool, kPoolDelete);
  output_and_wait(delete_pool, true);
  delete_pool->callback([state, &context, &exit_code] {
    exit_code = CallWaitPrint(context, *state, "DELETE", PoolPathFor(context, *state) + Query(),
                              nullptr, "Deleting " + state->pool, "", Printed::kAsSent);
  });

  // aks node logs
  CLI::App* node = aks->add_subcommand("node", "One node.");
  node->require_subcommand(1);
  CLI::App* logs = node->add_subcommand(
      "logs",
      "A node's recent agent and sshd log, and who logged in with which key.\n\nExamples:\n"
      "  gangplank aks node logs -g rg1 --cluster-name c1 --nodepool-name nodepool1 --node "
      "aks-nodepool1-12345678-vmss000000 -o table\n"
      "  gangplank aks node logs -g rg1 --cluster-name c1 --nodepool-name nodepool1 --node "
      "aks-nodepool1-12345678-vmss000000 --query \"loginEvents[?result=='Refused']\"");
  pool_flags(logs, false);
  logs->add_option("--nodepool-name", state->pool, "Pool of the node")->required();
  logs->add_option("--node", state->node, "Node name")->required();
  output_and_wait(logs, false);
  logs->callback([state, &context, &exit_code] {
    state->output.own_order = true;
    const auto format = ParseOutputFormat(state->output.output);
    if ((format && *format == OutputFormat::kJson) || !state->output.query.empty()) {
      exit_code = RunGet(
          context, *state,
          PoolPathFor(context, *state) + "/machines/" + state->node + "/logs" + Query(),
          Printed::kAsSent);
      return;
    }
    auto client = Client(context);
    if (!client) {
      exit_code = Fail(context, client.error());
      return;
    }
    auto reply = client->Call(
        "GET", PoolPathFor(context, *state) + "/machines/" + state->node + "/logs" + Query());
    if (!reply) {
      exit_code = Fail(context, reply.error());
      return;
    }
    context.out << TerminalSafe(reply->body.at("logs").as_string(), Escapes::kTerminalKeepNewlines);
    exit_code = PrintOutput(context, reply->body.at("loginEvents"), state->output);
  });

  // group create / show / list / delete
  CLI::App* group = app.add_subcommand("group", "Resource groups.");
  group->require_subcommand(1);
  CLI::App* group_create = group->add_subcommand(
      "create", "Create a resource group.\n\nExample:\n  gangplank group create -n rg1 -l westus2");
  group_create->add_option("-n,--name", state->group, "Name")->required();
  group_create->add_option("-l,--location", state->location, "Location (default westus2)");
  output_and_wait(group_create, false);
  group_create->callback([state, &context, &exit_code] {
    const json::value body = json::object{{"location", state->location}};
    exit_code =
        CallWaitPrint(context, *state, "PUT",
                      GroupPath(context, *state) + "?api-version=2021-04-01", &body, "", "",
                      Printed::kAsSent);
  });
  CLI::App* group_show = group->add_subcommand(
      "show", "Show a resource group.\n\nExample:\n  gangplank group show -n rg1 -o table");
  group_show->add_option("-n,--name", state->group, "Name")->required();
  output_and_wait(group_show, false);
  group_show->callback([state, &context, &exit_code] {
    exit_code =
        RunGet(context, *state, GroupPath(context, *state) + "?api-version=2021-04-01",
               Printed::kAsSent);
  });
  CLI::App* group_list = group->add_subcommand(
      "list", "List resource groups.\n\nExample:\n  gangplank group list --query [].name -o tsv");
  output_and_wait(group_list, false);
  group_list->callback([state, &context, &exit_code] {
    auto config = LoadCliConfig(context);
    exit_code = RunGet(context, *state,
                       "/subscriptions/" + (config ? config->subscription_id : "-") +
                           "/resourcegroups?api-version=2021-04-01",
                       Printed::kAsSent);
  });
  CLI::App* group_delete =
      group->add_subcommand("delete",
                            "Delete a resource group (asks; --yes in scripts).\n\nExample:\n"
                            "  gangplank group delete -n rg1 --yes");
  group_delete->add_option("-n,--name", state->group, "Name")->required();
  group_delete->add_flag("-y,--yes", state->yes, "Do not ask for confirmation");
  output_and_wait(group_delete, true);
  group_delete->callback([state, &context, &exit_code] {
    if (!state->yes && !Confirm(context, "Delete resource group " + state->group + "?")) {
      exit_code = kExitFailure;
      return;
    }
    exit_code = CallWaitPrint(context, *state, "DELETE",
                              GroupPath(context, *state) + "?api-version=2021-04-01", nullptr,
                              "Deleting " + state->group, "", Printed::kAsSent);
  });
  return state;
}

void PrepareAksFlags(AksCommandState& state, CLI::App& command) { state.flags.Prepare(command); }

int LoginToDataDir(CliContext& context, const std::string& data_dir) {
  AksCommandState state;
  state.login_data_dir = data_dir;
  return RunLogin(state, context);
}

}  // namespace gangplank::cli
