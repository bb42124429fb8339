// `gangplank login` and `gangplank aks …`: the seed page's commands against gangplankd. The SSH
// key is resolved and validated before anything is sent (sshkey::ResolveSshKey).
#include "cli/aks_command.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <filesystem>
#include <functional>
#include <iostream>

#include "cli/access_commands.h"
#include "cli/aks_support.h"
#include "cli/arm_client.h"
#include "cli/az_output.h"
#include "cli/lazy_command.h"
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
  // An EntraId node's trusted CA generations, as one cell ("1 2").
  if (const auto* cas = p.if_contains("sshCaGenerations"); cas && cas->is_array()) {
    std::string generations;
    for (const json::value& generation : cas->get_array())
      generations += (generations.empty() ? "" : " ") + json::serialize(generation);
    row["sshCaGenerations"] = generations;
  }
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

namespace {

using StatePtr = std::shared_ptr<AksCommandState>;

void AddOutputAndWait(CLI::App* command, const StatePtr& state, bool wait) {
  AddOutputAndWaitFlags(*command, *state, wait);
}

// -g and --cluster-name, and with `pool` -n: the names a node pool command needs.
void AddPoolNames(CLI::App* command, const StatePtr& state, bool pool) {
  command->add_option("-g,--resource-group", state->group, "Resource group")->required();
  command->add_option("--cluster-name", state->name, "Cluster name")->required();
  if (pool)
    command->add_option("-n,--name,--nodepool-name", state->pool, "Node pool name")->required();
}

// aks create, update, show, list, delete and scale.
void RegisterClusterCommands(CLI::App* aks, const StatePtr& state, CliContext& context,
                             int& exit_code) {
  AddCommand(
      aks, "create",
      "Create a cluster. The SSH key is checked before anything is sent.\n\nExamples:\n"
      "  gangplank aks create -g rg1 -n c1 --generate-ssh-keys\n"
      "  gangplank aks create -g rg1 -n c1 --ssh-key-value ~/.ssh/id_ed25519.pub\n"
      "  gangplank aks create -g rg1 -n c1 --no-ssh-key",
      [state, &context, &exit_code](CLI::App* create) {
        AddResourceFlags(create, *state);
        AddSshKeyFlags(*create, state->key_flags);
        create->add_option("-u,--admin-username", state->admin_username,
                           "Admin user (default azureuser)");
        state->flags.Register(*create, kAksCreate);
        create->add_flag("--no-wait", state->no_wait, "Return once the request is accepted");
        AddOutputFlags(*create, state->output);
        create->callback([state, &context, &exit_code] { exit_code = RunCreate(*state, context); });
      });

  AddCommand(
      aks, "update",
      "Change a cluster, as az does: GET, change, PUT. A new SSH key goes into every node pool's "
      "model (running nodes keep the old key until a node image upgrade).\n\nExamples:\n"
      "  gangplank aks update -g rg1 -n c1 --ssh-key-value ~/.ssh/new_key.pub\n"
      "  gangplank aks update -g rg1 -n c1 --tags team=platform env=dev",
      [state, &context, &exit_code](CLI::App* update) {
        AddResourceFlags(update, *state);
        update->add_option("--ssh-key-value", state->key_flags.ssh_key_value,
                           "The new public key: a path or the key itself");
        state->flags.Register(*update, kAksUpdate);
        update->add_flag("--no-wait", state->no_wait, "Return once the request is accepted");
        AddOutputFlags(*update, state->output);
        update->callback([state, &context, &exit_code] { exit_code = RunUpdate(*state, context); });
      });

  AddCommand(aks, "show",
             "Show a cluster.\n\nExamples:\n  gangplank aks show -g rg1 -n c1\n"
             "  gangplank aks show -g rg1 -n c1 --query linuxProfile.ssh.publicKeys[0].keyData "
             "-o tsv",
             [state, &context, &exit_code](CLI::App* show) {
               AddResourceFlags(show, *state);
               state->flags.Register(*show, kAksShow);
               AddOutputFlags(*show, state->output);
               show->callback([state, &context, &exit_code] {
                 state->output.table_query = kClusterTable;
                 exit_code = RunShow(*state, context);
               });
             });

  // aks list / delete / scale
  AddCommand(aks, "list",
             "List clusters (of a resource group).\n\nExamples:\n  gangplank aks list -o table\n"
             "  gangplank aks list -g rg1 --query [].name -o tsv",
             [state, &context, &exit_code](CLI::App* list_clusters) {
               list_clusters->add_option("-g,--resource-group", state->group,
                                         "Resource group (default: all)");
               AddOutputAndWait(list_clusters, state, false);
               list_clusters->callback([state, &context, &exit_code] {
                 state->output.table_query = kClustersTable;
                 auto config = LoadCliConfig(context);
                 const std::string scope =
                     state->group.empty()
                         ? "/subscriptions/" + (config ? config->subscription_id : "-")
                         : GroupPath(context, *state);
                 exit_code = RunGet(
                     context, *state,
                     scope + "/providers/Microsoft.ContainerService/managedClusters" + Query(),
                     Printed::kClusters);
               });
             });
  AddCommand(aks, "delete",
             "Delete a cluster and every node of it (asks; --yes in scripts).\n\n"
             "Example:\n  gangplank aks delete -g rg1 -n c1 --yes",
             [state, &context, &exit_code](CLI::App* delete_cluster) {
               AddResourceFlags(delete_cluster, *state);
               state->flags.Register(*delete_cluster, kAksDelete);
               delete_cluster->add_flag("-y,--yes", state->yes, "Do not ask for confirmation");
               AddOutputAndWait(delete_cluster, state, true);
               delete_cluster->callback([state, &context, &exit_code] {
                 if (!state->yes &&
                     !Confirm(context, "Delete cluster " + state->name + " and all its nodes?")) {
                   exit_code = kExitFailure;
                   return;
                 }
                 exit_code = CallWaitPrint(context, *state, "DELETE",
                                           ClusterPathFor(context, *state) + Query(), nullptr,
                                           "Deleting " + state->name, "", Printed::kAsSent);
               });
             });
  AddCommand(aks, "scale",
             "Scale a pool: new nodes get the latest model, the highest-numbered go first.\n\n"
             "Example:\n  gangplank aks scale -g rg1 -n c1 -c 5 --nodepool-name nodepool1",
             [state, &context, &exit_code](CLI::App* scale) {
               AddResourceFlags(scale, *state);
               scale->add_option("-c,--node-count", state->count, "Nodes")
                   ->required()
                   ->check(CLI::Range(0, 1000));
               scale->add_option("--nodepool-name", state->pool, "Pool (default: the only one)");
               state->flags.Register(*scale, kAksScale);
               AddOutputAndWait(scale, state, true);
               scale->callback(
                   [state, &context, &exit_code] { exit_code = ScaleCluster(context, *state); });
             });
}

// aks nodepool upgrade, add, list, show, scale, update and delete.
void RegisterPoolCommands(CLI::App* nodepool, const StatePtr& state, CliContext& context,
                          int& exit_code) {
  AddCommand(
      nodepool, "upgrade",
      "Reimage a pool's nodes onto its latest model and node image, maxSurge at a time.\n\n"
      "Example:\n  gangplank aks nodepool upgrade -g rg1 --cluster-name c1 -n nodepool1 "
      "--node-image-only --max-surge 33%",
      [state, &context, &exit_code](CLI::App* upgrade) {
        AddPoolNames(upgrade, state, true);
        upgrade->add_flag("--node-image-only", state->node_image_only,
                          "Reimage the nodes onto the latest model and node image");
        state->flags.Register(*upgrade, kPoolUpgrade);
        upgrade->add_flag("--no-wait", state->no_wait, "Return once the request is accepted");
        AddOutputFlags(*upgrade, state->output);
        upgrade->callback(
            [state, &context, &exit_code] { exit_code = RunNodepoolUpgrade(*state, context); });
      });

  // nodepool add / list / show / scale / update / delete
  AddCommand(nodepool, "add",
             "Add a pool; its nodes get the cluster's current SSH model.\n\nExample:\n"
             "  gangplank aks nodepool add -g rg1 --cluster-name c1 -n tools -c 2 --os-sku "
             "AzureLinux",
             [state, &context, &exit_code](CLI::App* add) {
               AddPoolNames(add, state, true);
               state->flags.Register(*add, kPoolAdd);
               AddOutputAndWait(add, state, true);
               add->callback(
                   [state, &context, &exit_code] { exit_code = RunNodepoolAdd(*state, context); });
             });
  AddCommand(
      nodepool, "list",
      "List a cluster's pools.\n\nExample:\n  gangplank aks nodepool list -g rg1 --cluster-name c1 "
      "--query \"[].{name:name, count:count, ssh:securityProfile.sshAccess}\" -o table",
      [state, &context, &exit_code](CLI::App* list_pools) {
        AddPoolNames(list_pools, state, false);
        AddOutputAndWait(list_pools, state, false);
        list_pools->callback([state, &context, &exit_code] {
          state->output.table_query = kPoolsTable;
          exit_code =
              RunGet(context, *state, ClusterPathFor(context, *state) + "/agentPools" + Query(),
                     Printed::kPools);
        });
      });
  AddCommand(nodepool, "show",
             "Show a pool.\n\nExample:\n  gangplank aks nodepool show -g rg1 "
             "--cluster-name c1 -n nodepool1",
             [state, &context, &exit_code](CLI::App* show_pool) {
               AddPoolNames(show_pool, state, true);
               AddOutputAndWait(show_pool, state, false);
               show_pool->callback([state, &context, &exit_code] {
                 state->output.table_query = kPoolTable;
                 exit_code = RunGet(context, *state, PoolPathFor(context, *state) + Query(),
                                    Printed::kPool);
               });
             });
  AddCommand(
      nodepool, "scale",
      "Scale a pool: new nodes get the latest model, the highest-numbered go first.\n\nExample:\n"
      "  gangplank aks nodepool scale -g rg1 --cluster-name c1 -n tools -c 3",
      [state, &context, &exit_code](CLI::App* scale_pool) {
        AddPoolNames(scale_pool, state, true);
        state->flags.Register(*scale_pool, kPoolScale);
        scale_pool->add_option("-c,--node-count", state->count, "Nodes")
            ->required()
            ->check(CLI::Range(0, 1000));
        AddOutputAndWait(scale_pool, state, true);
        scale_pool->callback(
            [state, &context, &exit_code] { exit_code = ScalePool(context, *state); });
      });
  AddCommand(
      nodepool, "update",
      "Change a pool, as az does: GET, change, PUT. SSH access applies at its next node image "
      "upgrade.\n\n"
      "Example:\n  gangplank aks nodepool update -g rg1 --cluster-name c1 -n nodepool1 "
      "--ssh-access disabled --yes",
      [state, &context, &exit_code](CLI::App* update_pool) {
        AddPoolNames(update_pool, state, true);
        state->flags.Register(*update_pool, kPoolUpdate);
        update_pool->add_flag("-y,--yes", state->yes, "Do not ask for confirmation");
        AddOutputAndWait(update_pool, state, true);
        update_pool->callback(
            [state, &context, &exit_code] { exit_code = RunNodepoolUpdate(*state, context); });
      });
  AddCommand(nodepool, "delete",
             "Delete a pool and its nodes.\n\nExample:\n  gangplank aks nodepool delete -g rg1 "
             "--cluster-name c1 -n tools",
             [state, &context, &exit_code](CLI::App* delete_pool) {
               AddPoolNames(delete_pool, state, true);
               state->flags.Register(*delete_pool, kPoolDelete);
               AddOutputAndWait(delete_pool, state, true);
               delete_pool->callback([state, &context, &exit_code] {
                 exit_code = CallWaitPrint(context, *state, "DELETE",
                                           PoolPathFor(context, *state) + Query(), nullptr,
                                           "Deleting " + state->pool, "", Printed::kAsSent);
               });
             });
}

// aks machine list and show, and aks node logs.
void RegisterMachineCommands(CLI::App* aks, const StatePtr& state, CliContext& context,
                             int& exit_code) {
  CLI::App* machine = aks->add_subcommand("machine", "The nodes of a cluster.");
  machine->require_subcommand(1);
  AddCommand(
      machine, "list",
      "Every node: address, state, image, whether the latest SSH key is applied, host key.\n\n"
      "Examples:\n  gangplank aks machine list -g rg1 --cluster-name c1 -o table\n"
      "  gangplank aks machine list -g rg1 --cluster-name c1 --query "
      "\"[?!latestModelApplied].name\" -o tsv",
      [state, &context, &exit_code](CLI::App* list) {
        AddPoolNames(list, state, false);
        list->add_option("--nodepool-name", state->pool, "Only this pool");
        AddOutputFlags(*list, state->output);
        list->callback([state, &context, &exit_code] {
          state->output.own_order = true;
          exit_code = RunMachineList(*state, context);
        });
      });
  AddCommand(
      machine, "show",
      "One node: its state, address, port, model and image, SSH access, sshd health and host "
      "keys.\n\nExample:\n  gangplank aks machine show -g rg1 --cluster-name c1 --nodepool-name "
      "nodepool1 --machine-name aks-nodepool1-12345678-vmss000000 -o table",
      [state, &context, &exit_code](CLI::App* show_machine) {
        AddPoolNames(show_machine, state, false);
        show_machine->add_option("--nodepool-name", state->pool, "Pool of the node")->required();
        show_machine->add_option("--machine-name", state->node, "Node name")->required();
        AddOutputFlags(*show_machine, state->output);
        show_machine->callback([state, &context, &exit_code] {
          state->output.own_order = true;
          exit_code = RunMachineShow(*state, context);
        });
      });

  // aks node logs
  CLI::App* node = aks->add_subcommand("node", "One node.");
  node->require_subcommand(1);
  AddCommand(node, "logs",
             "A node's recent agent and sshd log, and who logged in with which key.\n\nExamples:\n"
             "  gangplank aks node logs -g rg1 --cluster-name c1 --nodepool-name nodepool1 --node "
             "aks-nodepool1-12345678-vmss000000 -o table\n"
             "  gangplank aks node logs -g rg1 --cluster-name c1 --nodepool-name nodepool1 --node "
             "aks-nodepool1-12345678-vmss000000 --query \"loginEvents[?result=='Refused']\"",
             [state, &context, &exit_code](CLI::App* logs) {
               AddPoolNames(logs, state, false);
               logs->add_option("--nodepool-name", state->pool, "Pool of the node")->required();
               logs->add_option("--node", state->node, "Node name")->required();
               AddOutputAndWait(logs, state, false);
               logs->callback([state, &context, &exit_code] {
                 state->output.own_order = true;
                 const auto format = ParseOutputFormat(state->output.output);
                 if ((format && *format == OutputFormat::kJson) || !state->output.query.empty()) {
                   exit_code = RunGet(context, *state,
                                      PoolPathFor(context, *state) + "/machines/" + state->node +
                                          "/logs" + Query(),
                                      Printed::kAsSent);
                   return;
                 }
                 auto client = Client(context);
                 if (!client) {
                   exit_code = Fail(context, client.error());
                   return;
                 }
                 auto reply = client->Call("GET", PoolPathFor(context, *state) + "/machines/" +
                                                      state->node + "/logs" + Query());
                 if (!reply) {
                   exit_code = Fail(context, reply.error());
                   return;
                 }
                 context.out << TerminalSafe(reply->body.at("logs").as_string(),
                                             Escapes::kTerminalKeepNewlines);
                 exit_code = PrintOutput(context, reply->body.at("loginEvents"), state->output);
               });
             });
}

}  // namespace


std::shared_ptr<AksCommandState> RegisterAksCommands(CLI::App& app, CliContext& context,
                                                     int& exit_code) {
  auto state = std::make_shared<AksCommandState>();
  RegisterLoginCommand(app, *state, context, exit_code);
  CLI::App* aks = app.add_subcommand("aks", "Managed clusters, node pools and their nodes.");
  aks->require_subcommand(1);
  CLI::App* nodepool = aks->add_subcommand("nodepool", "Node pools.");
  nodepool->require_subcommand(1);
  RegisterClusterCommands(aks, state, context, exit_code);
  RegisterAksLifecycleCommands(*aks, *nodepool, *state, context, exit_code);
  RegisterAksCredentialsCommand(*aks, *state, context, exit_code);
  RegisterPoolCommands(nodepool, state, context, exit_code);
  RegisterMachineCommands(aks, state, context, exit_code);
  RegisterAksSshCommand(*aks, *state, context, exit_code);
  RegisterGroupCommands(app, *state, context, exit_code);
  RegisterAccessCommands(app, *state, context, exit_code);
  RegisterSshCaCommands(app, *state, context, exit_code);
  return state;
}

}  // namespace gangplank::cli
