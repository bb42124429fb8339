// `gangplank login` and `gangplank aks …`: the seed page's commands against gangplankd. The SSH
// key is resolved and validated before anything is sent (sshkey::ResolveSshKey).
#include "cli/aks_command.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <functional>
#include <iostream>

#include "cli/aks_support.h"
#include "cli/arm_client.h"
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
  auto client = Connect(context, *config);
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
  context.err << "Logged in to " << config->server << " (subscription " << config->subscription_id
              << "); the credentials are in " << ConfigDir(context) << "/config.json (0600)\n";
  return kExitOk;
}

int RunCreate(AksCommandState& state, CliContext& context) {
  // The key first: a key error must leave the server untouched.
  auto resolved = sshkey::ResolveSshKey(state.key_flags, {context.home, {}});
  if (!resolved) return Fail(context, resolved.error());
  for (const auto& notice : resolved->notices) context.err << notice << "\n";
  auto client = Client(context);
  if (!client) return Fail(context, client.error());
  auto group = client->Call("GET", client->SubscriptionPath() + "/resourcegroups/" + state.group +
                                       "?api-version=2021-04-01");
  if (!group) return Fail(context, group.error());
  json::object pool{
      {"name", "nodepool1"},
      {"count", state.node_count},
      {"mode", "System"},
      {"osType", "Linux"},
      {"osSKU", state.os_sku},
      {"type", state.vm_set_type},
      {"securityProfile",
       json::object{{"sshAccess", state.ssh_access == "disabled" ? "Disabled" : "LocalUser"}}}};
  json::object properties{{"dnsPrefix", state.name},
                          {"agentPoolProfiles", json::array{std::move(pool)}}};
  if (resolved->key) {
    properties["linuxProfile"] = json::object{
        {"adminUsername", state.admin_username},
        {"ssh", json::object{{"publicKeys", json::array{json::object{
                                                {"keyData", resolved->key->ToPublicKeyLine()}}}}}}};
  }
  const json::value body =
      json::object{{"location", group->body.at("location")}, {"properties", std::move(properties)}};
  auto created = client->Call("PUT", ClusterPath(*client, state) + Query(), &body);
  if (!created) return Fail(context, created.error());
  if (state.no_wait) return PrintOutput(context, created->body, state.output);
  Status done = WaitFor(context, *client, created->async_operation, "Creating " + state.name);
  EndProgress(context);
  if (!done.ok()) return Fail(context, done.error());
  auto shown = client->Call("GET", ClusterPath(*client, state) + Query());
  if (!shown) return Fail(context, shown.error());
  return PrintOutput(context, shown->body, state.output);
}

// --tags KEY=VALUE … (az's form; "KEY" alone is an empty value, and no pair clears them).
Result<json::object> ParseTags(const std::vector<std::string>& pairs) {
  json::object tags;
  for (const std::string& pair : pairs) {
    if (pair.empty()) continue;
    const std::size_t equals = pair.find('=');
    const std::string key = pair.substr(0, equals);
    if (key.empty()) {
      return MakeError(StatusCode::kInvalidArgument, "InvalidTag",
                       "--tags takes KEY=VALUE pairs; '" + pair.substr(0, 40) + "' has no key");
    }
    tags[key] = equals == std::string::npos ? "" : pair.substr(equals + 1);
  }
  return tags;
}

int RunUpdate(AksCommandState& state, CliContext& context, bool tags_given) {
  if (!state.key_flags.ssh_key_value && !tags_given) {
    context.err << "error: say what to change: --ssh-key-value (a .pub path or the key) and/or "
                   "--tags KEY=VALUE ...\n";
    return kExitUsage;
  }
  std::optional<sshkey::ResolvedKey> resolved;
  if (state.key_flags.ssh_key_value) {
    auto key = sshkey::ResolveSshKey(state.key_flags, {context.home, {}});
    if (!key) return Fail(context, key.error());
    resolved = std::move(key.value());
  }
  auto tags = ParseTags(state.tags);
  if (!tags) return Fail(context, tags.error());
  auto client = Client(context);
  if (!client) return Fail(context, client.error());
  auto current = client->Call("GET", ClusterPath(*client, state) + Query());
  if (!current) return Fail(context, current.error());
  // As az does: the cluster as read, changed, PUT back whole.
  json::object body = current->body.as_object();
  json::object& properties = body["properties"].as_object();
  if (tags_given) body["tags"] = std::move(tags.value());
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
  const json::value request = body;
  auto updated = client->Call("PUT", ClusterPath(*client, state) + Query(), &request);
  if (!updated) return Fail(context, updated.error());
  if (!state.no_wait) {
    Status done = WaitFor(context, *client, updated->async_operation, "Updating " + state.name);
    EndProgress(context);
    if (!done.ok()) return Fail(context, done.error());
  }
  if (resolved) {
    context.err << "The new key is in every node pool's model. Running nodes keep the old key "
                   "until a node image upgrade reimages them; run, for each pool:\n";
    for (const auto& pool : properties.at("agentPoolProfiles").as_array()) {
      context.err << "  gangplank aks nodepool upgrade -g " << state.group << " --cluster-name "
                  << state.name << " -n " << std::string(pool.at("name").as_string())
                  << " --node-image-only\n";
    }
  }
  auto shown = client->Call("GET", ClusterPath(*client, state) + Query());
  if (!shown) return Fail(context, shown.error());
  return PrintOutput(context, shown->body, state.output);
}

int RunShow(AksCommandState& state, CliContext& context) {
  auto client = Client(context);
  if (!client) return Fail(context, client.error());
  auto shown = client->Call("GET", ClusterPath(*client, state) + Query());
  if (!shown) return Fail(context, shown.error());
  return PrintOutput(context, shown->body, state.output);
}

int RunNodepoolUpgrade(AksCommandState& state, CliContext& context) {
  if (!state.node_image_only) {
    context.err << "error: only node image upgrades exist here: add --node-image-only\n";
    return kExitUsage;
  }
  auto client = Client(context);
  if (!client) return Fail(context, client.error());
  const std::string pool_path = ClusterPath(*client, state) + "/agentPools/" + state.pool;
  if (!state.max_surge.empty()) {
    auto pool = client->Call("GET", pool_path + Query());
    if (!pool) return Fail(context, pool.error());
    json::object body{{"properties", pool->body.at("properties")}};
    json::object& properties = body["properties"].as_object();
    json::object settings;
    if (const auto* old = properties.if_contains("upgradeSettings"); old && old->is_object())
      settings = old->get_object();
    settings["maxSurge"] = state.max_surge;
    properties["upgradeSettings"] = std::move(settings);
    const json::value request = body;
    auto updated = client->Call("PUT", pool_path + Query(), &request);
    if (!updated) return Fail(context, updated.error());
    Status done = WaitFor(context, *client, updated->async_operation, "Setting maxSurge");
    EndProgress(context);
    if (!done.ok()) return Fail(context, done.error());
  }
  auto started = client->Call("POST", pool_path + "/upgradeNodeImageVersion" + Query());
  if (!started) return Fail(context, started.error());
  if (state.no_wait) return PrintOutput(context, started->body, state.output);
  Status done = WaitFor(context, *client, started->async_operation, "Reimaging " + state.pool);
  EndProgress(context);
  if (!done.ok()) return Fail(context, done.error());
  auto shown = client->Call("GET", pool_path + Query());
  if (!shown) return Fail(context, shown.error());
  return PrintOutput(context, shown->body, state.output);
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
  for (const auto& pool : *pools) {
    auto machines = Machines(*client, state, pool);
    if (!machines) return Fail(context, machines.error());
    for (const auto& machine : *machines) {
      if (state.node.empty() || machine.at("name").as_string() == state.node) {
        target = machine.as_object();
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
  const std::string identity = state.identity.empty() ? MatchingIdentity(context, cluster->body)
                                                      : ExpandUser(state.identity, context.home);
  if (!identity.empty()) argv.insert(argv.end(), {"-i", identity, "-o", "IdentitiesOnly=yes"});
  argv.insert(argv.end(), {"--", address});
  argv.insert(argv.end(), state.command.begin(), state.command.end());
  context.out.flush();
  const int status = RunToCompletion(argv);  // ssh shares the terminal
  return status < 0 ? kExitFailure : status;
}

// Scale, add and update of a pool: GET (when it exists), change, PUT.
int PutPool(CliContext& context, AksCommandState& state, bool create,
            const std::function<void(json::object&)>& change, const std::string& what) {
  auto client = Client(context);
  if (!client) return Fail(context, client.error());
  const std::string path = PoolPathFor(context, state) + Query();
  json::object properties;
  if (!create) {
    auto current = client->Call("GET", path);
    if (!current) return Fail(context, current.error());
    properties = current->body.at("properties").as_object();
  }
  change(properties);
  const json::value body = json::object{{"properties", properties}};
  return CallWaitPrint(context, state, "PUT", path, &body, what, path);
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
  create->add_option("--admin-username", state->admin_username, "Admin user (default azureuser)");
  create->add_option("-c,--node-count", state->node_count, "Nodes in nodepool1 (default 3)")
      ->check(CLI::Range(1, 1000));
  create->add_option("--os-sku", state->os_sku, "Ubuntu (default), AzureLinux, CBLMariner, Mariner")
      ->check(CLI::IsMember({"Ubuntu", "AzureLinux", "CBLMariner", "Mariner"}));
  create
      ->add_option("--vm-set-type", state->vm_set_type,
                   "VirtualMachineScaleSets or AvailabilitySet")
      ->check(CLI::IsMember({"VirtualMachineScaleSets", "AvailabilitySet"}));
  create->add_option("--ssh-access", state->ssh_access, "localuser (default) or disabled")
      ->check(CLI::IsMember({"localuser", "disabled"}, CLI::ignore_case));
  create->add_flag("--no-wait", state->no_wait, "Return once the request is accepted");
  AddOutputFlags(*create, state->output);
  create->callback([state, &context, &exit_code] { exit_code = RunCreate(*state, context); });

  CLI::App* update = aks->add_subcommand(
      "update",
      "Replace the SSH key on every node pool's model (running nodes keep the old key until a "
      "node image upgrade).\n\nExample:\n"
      "  gangplank aks update -g rg1 -n c1 --ssh-key-value ~/.ssh/new_key.pub");
  AddResourceFlags(update, *state);
  update->add_option("--ssh-key-value", state->key_flags.ssh_key_value,
                     "The new public key: a path or the key itself");
  update->add_option("--tags", state->tags,
                     "Space-separated KEY=VALUE tags for the cluster (replace its tags; \"\" "
                     "clears them)");
  update->add_flag("--no-wait", state->no_wait, "Return once the request is accepted");
  AddOutputFlags(*update, state->output);
  update->callback([state, &context, &exit_code, update] {
    exit_code = RunUpdate(*state, context, update->count("--tags") > 0);
  });

  CLI::App* show = aks->add_subcommand(
      "show",
      "Show a cluster.\n\nExamples:\n  gangplank aks show -g rg1 -n c1\n"
      "  gangplank aks show -g rg1 -n c1 --query properties.linuxProfile.ssh.publicKeys[0].keyData "
      "-o tsv");
  AddResourceFlags(show, *state);
  AddOutputFlags(*show, state->output);
  show->callback([state, &context, &exit_code] { exit_code = RunShow(*state, context); });

  CLI::App* nodepool = aks->add_subcommand("nodepool", "Node pools.");
  nodepool->require_subcommand(1);
  RegisterAksLifecycleCommands(*aks, *nodepool, *state, context, exit_code);
  CLI::App* upgrade = nodepool->add_subcommand(
      "upgrade",
      "Reimage a pool's nodes onto its latest model and node image, maxSurge at a time.\n\n"
      "Example:\n  gangplank aks nodepool upgrade -g rg1 --cluster-name c1 -n nodepool1 "
      "--node-image-only --max-surge 33%");
  upgrade->add_option("-g,--resource-group", state->group, "Resource group")->required();
  upgrade->add_option("--cluster-name", state->name, "Cluster name")->required();
  upgrade->add_option("-n,--name", state->pool, "Node pool name")->required();
  upgrade->add_flag("--node-image-only", state->node_image_only, "Reimage (the only upgrade here)");
  upgrade->add_option("--max-surge", state->max_surge, "Nodes at a time: a count or N%");
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
  list->callback([state, &context, &exit_code] { exit_code = RunMachineList(*state, context); });
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
  show_machine->callback(
      [state, &context, &exit_code] { exit_code = RunMachineShow(*state, context); });

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
    if (pool) command->add_option("-n,--name", state->pool, "Node pool name")->required();
  };

  // aks list / delete / scale
  CLI::App* list_clusters = aks->add_subcommand(
      "list",
      "List clusters (of a resource group).\n\nExamples:\n  gangplank aks list -o table\n"
      "  gangplank aks list -g rg1 --query [].name -o tsv");
  list_clusters->add_option("-g,--resource-group", state->group, "Resource group (default: all)");
  output_and_wait(list_clusters, false);
  list_clusters->callback([state, &context, &exit_code] {
    auto config = LoadCliConfig(context);
    const std::string scope = state->group.empty()
                                  ? "/subscriptions/" + (config ? config->subscription_id : "-")
                                  : GroupPath(context, *state);
    exit_code =
        RunGet(context, *state,
               scope + "/providers/Microsoft.ContainerService/managedClusters" + Query(), true);
  });
  CLI::App* delete_cluster =
      aks->add_subcommand("delete",
                          "Delete a cluster and every node of it (asks; --yes in scripts).\n\n"
                          "Example:\n  gangplank aks delete -g rg1 -n c1 --yes");
  AddResourceFlags(delete_cluster, *state);
  delete_cluster->add_flag("-y,--yes", state->yes, "Do not ask for confirmation");
  output_and_wait(delete_cluster, true);
  delete_cluster->callback([state, &context, &exit_code] {
    if (!state->yes && !Confirm(context, "Delete cluster " + state->name + " and all its nodes?")) {
      exit_code = kExitFailure;
      return;
    }
    exit_code = CallWaitPrint(context, *state, "DELETE", ClusterPathFor(context, *state) + Query(),
                              nullptr, "Deleting " + state->name, "");
  });
  CLI::App* scale = aks->add_subcommand(
      "scale",
      "Scale a pool: new nodes get the latest model, the highest-numbered go first.\n\n"
      "Example:\n  gangplank aks scale -g rg1 -n c1 -c 5 --nodepool-name nodepool1");
  AddResourceFlags(scale, *state);
  scale->add_option("-c,--node-count", state->count, "Nodes")
      ->required()
      ->check(CLI::Range(0, 1000));
  scale->add_option("--nodepool-name", state->pool, "Pool (default nodepool1)");
  output_and_wait(scale, true);
  scale->callback([state, &context, &exit_code] {
    if (state->pool.empty()) state->pool = "nodepool1";
    exit_code = PutPool(
        context, *state, false, [&](json::object& p) { p["count"] = state->count; },
        "Scaling " + state->pool);
  });

  // nodepool add / list / show / scale / update / delete
  CLI::App* add = nodepool->add_subcommand(
      "add",
      "Add a pool; its nodes get the cluster's current SSH model.\n\nExample:\n"
      "  gangplank aks nodepool add -g rg1 --cluster-name c1 -n tools -c 2 --os-sku "
      "AzureLinux");
  pool_flags(add, true);
  add->add_option("-c,--node-count", state->count, "Nodes (default 3)")->check(CLI::Range(0, 1000));
  add->add_option("--os-sku", state->os_sku, "Ubuntu (default), AzureLinux, CBLMariner, Mariner")
      ->check(CLI::IsMember({"Ubuntu", "AzureLinux", "CBLMariner", "Mariner"}));
  add->add_option("--mode", state->mode, "User (default) or System")
      ->check(CLI::IsMember({"User", "System"}));
  add->add_option("--ssh-access", state->ssh_access, "localuser (default) or disabled")
      ->check(CLI::IsMember({"localuser", "disabled"}, CLI::ignore_case));
  add->add_option("--max-surge", state->max_surge, "Nodes reimaged at a time: a count or N%");
  output_and_wait(add, true);
  add->callback([state, &context, &exit_code] {
    exit_code = PutPool(
        context, *state, true,
        [&](json::object& p) {
          p["count"] = state->count < 0 ? 3 : state->count;
          p["mode"] = state->mode;
          p["osType"] = "Linux";
          p["osSKU"] = state->os_sku;
          p["type"] = "VirtualMachineScaleSets";
          p["securityProfile"] = json::object{
              {"sshAccess", state->ssh_access == "disabled" ? "Disabled" : "LocalUser"}};
          if (!state->max_surge.empty())
            p["upgradeSettings"] = json::object{{"maxSurge", state->max_surge}};
        },
        "Adding " + state->pool);
  });
  CLI::App* list_pools = nodepool->add_subcommand(
      "list",
      "List a cluster's pools.\n\nExample:\n  gangplank aks nodepool list -g rg1 --cluster-name c1 "
      "--query \"[].{name:name, count:count, ssh:securityProfile.sshAccess}\" -o table");
  pool_flags(list_pools, false);
  output_and_wait(list_pools, false);
  list_pools->callback([state, &context, &exit_code] {
    exit_code =
        RunGet(context, *state, ClusterPathFor(context, *state) + "/agentPools" + Query(), true);
  });
  CLI::App* show_pool =
      nodepool->add_subcommand("show",
                               "Show a pool.\n\nExample:\n  gangplank aks nodepool show -g rg1 "
                               "--cluster-name c1 -n nodepool1");
  pool_flags(show_pool, true);
  output_and_wait(show_pool, false);
  show_pool->callback([state, &context, &exit_code] {
    exit_code = RunGet(context, *state, PoolPathFor(context, *state) + Query(), false);
  });
  CLI::App* scale_pool = nodepool->add_subcommand(
      "scale",
      "Scale a pool: new nodes get the latest model, the highest-numbered go first.\n\nExample:\n"
      "  gangplank aks nodepool scale -g rg1 --cluster-name c1 -n tools -c 3");
  pool_flags(scale_pool, true);
  scale_pool->add_option("-c,--node-count", state->count, "Nodes")
      ->required()
      ->check(CLI::Range(0, 1000));
  output_and_wait(scale_pool, true);
  scale_pool->callback([state, &context, &exit_code] {
    exit_code = PutPool(
        context, *state, false, [&](json::object& p) { p["count"] = state->count; },
        "Scaling " + state->pool);
  });
  CLI::App* update_pool = nodepool->add_subcommand(
      "update",
      "Change a pool's SSH access (applies at its next node image upgrade) or maxSurge.\n\n"
      "Example:\n  gangplank aks nodepool update -g rg1 --cluster-name c1 -n nodepool1 "
      "--ssh-access disabled --yes");
  pool_flags(update_pool, true);
  update_pool->add_option("--ssh-access", state->ssh_access, "localuser or disabled")
      ->check(CLI::IsMember({"localuser", "disabled"}, CLI::ignore_case));
  update_pool->add_option("--max-surge", state->max_surge, "Nodes reimaged at a time");
  update_pool->add_flag("-y,--yes", state->yes, "Do not ask for confirmation");
  output_and_wait(update_pool, true);
  update_pool->callback([state, &context, &exit_code, update_pool] {
    const bool access = update_pool->count("--ssh-access") > 0;
    if (access && state->ssh_access == "disabled" && !state->yes &&
        !Confirm(context, "After its next node image upgrade, no node of " + state->pool +
                              " will accept SSH connections. Continue?")) {
      exit_code = kExitFailure;
      return;
    }
    exit_code = PutPool(
        context, *state, false,
        [&](json::object& p) {
          if (access) {
            p["securityProfile"] = json::object{
                {"sshAccess", state->ssh_access == "disabled" ? "Disabled" : "LocalUser"}};
          }
          if (!state->max_surge.empty()) {
            json::object settings;
            if (const auto* old = p.if_contains("upgradeSettings"); old && old->is_object())
              settings = old->get_object();
            settings["maxSurge"] = state->max_surge;
            p["upgradeSettings"] = std::move(settings);
          }
        },
        "Updating " + state->pool);
    if (exit_code == kExitOk && access) {
      context.err << "SSH access changes when the pool's nodes are reimaged: gangplank aks "
                     "nodepool upgrade -g "
                  << state->group << " --cluster-name " << state->name << " -n " << state->pool
                  << " --node-image-only\n";
    }
  });
  CLI::App* delete_pool = nodepool->add_subcommand(
      "delete",
      "Delete a pool and its nodes.\n\nExample:\n  gangplank aks nodepool delete -g rg1 "
      "--cluster-name c1 -n tools");
  pool_flags(delete_pool, true);
  output_and_wait(delete_pool, true);
  delete_pool->callback([state, &context, &exit_code] {
    exit_code = CallWaitPrint(context, *state, "DELETE", PoolPathFor(context, *state) + Query(),
                              nullptr, "Deleting " + state->pool, "");
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
    if (state->output.output == "json" || !state->output.query.empty()) {
      exit_code = RunGet(
          context, *state,
          PoolPathFor(context, *state) + "/machines/" + state->node + "/logs" + Query(), false);
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
                      GroupPath(context, *state) + "?api-version=2021-04-01", &body, "", "");
  });
  CLI::App* group_show = group->add_subcommand(
      "show", "Show a resource group.\n\nExample:\n  gangplank group show -n rg1 -o table");
  group_show->add_option("-n,--name", state->group, "Name")->required();
  output_and_wait(group_show, false);
  group_show->callback([state, &context, &exit_code] {
    exit_code =
        RunGet(context, *state, GroupPath(context, *state) + "?api-version=2021-04-01", false);
  });
  CLI::App* group_list = group->add_subcommand(
      "list", "List resource groups.\n\nExample:\n  gangplank group list --query [].name -o tsv");
  output_and_wait(group_list, false);
  group_list->callback([state, &context, &exit_code] {
    auto config = LoadCliConfig(context);
    exit_code = RunGet(context, *state,
                       "/subscriptions/" + (config ? config->subscription_id : "-") +
                           "/resourcegroups?api-version=2021-04-01",
                       true);
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
                              "Deleting " + state->group, "");
  });
  return state;
}

int LoginToDataDir(CliContext& context, const std::string& data_dir) {
  AksCommandState state;
  state.login_data_dir = data_dir;
  return RunLogin(state, context);
}

}  // namespace gangplank::cli
