// aks stop|start|upgrade|get-upgrades|operation-abort|wait and aks nodepool stop|start|
// get-upgrades|delete-machines|operation-abort|wait: what the control plane does to a cluster's
// nodes, with az's names and flags.
#include <chrono>
#include <thread>

#include "cli/aks_support.h"
#include "cli/lazy_command.h"
#include "query/jmespath.h"

namespace gangplank::cli {
namespace json = boost::json;

namespace {

// -g and --cluster-name, and the pool as az names it for this command.
void PoolFlags(CLI::App* command, AksCommandState& state, const std::string& pool_flag) {
  command->add_option("-g,--resource-group", state.group, "Resource group")->required();
  command->add_option("--cluster-name", state.name, "Cluster name")->required();
  command->add_option(pool_flag, state.pool, "Node pool name")->required();
}

void ClusterFlags(CLI::App* command, AksCommandState& state) {
  command->add_option("-g,--resource-group", state.group, "Resource group")->required();
  command->add_option("-n,--name", state.name, "Cluster name")->required();
}

// A POST that starts an operation; waits for it unless --no-wait; prints nothing, as az does.
// `confirm`, when given, is the question asked first (unless --yes).
void Action(CLI::App* command, AksCommandState& state, CliContext& context, int& exit_code,
            std::function<std::string()> path, std::function<json::value()> body,
            std::function<std::string()> what, std::function<std::string()> nothing = nullptr,
            std::function<std::string()> confirm = nullptr) {
  command->add_flag("--no-wait", state.no_wait, "Return once the request is accepted");
  AddOutputFlags(*command, state.output);  // az's global flags: accepted, with nothing to print
  command->callback([&state, &context, &exit_code, path, body, what, nothing, confirm] {
    if (confirm && !state.flags.Given("--yes") && !Confirm(context, confirm())) {
      exit_code = kExitFailure;
      return;
    }
    const json::value request = body ? body() : json::value();
    exit_code = CallWaitPrint(context, state, "POST", path() + Query(),
                              body ? &request : nullptr, what(), "", Printed::kAsSent,
                              nothing ? nothing() : "");
  });
}

void AddWaitFlags(CLI::App* command, WaitFlags& flags) {
  command->add_flag("--created", flags.created,
                    "Wait until created with 'provisioningState' at 'Succeeded'");
  command->add_flag("--updated", flags.updated,
                    "Wait until updated with provisioningState at 'Succeeded'");
  command->add_flag("--deleted", flags.deleted, "Wait until deleted");
  command->add_flag("--exists", flags.exists, "Wait until the resource exists");
  command->add_option("--custom", flags.custom,
                      "Wait until a JMESPath query on what `show` prints is true, e.g. "
                      "\"provisioningState!='Updating'\"");
  command->add_option("--interval", flags.interval, "Polling interval in seconds (default 30)")
      ->check(CLI::Range(1, 86400));
  command->add_option("--timeout", flags.timeout, "Maximum wait in seconds (default 3600)")
      ->check(CLI::Range(0, 31536000));
}

// Python's bool(), which az's --custom applies to the query's result (verify_property): unlike
// JMESPath's own truth (query.cc), 0 is false too.
bool PythonTruthy(const json::value& value) {
  switch (value.kind()) {
    case json::kind::null: return false;
    case json::kind::bool_: return value.get_bool();
    case json::kind::string: return !value.get_string().empty();
    case json::kind::array: return !value.get_array().empty();
    case json::kind::object: return !value.get_object().empty();
    default: return value.to_number<double>() != 0;
  }
}

// az's generic wait: GET every interval until the condition holds; a Failed provisioning state
// ends it at once; a 404 is what --deleted waits for.
int RunWait(CliContext& context, const WaitFlags& flags, const std::string& path, Printed shape) {
  if (!flags.created && !flags.updated && !flags.deleted && !flags.exists && flags.custom.empty()) {
    context.err << "error: incorrect usage: --created | --updated | --deleted | --exists | "
                   "--custom JMESPATH\n";
    return kExitUsage;
  }
  if (!flags.custom.empty()) {
    if (Status valid = query::ValidateQuery(flags.custom); !valid.ok()) {
      context.err << "error: --custom: " << valid.error().message << "\n";
      return kExitUsage;
    }
  }
  auto client = Client(context);
  if (!client) return Fail(context, client.error());
  for (int waited = 0; waited < flags.timeout; waited += flags.interval) {
    auto reply = client->Call("GET", path);
    if (!reply) {
      if (reply.error().code != StatusCode::kNotFound) return Fail(context, reply.error());
      if (flags.deleted) return kExitOk;
      if (!flags.created && !flags.exists && flags.custom.empty())
        return Fail(context, reply.error());
    } else {
      if (flags.exists) return kExitOk;
      const json::value view = AsAzPrints(reply->body, shape);
      std::string state;
      if (const auto* found = view.as_object().if_contains("provisioningState");
          found && found->is_string())
        state = std::string(found->as_string());
      for (char& c : state) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (state == "failed") {
        return Fail(context, MakeError(StatusCode::kFailedPrecondition, "OperationFailed",
                                       "The operation failed"));
      }
      if ((flags.created || flags.updated) && state == "succeeded") return kExitOk;
      if (!flags.custom.empty()) {
        auto result = query::ApplyQuery(view, flags.custom);
        if (result && PythonTruthy(*result)) return kExitOk;
      }
    }
    std::this_thread::sleep_for(std::chrono::seconds(flags.interval));
  }
  return Fail(context, MakeError(StatusCode::kUnavailable, "WaitTimedOut",
                                 "Wait operation timed-out after " +
                                     std::to_string(flags.timeout) + " seconds"));
}

// nodepool stop|start, as az does them: GET the pool, set its powerState, PUT it back.
int SetPoolPower(CliContext& context, AksCommandState& state, const std::string& code) {
  auto client = ClientFor(context, state);  // --aks-custom-headers
  if (!client) return Fail(context, client.error());
  const std::string path = PoolPathFor(context, state) + Query();
  auto current = client->Call("GET", path);
  if (!current) return Fail(context, current.error());
  json::object put_back = PoolPutBack(current->body);
  put_back["properties"].as_object()["powerState"] = json::object{{"code", code}};
  const json::value body = std::move(put_back);
  return CallWaitPrint(context, state, *client, "PUT", path, &body,
                       (code == "Stopped" ? "Stopping " : "Starting ") + state.pool, path,
                       Printed::kPool);
}

// aks upgrade: --node-image-only reimages every pool, one upgradeNodeImageVersion each, as az
// does; a Kubernetes version is kept on the cluster (and its pools unless --control-plane-only).
int RunUpgrade(CliContext& context, AksCommandState& state, const AzFlagSet& flags) {
  const bool version = flags.Given("--kubernetes-version");
  if (version == state.node_image_only) {
    context.err << "error: say what to upgrade: --node-image-only (reimage every pool onto the "
                   "latest model and node image) or --kubernetes-version VERSION\n";
    return kExitUsage;
  }
  if (Status checked = flags.Check(AzBody::kCluster, context.home); !checked.ok())
    return Fail(context, checked.error());
  if (!flags.Given("--yes") &&
      !Confirm(context, state.node_image_only
                            ? "Every node of " + state.name + " will be reimaged. Continue?"
                            : "Upgrading " + state.name + " may reimage its nodes. Continue?"))
    return kExitFailure;
  auto client = ClientFor(context, state);
  if (!client) return Fail(context, client.error());
  const std::string cluster = ClusterPath(*client, state);
  auto current = client->Call("GET", cluster + Query());
  if (!current) return Fail(context, current.error());
  if (state.node_image_only) {
    for (const auto& pool : current->body.at("properties").at("agentPoolProfiles").as_array()) {
      const std::string name(pool.at("name").as_string());
      auto started =
          client->Call("POST", cluster + "/agentPools/" + name + "/upgradeNodeImageVersion" + Query());
      if (!started) return Fail(context, started.error());
      if (state.no_wait) continue;
      Status done = WaitFor(context, *client, started->async_operation, "Reimaging " + name);
      EndProgress(context);
      if (!done.ok()) return Fail(context, done.error());
    }
    return state.no_wait ? kExitOk : RunGet(context, state, cluster + Query(), Printed::kCluster);
  }
  json::object body = ClusterPutBack(current->body);
  json::object& properties = body["properties"].as_object();
  const std::string wanted = flags.Words("--kubernetes-version").front();
  properties["kubernetesVersion"] = wanted;
  if (!flags.Given("--control-plane-only")) {
    for (auto& pool : properties["agentPoolProfiles"].as_array()) {
      pool.as_object()["orchestratorVersion"] = wanted;
      pool.as_object().erase("creationData");
    }
  }
  // az leaves the service principal profile out of an upgrade or a scale ("otherwise validation
  // complains"): an MSI cluster's {"clientId": "msi"} is not a principal to send back.
  properties.erase("servicePrincipalProfile");
  const json::value request = std::move(body);
  return CallWaitPrint(context, state, *client, "PUT", cluster + Query(), &request,
                       "Upgrading " + state.name, cluster + Query(), Printed::kCluster);
}

}  // namespace

namespace {

// aks stop, start, rotate-certs, operation-abort, get-upgrades and upgrade.
void RegisterClusterLifecycle(CLI::App& aks, AksCommandState& state, CliContext& context,
                              int& exit_code) {
  struct Power {
    const char* verb;
    const char* progress;
    const char* help;
  };
  static constexpr Power kPower[] = {
      {"stop", "Stopping ",
       "Stop a cluster: its nodes keep their model and image and run no sshd until it starts."},
      {"start", "Starting ",
       "Start a stopped cluster: the same nodes come back on the model they had (no reimage)."},
  };
  for (const Power& power : kPower) {
    AddCommand(
        &aks, power.verb,
        std::string(power.help) + "\n\nExample:\n  gangplank aks " + power.verb + " -g rg1 -n c1",
        [&](CLI::App* command) {
          ClusterFlags(command, state);
          Action(
              command, state, context, exit_code,
              [&] { return ClusterPathFor(context, state) + "/" + power.verb; }, nullptr,
              [&] { return power.progress + state.name; });
        });
  }

  AddCommand(
      &aks, "rotate-certs",
      "Rotate a cluster's credentials: every kubeconfig issued before stops working; get new ones "
      "with aks get-credentials. Nodes and their SSH access are untouched.\n\nExample:\n"
      "  gangplank aks rotate-certs -g rg1 -n c1 --yes",
      [&](CLI::App* rotate) {
        ClusterFlags(rotate, state);
        state.flags.Register(*rotate, kRotateCerts);
        Action(
            rotate, state, context, exit_code,
            [&] { return ClusterPathFor(context, state) + "/rotateClusterCertificates"; }, nullptr,
            [&] { return "Rotating the credentials of " + state.name; }, nullptr,
            [&] {
              return "Every kubeconfig of " + state.name +
                     " stops working; get new ones with aks get-credentials. Continue?";
            });
      });

  AddCommand(
      &aks, "operation-abort",
      "Abort the operation running on a cluster: a rolling upgrade stops between batches; nodes "
      "already reimaged stay.\n\nExample:\n  gangplank aks operation-abort -g rg1 -n c1",
      [&](CLI::App* abort) {
        ClusterFlags(abort, state);
        state.flags.Register(*abort, kAbort);
        Action(
            abort, state, context, exit_code,
            [&] { return ClusterPathFor(context, state) + "/abort"; }, nullptr,
            [&] { return "Aborting the operation on " + state.name; },
            [&] {
              return "There is no operation in progress on " + state.name + "; nothing to abort.";
            });
      });

  AddCommand(&aks, "get-upgrades",
             "The Kubernetes versions a cluster and its pools can move to.\n\nExample:\n"
             "  gangplank aks get-upgrades -g rg1 -n c1 -o table",
             [&](CLI::App* upgrades) {
               ClusterFlags(upgrades, state);
               AddOutputFlags(*upgrades, state.output);
               upgrades->callback([&state, &context, &exit_code] {
                 exit_code =
                     RunGet(context, state,
                            ClusterPathFor(context, state) + "/upgradeProfiles/default" + Query(),
                            Printed::kClusterUpgrades);
               });
             });

  AddCommand(
      &aks, "upgrade",
      "Upgrade a cluster: --node-image-only reimages every pool onto its latest model and node "
      "image (the way a new SSH key reaches running nodes).\n\nExample:\n"
      "  gangplank aks upgrade -g rg1 -n c1 --node-image-only --yes",
      [&](CLI::App* upgrade) {
        ClusterFlags(upgrade, state);
        upgrade->add_flag("--node-image-only", state.node_image_only,
                          "Reimage every pool onto its latest model and node image");
        state.flags.Register(*upgrade, kAksUpgrade);
        upgrade->add_flag("--no-wait", state.no_wait, "Return once the request is accepted");
        AddOutputFlags(*upgrade, state.output);
        upgrade->callback([&state, &context, &exit_code] {
          exit_code = RunUpgrade(context, state, state.flags);
        });
      });
}

// aks nodepool get-upgrades, operation-abort, delete-machines, stop and start.
void RegisterPoolLifecycle(CLI::App& nodepool, AksCommandState& state, CliContext& context,
                           int& exit_code) {
  AddCommand(
      &nodepool, "get-upgrades",
      "What a pool can move to, with latestNodeImageVersion: the image the next node image "
      "upgrade (the one that rolls out a new SSH key) gives its nodes.\n\nExample:\n"
      "  gangplank aks nodepool get-upgrades -g rg1 --cluster-name c1 --nodepool-name nodepool1 "
      "--query latestNodeImageVersion -o tsv",
      [&](CLI::App* pool_upgrades) {
        PoolFlags(pool_upgrades, state, "-n,--name,--nodepool-name");
        AddOutputFlags(*pool_upgrades, state.output);
        pool_upgrades->callback([&state, &context, &exit_code] {
          exit_code = RunGet(context, state,
                             PoolPathFor(context, state) + "/upgradeProfiles/default" + Query(),
                             Printed::kPoolUpgrades);
        });
      });

  AddCommand(&nodepool, "operation-abort",
             "Abort the operation running on a pool.\n\nExample:\n"
             "  gangplank aks nodepool operation-abort -g rg1 --cluster-name c1 -n nodepool1",
             [&](CLI::App* pool_abort) {
               PoolFlags(pool_abort, state, "-n,--name,--nodepool-name");
               state.flags.Register(*pool_abort, kAbort);
               Action(
                   pool_abort, state, context, exit_code,
                   [&] { return PoolPathFor(context, state) + "/abort"; }, nullptr,
                   [&] { return "Aborting the operation on " + state.pool; },
                   [&] {
                     return "There is no operation in progress on " + state.pool +
                            "; nothing to abort.";
                   });
             });

  AddCommand(&nodepool, "delete-machines",
             "Delete the named nodes of a pool; its count drops by as many.\n\nExample:\n"
             "  gangplank aks nodepool delete-machines -g rg1 --cluster-name c1 -n nodepool1 "
             "--machine-names aks-nodepool1-12345678-vmss000001",
             [&](CLI::App* delete_machines) {
               PoolFlags(delete_machines, state, "-n,--name,--nodepool-name");
               delete_machines
                   ->add_option("--machine-names", state.machine_names, "Machines to delete")
                   ->required();
               Action(
                   delete_machines, state, context, exit_code,
                   [&] { return PoolPathFor(context, state) + "/deleteMachines"; },
                   [&] {
                     json::array names;
                     for (const auto& name : state.machine_names) names.emplace_back(name);
                     return json::value(json::object{{"machineNames", std::move(names)}});
                   },
                   [&] { return "Deleting machines of " + state.pool; });
             });

  for (const auto& [name, code] : {std::pair{"stop", "Stopped"}, std::pair{"start", "Running"}}) {
    const std::string power_code = code;
    AddCommand(
        &nodepool, name,
        std::string(power_code == "Stopped"
                        ? "Stop a pool: its nodes keep their model and image and run no sshd."
                        : "Start a stopped pool: the same nodes come back (no reimage).") +
            "\n\nExample:\n  gangplank aks nodepool " + name +
            " -g rg1 --cluster-name c1 -n nodepool1",
        [&state, &context, &exit_code, power_code](CLI::App* power) {
          PoolFlags(power, state, "-n,--name,--nodepool-name");
          state.flags.Register(*power, kPoolPower);
          power->add_flag("--no-wait", state.no_wait, "Return once the request is accepted");
          AddOutputFlags(*power, state.output);
          power->callback([&state, &context, &exit_code, power_code] {
            exit_code = SetPoolPower(context, state, power_code);
          });
        });
  }
}

// aks wait and aks nodepool wait.
void RegisterWaits(CLI::App& aks, CLI::App& nodepool, AksCommandState& state,
                   CliContext& context, int& exit_code) {
  const auto add_wait = [&](CLI::App& parent, const std::string& description, bool pool) {
    AddCommand(&parent, "wait", description, [&state, &context, &exit_code, pool](CLI::App* wait) {
      if (pool)
        PoolFlags(wait, state, "-n,--name,--nodepool-name");
      else
        ClusterFlags(wait, state);
      AddWaitFlags(wait, state.wait);
      AddOutputFlags(*wait, state.output);
      wait->callback([&state, &context, &exit_code, pool] {
        exit_code =
            RunWait(context, state.wait,
                    (pool ? PoolPathFor(context, state) : ClusterPathFor(context, state)) + Query(),
                    pool ? Printed::kPool : Printed::kCluster);
      });
    });
  };
  add_wait(aks,
           "Wait for a cluster to reach a state, as az does (polls every --interval seconds).\n\n"
           "Example:\n  gangplank aks wait -g rg1 -n c1 --updated --interval 5 --timeout 600",
           false);
  add_wait(nodepool,
           "Wait for a pool to reach a state, as az does.\n\nExample:\n"
           "  gangplank aks nodepool wait -g rg1 --cluster-name c1 -n nodepool1 --custom "
           "\"powerState.code=='Stopped'\" --interval 2",
           true);
}

}  // namespace

void RegisterAksLifecycleCommands(CLI::App& aks, CLI::App& nodepool, AksCommandState& state,
                                  CliContext& context, int& exit_code) {
  RegisterClusterLifecycle(aks, state, context, exit_code);
  RegisterPoolLifecycle(nodepool, state, context, exit_code);
  RegisterWaits(aks, nodepool, state, context, exit_code);
}

}  // namespace gangplank::cli
