// What the `gangplank aks …` command files share: the parsed flags, the client, waiting on
// operations with progress, and the paths of clusters and pools. Internal to cli/.
#pragma once

#include <CLI/App.hpp>
#include <boost/json.hpp>
#include <string>
#include <vector>

#include "cli/arm_client.h"
#include "cli/az_flags.h"
#include "cli/cli_context.h"
#include "cli/output_flags.h"
#include "cli/ssh_key_flags.h"

namespace gangplank::cli {

// az's wait flags: --created/--updated/--deleted/--exists/--custom, --interval, --timeout.
struct WaitFlags {
  bool created = false, updated = false, deleted = false, exists = false;
  std::string custom;
  int interval = 30, timeout = 3600;
};

struct AksCommandState {
  // login
  std::string login_data_dir, login_server, login_client_id, login_client_secret, login_ca_file;
  std::string login_subscription;
  bool login_az_cloud = false;  // also write an az configuration (az ssh takes Azure's names)
  // shared
  std::string group, name, pool;
  OutputFlags output;
  bool no_wait = false;
  // create, update
  sshkey::SshKeyFlags key_flags;
  std::string admin_username = "azureuser";
  // nodepool upgrade
  bool node_image_only = false;
  // ssh, logs
  std::string node, identity;
  std::vector<std::string> command;
  // group, nodepool add/update, scale
  std::string location = "westus2";
  int count = -1;
  bool yes = false;
  // nodepool delete-machines
  std::vector<std::string> machine_names;
  // az's table flags of the command that runs (cli/az_flags.h)
  AzFlagSet flags;
  // aks wait, aks nodepool wait
  WaitFlags wait;
  // ad, role, monitor (cli/access_commands.cc)
  std::shared_ptr<void> access_flags;
};

// Asks on the terminal; without one (a script), the caller must pass --yes.
bool Confirm(CliContext& context, const std::string& question);

// Prints "error: MESSAGE" and returns kExitFailure, or kExitUsage when the command line itself
// cannot run (a refused flag, a value az would refuse too).
int Fail(CliContext& context, const Error& error);

// The CLI speaks the newest stable Microsoft.ContainerService version (machines, sshAccess).
std::string Query();

std::string ClusterPath(const ArmClient& client, const AksCommandState& state);

// A client for `config` that reports to standard error under --verbose and --debug. With
// `cached`, it reuses the token and the TLS session of earlier runs (login checks afresh).
Result<ArmClient> Connect(CliContext& context, const CliConfig& config, bool cached = true);

Result<ArmClient> Client(CliContext& context);
// The client for the command that runs, with the headers its table flags ask for
// (--aks-custom-headers) set on it; `extras`, when given, gets them and the URL parameters.
Result<ArmClient> ClientFor(CliContext& context, const AksCommandState& state,
                            AzRequestExtras* extras = nullptr);
// "&NAME=VALUE…" of the flags' URL parameters, encoded.
std::string QueryOf(const AzRequestExtras& extras);

// Waits for an operation. On a terminal: a spinner, a bar and the server's own progress text
// ("1 of 3 nodes on the latest model and image"), redrawn in place. Without one: nothing, or
// under --verbose one line per change.
Status WaitFor(CliContext& context, ArmClient& client, const std::string& operation,
               const std::string& what);

void EndProgress(CliContext& context);

// Sends a call that may start an operation, waits for it unless --no-wait, then prints the
// resource (GET `show_path`, or the call's own answer when there is nothing to show). A 204 (the
// server had nothing to do) prints `when_nothing_to_do` on standard error, when given.
// How a command prints what the server sent: as az prints these resources (its SDK's shape:
// properties lifted, az's names; cli/az_output.h), or as sent (groups, machines, logs).
enum class Printed { kAsSent, kCluster, kClusters, kPool, kPools, kClusterUpgrades, kPoolUpgrades };

boost::json::value AsAzPrints(const boost::json::value& body, Printed shape);

int CallWaitPrint(CliContext& context, AksCommandState& state, const std::string& method,
                  const std::string& path, const boost::json::value* body, const std::string& what,
                  const std::string& show_path, Printed shape,
                  const std::string& when_nothing_to_do = "");
// The same with a client already made (with --aks-custom-headers set on it).
int CallWaitPrint(CliContext& context, AksCommandState& state, ArmClient& client,
                  const std::string& method, const std::string& path,
                  const boost::json::value* body, const std::string& what,
                  const std::string& show_path, Printed shape,
                  const std::string& when_nothing_to_do = "");

// What az PUTs back of a cluster or a pool it read: without what the server alone sets
// (AzWritable), as an object to change.
boost::json::object ClusterPutBack(const boost::json::value& read);
boost::json::object PoolPutBack(const boost::json::value& read);

// az's own tables for `aks show|list` and `aks nodepool show|list` (its table transformers).
inline constexpr const char* kClusterTable =
    "{name: name, location: location, resourceGroup: resourceGroup, kubernetesVersion: "
    "kubernetesVersion, currentKubernetesVersion: currentKubernetesVersion, provisioningState: "
    "provisioningState, fqdn: fqdn || privateFqdn}";
inline constexpr const char* kClustersTable =
    "[].{name: name, location: location, resourceGroup: resourceGroup, kubernetesVersion: "
    "kubernetesVersion, currentKubernetesVersion: currentKubernetesVersion, provisioningState: "
    "provisioningState, fqdn: fqdn || privateFqdn}";
inline constexpr const char* kPoolTable =
    "{name: name, osType: osType, kubernetesVersion: orchestratorVersion, vmSize: vmSize, "
    "osDiskSizeGB: osDiskSizeGB, count: count, maxPods: maxPods, provisioningState: "
    "provisioningState, mode: mode}";
inline constexpr const char* kPoolsTable =
    "[].{name: name, osType: osType, kubernetesVersion: orchestratorVersion, vmSize: vmSize, "
    "osDiskSizeGB: osDiskSizeGB, count: count, maxPods: maxPods, provisioningState: "
    "provisioningState, mode: mode}";

// GET and print; a list's "value" is what is printed.
int RunGet(CliContext& context, AksCommandState& state, const std::string& path, Printed shape);

// /subscriptions/{the login's subscription, or --subscription's}
std::string SubscriptionPath(CliContext& context);
std::string GroupPath(CliContext& context, const AksCommandState& state);

std::string ClusterPathFor(CliContext& context, const AksCommandState& state);

std::string PoolPathFor(CliContext& context, const AksCommandState& state);

void AddResourceFlags(CLI::App* command, AksCommandState& state);

// A pool's machines as the machines API lists them.
Result<boost::json::array> Machines(ArmClient& client, const AksCommandState& state,
                                    const std::string& pool);
// The pools to look at: the one named, or every pool of the cluster.
Result<std::vector<std::string>> Pools(ArmClient& client, const AksCommandState& state);

// -o/--query, and --no-wait when `wait` (the command starts an operation it can wait for).
void AddOutputAndWaitFlags(CLI::App& command, AksCommandState& state, bool wait);

// aks_ssh_command.cc: `aks ssh`. group_command.cc: `group create|show|list|delete`.
// login_command.cc: `login`.
void RegisterLoginCommand(CLI::App& app, AksCommandState& state, CliContext& context,
                          int& exit_code);
void RegisterAksSshCommand(CLI::App& aks, AksCommandState& state, CliContext& context,
                           int& exit_code);
void RegisterGroupCommands(CLI::App& app, AksCommandState& state, CliContext& context,
                           int& exit_code);
// ssh_ca_command.cc: `ssh-ca show|add|switch|drop`.
void RegisterSshCaCommands(CLI::App& app, AksCommandState& state, CliContext& context,
                           int& exit_code);


// aks_lifecycle_command.cc: aks stop|start|get-upgrades|operation-abort, aks nodepool
// get-upgrades|delete-machines|operation-abort, with az's names and flags.
void RegisterAksLifecycleCommands(CLI::App& aks, CLI::App& nodepool, AksCommandState& state,
                                  CliContext& context, int& exit_code);

// aks_credentials_command.cc: aks get-credentials.
void RegisterAksCredentialsCommand(CLI::App& aks, AksCommandState& state, CliContext& context,
                                   int& exit_code);

}  // namespace gangplank::cli
