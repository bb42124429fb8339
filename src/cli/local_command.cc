// `gangplank local up|down|status`: a control plane on this machine, started in the background
// (gangplankd beside the gangplank binary), waited for, and logged in to.
#include "cli/local_command.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "cli/arm_client.h"
#include "cli/cli_config.h"
#include "cli/lazy_command.h"
#include "cli/output_flags.h"
#include "common/file_io.h"
#include "common/paths.h"
#include "common/process.h"
#include "net/https_client.h"
#include "net/listening.h"
#include "resources/api_versions.h"

namespace gangplank::cli {
namespace fs = std::filesystem;
namespace json = boost::json;

struct LocalCommandState {
  std::string data_dir;
  std::string listen = "127.0.0.1:8443";
  OutputFlags output = OwnShapeOutput();
};

namespace {

std::string DataDir(const LocalCommandState& state, const CliContext& context) {
  if (!state.data_dir.empty()) return ExpandUser(state.data_dir, context.home);
  if (const char* dir = std::getenv("GANGPLANK_DATA_DIR"); dir && *dir) return dir;
  return context.home + "/.local/share/gangplank";
}

// The pid in DATA_DIR/gangplankd.pid when that process is a gangplankd of this data dir.
pid_t RunningPid(const std::string& data_dir) {
  return LivePidFromFile(data_dir + "/gangplankd.pid", {"gangplankd", data_dir});
}

int Fail(CliContext& context, const std::string& message) { return PrintError(context, message); }

// Answers /healthz at the server its credentials name (`expected`, when given: the credentials of
// an earlier start may still name another port until the new start rewrites them).
bool Healthy(const std::string& data_dir, const std::string& expected = "") {
  auto config = ConfigFromDataDir(data_dir);
  if (!config || (!expected.empty() && config->server != expected)) return false;
  auto client = net::HttpsClient::Create(config->server, config->ca_file, std::chrono::seconds(2));
  if (!client) return false;
  auto reply = (*client)->Send("GET", "/healthz", "", {});
  return reply && reply->status == 200;
}

// After a restart, nodes stopped by `local down` start again: wait (at most 20 s) until every node
// that should run sshd listens, so that `aks ssh` right after `local up` finds them.
void WaitForNodes(CliContext& context, const std::string& data_dir) {
  auto config = ConfigFromDataDir(data_dir);
  if (!config) return;
  auto client = ArmClient::Connect(*config);
  if (!client) return;
  auto clusters = client->Call("GET", client->SubscriptionPath() +
                                          "/providers/Microsoft.ContainerService/managedClusters"
                                          "?api-version=" + std::string(resources::NewestStableContainerService()));
  if (!clusters) return;
  std::vector<std::pair<std::string, int>> addresses;
  for (const auto& cluster : clusters->body.at("value").as_array()) {
    const std::string id(cluster.at("id").as_string());
    for (const auto& pool : cluster.at("properties").at("agentPoolProfiles").as_array()) {
      auto machines =
          client->Call("GET", id + "/agentPools/" + std::string(pool.at("name").as_string()) +
                                  "/machines?api-version=" + std::string(resources::NewestStableContainerService()));
      if (!machines) continue;
      for (const auto& machine : machines->body.at("value").as_array()) {
        const json::object& p = machine.at("properties").as_object();
        if (p.at("sshAccess") != "LocalUser") continue;
        addresses.emplace_back(p.at("network").at("ipAddresses").at(0).at("ip").as_string(),
                               static_cast<int>(p.at("port").as_int64()));
      }
    }
  }
  if (addresses.empty()) return;
  std::size_t up = 0;
  for (int i = 0; i < 200; ++i) {
    up = 0;
    for (const auto& [address, port] : addresses) up += net::Listening(address, port) ? 1 : 0;
    if (up == addresses.size()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  context.err << up << " of " << addresses.size() << " node(s) listen for SSH\n";
}

int RunUp(LocalCommandState& state, CliContext& context, const LoginFn& login) {
  const std::string data_dir = DataDir(state, context);
  if (const pid_t pid = RunningPid(data_dir); pid > 0) {
    context.err << "gangplankd already runs for " << data_dir << " (pid " << pid << ")\n";
    return login(data_dir);
  }
  if (Status made = EnsureDirectory(data_dir, 0700); !made.ok())
    return Fail(context, made.error().message);
  const std::string gangplankd = ExecutableSibling("gangplankd");
  if (::access(gangplankd.c_str(), X_OK) != 0)
    return Fail(context, gangplankd + " is missing: build it (./scripts/build)");
  // Its own session: the control plane outlives this command and its terminal.
  auto spawned = SpawnDetached({gangplankd, "--data-dir", data_dir, "--listen", state.listen},
                               data_dir + "/gangplankd.log");
  if (!spawned) return Fail(context, spawned.error().message);
  const pid_t pid = *spawned;
  if (Status written = WriteFileAtomically(data_dir + "/gangplankd.pid", std::to_string(pid), 0600,
                                           IfExists::kReplace);
      !written.ok())
    return Fail(context, written.error().message);
  for (int i = 0; i < 300; ++i) {
    if (::kill(pid, 0) != 0) break;
    if (Healthy(data_dir, "https://" + state.listen + "/")) {
      context.err << "gangplankd runs for " << data_dir << " (pid " << pid << ", log " << data_dir
                  << "/gangplankd.log)\n";
      const int logged_in = login(data_dir);
      if (logged_in == kExitOk) WaitForNodes(context, data_dir);
      return logged_in;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto log = ReadFile(data_dir + "/gangplankd.log", 1 << 20);
  std::string tail = log ? log->substr(log->size() > 600 ? log->size() - 600 : 0) : "";
  return Fail(context, "gangplankd did not become healthy; its log ends with:\n" + tail);
}

int RunDown(LocalCommandState& state, CliContext& context) {
  const std::string data_dir = DataDir(state, context);
  const pid_t pid = RunningPid(data_dir);
  if (pid > 0) {
    ::kill(pid, SIGTERM);
    // Not our child: poll by command line (an exited process waiting for init has none).
    for (int i = 0; i < 150 && RunningPid(data_dir) == pid; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (RunningPid(data_dir) == pid) ::kill(pid, SIGKILL);
    context.err << "stopped gangplankd (pid " << pid << ")\n";
  } else {
    context.err << "gangplankd does not run for " << data_dir << "\n";
  }
  std::error_code ignored;
  fs::remove(data_dir + "/gangplankd.pid", ignored);
  // Its nodes, by PID (gangplankd stop-nodes knows where they live).
  return RunToCompletion({ExecutableSibling("gangplankd"), "stop-nodes", "--data-dir", data_dir}) ==
                 0
             ? kExitOk
             : kExitFailure;
}

int RunStatus(LocalCommandState& state, CliContext& context) {
  const std::string data_dir = DataDir(state, context);
  const pid_t pid = RunningPid(data_dir);
  json::object status{{"dataDir", data_dir}, {"running", pid > 0 && Healthy(data_dir)}};
  if (pid > 0) status["pid"] = pid;
  if (auto config = ConfigFromDataDir(data_dir)) status["server"] = config->server;
  if (const int printed = PrintOutput(context, status, state.output); printed != kExitOk)
    return printed;
  return pid > 0 ? kExitOk : kExitNotRunning;
}

}  // namespace

std::shared_ptr<LocalCommandState> RegisterLocalCommands(CLI::App& app, CliContext& context,
                                                         int& exit_code, LoginFn login) {
  auto state = std::make_shared<LocalCommandState>();
  CLI::App* local =
      app.add_subcommand("local",
                         "A control plane on this machine.\n\nExamples:\n  gangplank local up\n"
                         "  gangplank local status -o table\n  gangplank local down");
  local->require_subcommand(1);
  const auto data_dir = [state](CLI::App* command) {
    command->add_option("--data-dir", state->data_dir,
                        "Data dir (default ${GANGPLANK_DATA_DIR:-~/.local/share/gangplank})");
  };
  AddCommand(local, "up",
             "Start gangplankd in the background (local nodes as root), wait for it, log in.\n\n"
             "Examples:\n  gangplank local up\n  gangplank local up --data-dir ~/gp --listen "
             "127.0.0.1:9443",
             [state, &context, &exit_code, login, data_dir](CLI::App* up) {
               data_dir(up);
               up->add_option("--listen", state->listen, "HOST:PORT (default 127.0.0.1:8443)");
               up->callback([state, &context, &exit_code, login] {
                 exit_code = RunUp(*state, context, login);
               });
             });
  AddCommand(
      local, "down",
      "Stop gangplankd and every node of its data dir.\n\nExample:\n  gangplank local down",
      [state, &context, &exit_code, data_dir](CLI::App* down) {
        data_dir(down);
        down->callback([state, &context, &exit_code] { exit_code = RunDown(*state, context); });
      });
  AddCommand(
      local, "status",
      "Whether gangplankd runs (exit 0) or not (exit 3), its pid and server.\n\nExample:\n"
      "  gangplank local status -o table",
      [state, &context, &exit_code, data_dir](CLI::App* status) {
        data_dir(status);
        AddOutputFlags(*status, state->output);
        status->callback([state, &context, &exit_code] { exit_code = RunStatus(*state, context); });
      });
  return state;
}

}  // namespace gangplank::cli
