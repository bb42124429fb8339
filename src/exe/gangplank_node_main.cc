// gangplank-node: the node agent. Keeps one node's sshd in line with its desired state.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <iostream>

#include "common/file_io.h"
#include "net/unix_http_client.h"
#include "node/agent_loop.h"
#include "node/host_agent.h"

namespace {
std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }
}  // namespace

int main(int argc, char** argv) {
  using namespace gangplank;
  CLI::App app{
      "gangplank-node: runs a node's OpenSSH sshd from its desired state (admin user, public "
      "keys, SSH access mode, model version), keeps it running, and reports what it runs, who "
      "logged in with which key, and its logs.",
      "gangplank-node"};
  std::string node_dir, desired_file, server, ca_file, token_file, sshd_path;
  int interval_ms = 200;
  bool once = false, stop_sshd_on_exit = false, no_create_users = false;
  app.add_option("--node-dir", node_dir,
                 "the node's directory (sshd files, host keys, logs); it and its parents must "
                 "not be writable by group or others (sshd's StrictModes)")
      ->required();
  auto* server_option = app.add_option(
      "--server", server,
      "the control plane: unix:/PATH (the node gateway's socket, where a request for the desired "
      "state waits for a change) or https://HOST:PORT/ (polled every --interval-ms)");
  app.add_option("--ca-file", ca_file,
                 "with https://: the CA the control plane's certificate chains to");
  app.add_option("--token-file", token_file, "the file holding this node's token (0600)");
  auto* file_option = app.add_option(
      "--desired-file", desired_file,
      "no control plane: read the desired state from this JSON file (re-read on every pass) "
      "and write reports to NODE_DIR/status.json");
  server_option->excludes(file_option);
  app.add_option("--sshd", sshd_path,
                 "the sshd to run (default: the first of /usr/sbin/sshd, /usr/local/sbin/sshd and "
                 "/sbin/sshd that root owns and only root may write; never one from PATH)");
  app.add_option("--interval-ms", interval_ms,
                 "how often to ask for the desired state when the source cannot wait for a change "
                 "(https://, --desired-file)")
      ->check(CLI::Range(10, 60000));
  int wait_seconds = 110;
  app.add_option("--wait-seconds", wait_seconds,
                 "how long one request to the node gateway waits for a change")
      ->check(CLI::Range(1, 120));
  app.add_flag("--once", once, "reconcile once, report, and exit (0 when sshd is as desired)");
  app.add_flag("--stop-sshd-on-exit", stop_sshd_on_exit,
               "stop sshd when the agent stops (by default it keeps running, like a VM's sshd)");
  app.add_flag("--no-create-users", no_create_users,
               "do not create a missing admin user (report it instead)");
  bool whole_machine = false;
  app.add_flag("--machine", whole_machine,
               "the agent is the first process of a node that is its own machine (a container "
               "from a node image): it creates the admin user and refuses a name the image "
               "already has");
  std::int64_t machine_generation = -1;
  app.add_option("--generation", machine_generation,
                 "with --machine: the reimage generation this machine was made for; a desired "
                 "state of another generation is left to the runtime, which replaces the machine")
      ->check(CLI::NonNegativeNumber);
  bool host = false;
  node::HostAgentOptions host_options;
  std::string host_root = "/";
  app.add_flag("--host", host,
               "manage this host's own sshd instead of running one: a drop-in in "
               "/etc/ssh/sshd_config.d, the admin user's ~/.ssh/authorized_keys, and the reload, "
               "stop and start commands below; the host keeps its host keys");
  app.add_option("--host-root", host_root, "with --host: prefix of every host path (tests)");
  app.add_option("--reload-command", host_options.reload_command,
                 "with --host: reloads sshd after a change (default: systemctl reload ssh)");
  app.add_option("--stop-command", host_options.stop_command,
                 "with --host: stops sshd for sshAccess Disabled (default: systemctl stop ssh)");
  app.add_option("--start-command", host_options.start_command,
                 "with --host: starts sshd again (default: systemctl start ssh)");
  app.add_option("--sshd-log", host_options.sshd_log,
                 "with --host: a file sshd logs to (e.g. /var/log/auth.log), for login events");
  CLI11_PARSE(app, argc, argv);

  std::unique_ptr<node::DesiredStateSource> source;
  if (!desired_file.empty()) {
    source = std::make_unique<node::FileSource>(desired_file, node_dir + "/status.json");
  } else {
    const bool unix_socket = server.starts_with("unix:");
    if (server.empty() || token_file.empty() || (!unix_socket && ca_file.empty())) {
      std::cerr << "gangplank-node: give --server unix:/PATH or --server https://… with "
                   "--ca-file, and --token-file (a node of a control plane), or --desired-file "
                   "(a standalone node)\n";
      return 2;
    }
    auto token = ReadSecretFile(token_file, 4096);
    if (!token) {
      std::cerr << "gangplank-node: " << token.error().message << "\n";
      return 1;
    }
    std::string token_text(token->data(), token->size());
    while (!token_text.empty() && (token_text.back() == '\n' || token_text.back() == '\r'))
      token_text.pop_back();
    // The watch connection waits up to --wait-seconds for an answer; reports answer at once.
    auto watch = net::ConnectToServer(server, ca_file, std::chrono::seconds(wait_seconds + 15));
    auto report = net::ConnectToServer(server, ca_file, std::chrono::seconds(10));
    if (!watch || !report) {
      std::cerr << "gangplank-node: " << (watch ? report : watch).error().message << "\n";
      return 1;
    }
    source = std::make_unique<node::ControlPlaneSource>(std::move(watch.value()),
                                                        std::move(report.value()), token_text,
                                                        token_file);
  }

  if (whole_machine) {  // a fresh node's disk has no agent directory yet
    // 0755: sshd reads authorized_keys (below it) as the admin user.
    if (Status made = EnsureDirectory(node_dir, 0755); !made.ok()) {
      std::cerr << "gangplank-node: " << made.error().message << "\n";
      return 1;
    }
  }
  const node::NodeLayout layout{node_dir};
  std::unique_ptr<node::Agent> agent;
  if (host) {
    host_options.state_dir = node_dir;
    host_options.root = host_root;
    host_options.sshd_path = sshd_path;
    host_options.create_users = !no_create_users;
    agent = std::make_unique<node::HostAgent>(host_options);
  } else {
    agent = std::make_unique<node::NodeAgent>(node::NodeAgentOptions{
        layout, sshd_path, !no_create_users, whole_machine, machine_generation});
  }
  ::signal(SIGTERM, OnSignal);
  ::signal(SIGINT, OnSignal);
  ::signal(SIGPIPE, SIG_IGN);
  const int code =
      node::RunAgentLoop(*agent, layout, *source,
                         {std::chrono::seconds(wait_seconds),
                          std::chrono::milliseconds(interval_ms), std::chrono::seconds(240), once},
                         g_stop, std::cerr);
  if (once && !desired_file.empty()) {
    if (auto status = ReadFile(node_dir + "/status.json", 1 << 20)) std::cout << *status;
  }
  if (stop_sshd_on_exit) agent->StopSshd();
  return code;
}
