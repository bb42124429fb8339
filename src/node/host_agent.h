// The agent on a real host: the system's own sshd gets a drop-in (sshd_config.d) and the admin
// user's ~/.ssh/authorized_keys; the host keeps its host keys across "reimages"; sshd is reloaded,
// stopped and started with the host's commands (systemctl by default).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "node/log_tail.h"
#include "node/node_agent.h"

namespace gangplank::node {

struct HostAgentOptions {
  std::filesystem::path state_dir;   // the agent's own files (applied state, log)
  std::filesystem::path root = "/";  // prefix of every host path; tests point it elsewhere
  std::string sshd_path;             // for `sshd -t`; empty: FindSshd()
  std::string reload_command = "systemctl reload ssh";
  std::string stop_command = "systemctl stop ssh";
  std::string start_command = "systemctl start ssh";
  std::string sshd_log;  // a file sshd's messages reach (auth.log); empty: no login events
  bool create_users = true;
};

class HostAgent final : public Agent {
 public:
  explicit HostAgent(HostAgentOptions options);

  protocol::NodeStatus Reconcile(const protocol::DesiredNodeState& desired) override;
  bool Supervise() override { return false; }  // systemd supervises the host's sshd
  std::vector<protocol::LoginEvent> TakeLoginEvents() override;
  void StopSshd() override;
  std::vector<std::filesystem::path> LogsToWatch() const override {
    if (options_.sshd_log.empty()) return {};
    return {options_.sshd_log};
  }

  std::filesystem::path DropIn() const;
  // ~USER/.ssh/authorized_keys (under the root prefix: ROOT/home/USER when root is not "/").
  std::filesystem::path AuthorizedKeys(const std::string& user) const;

 private:
  LoginEventReader login_reader_;  // sshd's log, read in order
  Status Run(const std::string& command, const std::string& what);
  void Log(const std::string& line);

  HostAgentOptions options_;
  std::optional<protocol::DesiredNodeState> applied_;
  std::optional<LogTail> sshd_log_;
};

}  // namespace gangplank::node
