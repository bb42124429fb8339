// aks stop|start|get-upgrades|operation-abort and aks nodepool get-upgrades|delete-machines|
// operation-abort: what the control plane does to a cluster's nodes, with az's names and flags.
#include "cli/aks_support.h"

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
void Action(CLI::App* command, AksCommandState& state, CliContext& context, int& exit_code,
            std::function<std::string()> path, std::function<json::value()> body,
            std::function<std::string()> what, std::function<std::string()> nothing = nullptr) {
  command->add_flag("--no-wait", state.no_wait, "Return once the request is accepted");
  command->callback([&state, &context, &exit_code, path, body, what, nothing] {
    const json::value request = body ? body() : json::value();
    exit_code = CallWaitPrint(context, state, "POST", path() + Query(),
                              body ? &request : nullptr, what(), "", nothing ? nothing() : "");
  });
}

}  // namespace

void RegisterAksLifecycleCommands(CLI::App& aks, CLI::App& nodepool, AksCommandState& state,
                                  CliContext& context, int& exit_code) {
  CLI::App* stop = aks.add_subcommand(
      "stop",
      "Stop a cluster: its nodes keep their model and image and run no sshd until it starts.\n\n"
      "Example:\n  gangplank aks stop -g rg1 -n c1");
  ClusterFlags(stop, state);
  Action(stop, state, context, exit_code, [&] { return ClusterPathFor(context, state) + "/stop"; },
         nullptr, [&] { return "Stopping " + state.name; });

  CLI::App* start = aks.add_subcommand(
      "start",
      "Start a stopped cluster: the same nodes come back on the model they had (no reimage).\n\n"
      "Example:\n  gangplank aks start -g rg1 -n c1");
  ClusterFlags(start, state);
  Action(start, state, context, exit_code,
         [&] { return ClusterPathFor(context, state) + "/start"; }, nullptr,
         [&] { return "Starting " + state.name; });

  CLI::App* abort = aks.add_subcommand(
      "operation-abort",
      "Abort the operation running on a cluster: a rolling upgrade stops between batches; nodes "
      "already reimaged stay.\n\nExample:\n  gangplank aks operation-abort -g rg1 -n c1");
  ClusterFlags(abort, state);
  Action(
      abort, state, context, exit_code, [&] { return ClusterPathFor(context, state) + "/abort"; },
      nullptr, [&] { return "Aborting the operation on " + state.name; },
      [&] { return "There is no operation in progress on " + state.name + "; nothing to abort."; });

  CLI::App* upgrades = aks.add_subcommand(
      "get-upgrades",
      "The Kubernetes versions a cluster and its pools can move to.\n\nExample:\n"
      "  gangplank aks get-upgrades -g rg1 -n c1 -o table");
  ClusterFlags(upgrades, state);
  AddOutputFlags(*upgrades, state.output);
  upgrades->callback([&state, &context, &exit_code] {
    exit_code = RunGet(context, state,
                       ClusterPathFor(context, state) + "/upgradeProfiles/default" + Query(), false);
  });

  CLI::App* pool_upgrades = nodepool.add_subcommand(
      "get-upgrades",
      "What a pool can move to, with latestNodeImageVersion: the image the next node image "
      "upgrade (the one that rolls out a new SSH key) gives its nodes.\n\nExample:\n"
      "  gangplank aks nodepool get-upgrades -g rg1 --cluster-name c1 --nodepool-name nodepool1 "
      "--query latestNodeImageVersion -o tsv");
  PoolFlags(pool_upgrades, state, "-n,--name,--nodepool-name");
  AddOutputFlags(*pool_upgrades, state.output);
  pool_upgrades->callback([&state, &context, &exit_code] {
    exit_code = RunGet(context, state,
                       PoolPathFor(context, state) + "/upgradeProfiles/default" + Query(), false);
  });

  CLI::App* pool_abort = nodepool.add_subcommand(
      "operation-abort",
      "Abort the operation running on a pool.\n\nExample:\n"
      "  gangplank aks nodepool operation-abort -g rg1 --cluster-name c1 -n nodepool1");
  PoolFlags(pool_abort, state, "-n,--name,--nodepool-name");
  Action(
      pool_abort, state, context, exit_code, [&] { return PoolPathFor(context, state) + "/abort"; },
      nullptr, [&] { return "Aborting the operation on " + state.pool; },
      [&] { return "There is no operation in progress on " + state.pool + "; nothing to abort."; });

  CLI::App* delete_machines = nodepool.add_subcommand(
      "delete-machines",
      "Delete the named nodes of a pool; its count drops by as many.\n\nExample:\n"
      "  gangplank aks nodepool delete-machines -g rg1 --cluster-name c1 -n nodepool1 "
      "--machine-names aks-nodepool1-12345678-vmss000001");
  PoolFlags(delete_machines, state, "-n,--name,--nodepool-name");
  delete_machines->add_option("--machine-names", state.machine_names, "Machines to delete")
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
}

}  // namespace gangplank::cli
