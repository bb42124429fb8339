// gangplank-node: the node agent. Keeps one node's sshd in line with its desired state.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

#include "common/file_io.h"
#include "node/node_agent.h"

namespace {
std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }
}  // namespace

int main(int argc, char** argv) {
  using namespace gangplank;
  CLI::App app{
      "gangplank-node: runs a node's OpenSSH sshd from its desired state (admin user, public "
      "keys, SSH access mode, model version) and keeps it running."};
  std::string node_dir, desired_file, sshd_path;
  int interval_ms = 200;
  bool once = false, stop_sshd_on_exit = false;
  app.add_option("--node-dir", node_dir,
                 "the node's directory (sshd files, host keys, logs); it and its parents must "
                 "not be writable by group or others (sshd's StrictModes)")
      ->required();
  app.add_option("--desired-file", desired_file,
                 "read the desired state from this JSON file, re-read whenever it changes")
      ->required();
  app.add_option("--sshd", sshd_path, "the sshd to run (default: sshd from PATH or /usr/sbin)");
  app.add_option("--interval-ms", interval_ms, "how often to check the desired state and sshd")
      ->check(CLI::Range(10, 60000));
  app.add_flag("--once", once, "reconcile once, print the status and exit");
  app.add_flag("--stop-sshd-on-exit", stop_sshd_on_exit,
               "stop sshd when the agent stops (by default it keeps running, like a VM's sshd)");
  CLI11_PARSE(app, argc, argv);

  node::NodeAgent agent({node::NodeLayout{node_dir}, sshd_path, true});
  ::signal(SIGTERM, OnSignal);
  ::signal(SIGINT, OnSignal);
  std::string last_text;
  std::string last_status;
  while (!g_stop) {
    auto text = ReadFile(desired_file, 1 << 20);
    if (!text) {
      std::cerr << "gangplank-node: " << text.error().message << "\n";
      if (once) return 1;
    } else {
      auto desired = node::ParseDesiredNodeState(*text);
      if (!desired) {
        if (*text != last_text) std::cerr << "gangplank-node: " << desired.error().message << "\n";
        if (once) return 1;
      } else {
        agent.Supervise();
        const std::string status = node::NodeStatusJson(agent.Reconcile(*desired));
        if (status != last_status) {
          (void)WriteFileAtomically(node_dir + "/status.json", status, 0644, IfExists::kReplace);
          last_status = status;
        }
        if (once) {
          std::cout << status << "\n";
          return 0;
        }
      }
      last_text = *text;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
  }
  if (stop_sshd_on_exit) agent.StopSshd();
  return 0;
}
