// The shared pieces of the `gangplank aks …` commands (aks_support.h).
#include "cli/aks_support.h"

#include <algorithm>
#include <cctype>
#include <iostream>
#include <set>

#include "cli/az_output.h"
#include "cli/output_flags.h"
#include "resources/api_versions.h"
#include "resources/arm_defaults.h"

namespace gangplank::cli {
namespace json = boost::json;

// Asks on the terminal; without one (a script), the caller must pass --yes.
bool Confirm(CliContext& context, const std::string& question) {
  if (!context.interactive) {
    context.err << "error: " << question << " Pass --yes to confirm (no terminal to ask on).\n";
    return false;
  }
  context.err << question << " [y/N] " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "y" || answer == "Y" || answer == "yes";
}

int Fail(CliContext& context, const Error& error) {
  PrintError(context, error.message);
  // What the command line got wrong: exit 2, as az's usage errors.
  static const std::set<std::string> kUsage = {"RefusedArgument", "InvalidArgumentValue",
                                               "MultiplePools", "ConflictingKeyFlags"};
  return kUsage.contains(error.reason) ? kExitUsage : kExitFailure;
}

// The CLI speaks the newest stable Microsoft.ContainerService version (machines, sshAccess).
std::string Query() {
  return "?api-version=" + std::string(resources::NewestStableContainerService());
}

std::string ClusterPath(const ArmClient& client, const AksCommandState& state) {
  return client.SubscriptionPath() + "/resourceGroups/" + state.group +
         "/providers/Microsoft.ContainerService/managedClusters/" + state.name;
}

// A client for `config` that reports to standard error under --verbose and --debug.
Result<ArmClient> Connect(CliContext& context, const CliConfig& config, bool cached) {
  auto client = ArmClient::Connect(config, cached ? ConfigDir(context) : "");
  if (client && cached) client->set_token_cache(ConfigDir(context) + "/tokens.json");
  if (client && context.verbosity > 0) {
    client->set_trace([&context](int level, const std::string& line) {
      if (level <= context.verbosity)
        context.err << (level == 1 ? "INFO: " : "DEBUG: ")
                    << TerminalSafe(line, Escapes::kTerminalKeepNewlines) << "\n";
    });
  }
  return client;
}

Result<ArmClient> Client(CliContext& context) {
  auto config = LoadCliConfig(context);
  if (!config) return config.error();
  return Connect(context, *config);
}

Result<ArmClient> ClientFor(CliContext& context, const AksCommandState& state,
                            AzRequestExtras* extras) {
  AzRequestExtras wanted;
  json::object unused;
  if (Status applied = state.flags.Apply(unused, AzBody::kPool, context.home, wanted);
      !applied.ok())
    return applied.error();
  auto client = Client(context);
  if (!client) return client.error();
  client->set_extra_headers(wanted.headers);
  if (extras) *extras = std::move(wanted);
  return client;
}

std::string QueryOf(const AzRequestExtras& extras) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string query;
  for (const auto& [name, value] : extras.query) {
    query += "&" + name + "=";
    for (const char c : value) {
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
          c == '~') {
        query += c;
      } else {
        query += '%';
        query += kHex[static_cast<unsigned char>(c) >> 4];
        query += kHex[static_cast<unsigned char>(c) & 15];
      }
    }
  }
  return query;
}

// Waits for an operation. On a terminal: a spinner, a bar and the server's own progress text
// ("1 of 3 nodes on the latest model and image"), redrawn in place. Without one: nothing, or
// under --verbose one line per change.
Status WaitFor(CliContext& context, ArmClient& client, const std::string& operation,
               const std::string& what) {
  static constexpr char kSpinner[] = {'|', '/', '-', '\\'};
  constexpr int kCells = 20;
  std::size_t ticks = 0;
  int last_percent = -1;
  std::string last_text;
  return client.Wait(operation, [&](int percent, const std::string& text) {
    percent = std::clamp(percent, 0, 100);
    const bool changed = percent != last_percent || text != last_text;
    last_percent = percent;
    last_text = text;
    if (!context.interactive) {
      if (changed && context.verbosity > 0)
        context.err << "INFO: " << what << ": " << percent << "%"
                    << (text.empty() ? "" : " - " + text) << "\n";
      return;
    }
    const int filled = percent * kCells / 100;
    context.err << "\r" << kSpinner[ticks++ % 4] << " " << what << " ["
                << std::string(static_cast<std::size_t>(filled), '#')
                << std::string(static_cast<std::size_t>(kCells - filled), '.') << "] " << percent
                << "%" << (text.empty() ? "" : "  " + text) << "\x1b[K" << std::flush;
  });
}

void EndProgress(CliContext& context) {
  if (context.interactive) context.err << "\n";
}

// Left out: what az 2.45's model marks read-only (AzWritable), and a pool's members that are
// read-only at the newest API version (eTag, sshModelVersion: newer than that model). The
// cluster's own newest list is not applied: az 2.45 sends effectiveOutboundIPs back, and the
// server ignores it either way.
json::object ClusterPutBack(const json::value& read) {
  json::object body = AzWritable(read, "ManagedCluster").as_object();
  body.erase("eTag");  // read-only at the newest API version, unknown to az 2.45's model
  if (json::object* properties = body["properties"].if_object()) {
    if (json::array* pools = (*properties)["agentPoolProfiles"].if_array())
      for (json::value& pool : *pools)
        if (json::object* profile = pool.if_object()) resources::DropReadOnlyPoolInput(*profile);
  }
  return body;
}

json::object PoolPutBack(const json::value& read) {
  json::object body = AzWritable(read, "AgentPool").as_object();
  if (json::object* properties = body["properties"].if_object())
    resources::DropReadOnlyPoolInput(*properties);
  return body;
}

json::value AsAzPrints(const json::value& body, Printed shape) {
  switch (shape) {
    case Printed::kAsSent: return body;
    case Printed::kCluster: return AzClusterView(body);
    case Printed::kClusters: {
      json::array clusters;
      if (const auto* list = body.if_object(); list && list->contains("value"))
        for (const json::value& cluster : list->at("value").as_array())
          clusters.push_back(AzClusterView(cluster));
      return clusters;
    }
    case Printed::kPool: return AzView(body, "AgentPool");
    case Printed::kPools:
      return AzView(body.is_object() && body.as_object().contains("value") ? body.at("value")
                                                                          : json::array(),
                    "[AgentPool]");
    case Printed::kClusterUpgrades: return AzView(body, "ManagedClusterUpgradeProfile");
    case Printed::kPoolUpgrades: return AzView(body, "AgentPoolUpgradeProfile");
  }
  return body;
}

int CallWaitPrint(CliContext& context, AksCommandState& state, const std::string& method,
                  const std::string& path, const json::value* body, const std::string& what,
                  const std::string& show_path, Printed shape,
                  const std::string& when_nothing_to_do) {
  AzRequestExtras extras;
  auto client = ClientFor(context, state, &extras);
  if (!client) return Fail(context, client.error());
  return CallWaitPrint(context, state, *client, method, path + QueryOf(extras), body, what,
                       show_path, shape, when_nothing_to_do);
}

int CallWaitPrint(CliContext& context, AksCommandState& state, ArmClient& client,
                  const std::string& method, const std::string& path, const json::value* body,
                  const std::string& what, const std::string& show_path, Printed shape,
                  const std::string& when_nothing_to_do) {
  auto reply = client.Call(method, path, body);
  if (!reply) return Fail(context, reply.error());
  if (reply->status == 204 && !when_nothing_to_do.empty()) {
    context.err << when_nothing_to_do << "\n";
    return kExitOk;
  }
  if (!state.no_wait && !reply->async_operation.empty()) {
    Status done = WaitFor(context, client, reply->async_operation, what);
    EndProgress(context);
    if (!done.ok()) return Fail(context, done.error());
  }
  if (show_path.empty() || state.no_wait) {
    return reply->body.is_null() ? kExitOk
                                 : PrintOutput(context, AsAzPrints(reply->body, shape), state.output);
  }
  auto shown = client.Call("GET", show_path);
  if (!shown) return Fail(context, shown.error());
  return PrintOutput(context, AsAzPrints(shown->body, shape), state.output);
}

int RunGet(CliContext& context, AksCommandState& state, const std::string& path, Printed shape) {
  auto client = Client(context);
  if (!client) return Fail(context, client.error());
  auto reply = client->Call("GET", path);
  if (!reply) return Fail(context, reply.error());
  const bool list = reply->body.is_object() && reply->body.as_object().contains("value") &&
                    reply->body.at("value").is_array() && shape == Printed::kAsSent;
  return PrintOutput(context, list ? reply->body.at("value") : AsAzPrints(reply->body, shape),
                     state.output);
}

std::string SubscriptionPath(CliContext& context) {
  auto config = LoadCliConfig(context);
  return "/subscriptions/" + (config ? config->subscription_id : std::string("-"));
}

std::string GroupPath(CliContext& context, const AksCommandState& state) {
  return SubscriptionPath(context) + "/resourceGroups/" + state.group;
}

std::string ClusterPathFor(CliContext& context, const AksCommandState& state) {
  return GroupPath(context, state) + "/providers/Microsoft.ContainerService/managedClusters/" +
         state.name;
}

std::string PoolPathFor(CliContext& context, const AksCommandState& state) {
  return ClusterPathFor(context, state) + "/agentPools/" + state.pool;
}

// A pool's machines as the machines API lists them.
Result<boost::json::array> Machines(ArmClient& client, const AksCommandState& state,
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

void AddOutputAndWaitFlags(CLI::App& command, AksCommandState& state, bool wait) {
  AddOutputFlags(command, state.output);
  if (wait) command.add_flag("--no-wait", state.no_wait, "Return once the request is accepted");
}

void AddResourceFlags(CLI::App* command, AksCommandState& state) {
  command->add_option("-g,--resource-group", state.group, "Resource group")->required();
  command->add_option("-n,--name", state.name, "Cluster name")->required();
}

}  // namespace gangplank::cli
