// The node agent's reconciler: makes one node's sshd match its desired state (level-based, so
// applying the same state twice changes nothing) and keeps sshd alive between changes.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "node/log_tail.h"
#include "protocol/node_protocol.h"
#include "node/login_events.h"
#include "node/sshd_files.h"
#include "node/sshd_process.h"

namespace gangplank::node {

struct NodeAgentOptions {
  NodeLayout layout;
  std::string sshd_path;     // empty: FindSshd()
  bool create_users = true;  // create the admin user when it is missing (needs root)
  // The agent runs inside a node that is its own machine (a container from a node image): the
  // admin user is created here, and a name the image already has (a system account) is refused.
  bool whole_machine = false;
  // With whole_machine: the reimage generation this machine was made for. A desired state of
  // another generation is not applied here: the runtime replaces the whole machine for it, and
  // until then the agent reports what it runs (so the old machine never passes for the new one).
  std::int64_t machine_generation = -1;
};

// What gangplank-node's loop drives: a local node with its own sshd (NodeAgent) or a real host's
// system sshd (HostAgent, host_agent.h).
class Agent {
 public:
  virtual ~Agent() = default;
  // Applies `desired` level-based and says what now runs.
  virtual protocol::NodeStatus Reconcile(const protocol::DesiredNodeState& desired) = 0;
  // Restarts sshd if it died (call often); returns true when it had to.
  virtual bool Supervise() = 0;
  // Login events sshd logged since the last call.
  virtual std::vector<protocol::LoginEvent> TakeLoginEvents() = 0;
  // Stops sshd (the node is being removed).
  virtual void StopSshd() = 0;
  // The sshd process the agent keeps alive (its exit wakes the loop); -1 when none.
  virtual pid_t SupervisedPid() { return -1; }
  // The logs TakeLoginEvents reads (a write to one wakes the loop, through inotify).
  virtual std::vector<std::filesystem::path> LogsToWatch() const = 0;
  // A descriptor that turns readable when sshd logs something (-1: watch LogsToWatch instead).
  virtual int LogEventFd() const { return -1; }
};

class NodeAgent final : public Agent {
 public:
  explicit NodeAgent(NodeAgentOptions options);

  // Applies `desired`: a new reimage generation wipes the node's SSH state (new host keys) first;
  // then the admin user, host keys, sshd_config and authorized_keys, and sshd running or stopped.
  protocol::NodeStatus Reconcile(const protocol::DesiredNodeState& desired) override;
  bool Supervise() override;
  std::vector<protocol::LoginEvent> TakeLoginEvents() override;
  void StopSshd() override { sshd_.Stop(); }
  pid_t SupervisedPid() override { return sshd_.Running() ? sshd_.pid() : -1; }
  std::vector<std::filesystem::path> LogsToWatch() const override {
    if (log_pipe_[0] >= 0) return {};
    return {options_.layout.sshd_log()};
  }
  int LogEventFd() const override { return log_pipe_[0]; }
  ~NodeAgent() override;

  const std::optional<protocol::DesiredNodeState>& applied() const { return applied_; }

 private:
  LoginEventReader login_reader_;  // sshd's log, read in order
  // EntraId: the accounts, principals files and sudo of the identities that may log in now;
  // otherwise none of them.
  Status ReconcileIdentityLogins(const protocol::DesiredNodeState& desired);
  // The status to report; `problem` (when set) says why the node is not healthy.
  protocol::NodeStatus Report(const protocol::DesiredNodeState& desired, const Error* problem = nullptr);
  void Log(const std::string& line);

  NodeAgentOptions options_;
  SshdProcess sshd_;
  std::optional<protocol::DesiredNodeState> applied_;
  HostKeys host_keys_;
  // Moves what sshd wrote into the log pipe to its log file (where LogTail reads it).
  void DrainLogPipe();

  LogTail sshd_log_;  // sshd's log, read for login events
  int log_pipe_[2] = {-1, -1};  // whole_machine: sshd's standard error, read as it comes
  static constexpr std::chrono::seconds kFullPassInterval{300};
  std::optional<protocol::NodeStatus> last_good_;  // the last full pass's status, while it holds
  std::chrono::steady_clock::time_point last_full_pass_{};
  // While sshd is starting: the status to repeat until the next full pass looks at it again.
  // Every event (a log line, a heartbeat) would otherwise be a full pass; the pause doubles from
  // 200 ms to 3.2 s. (When each look read sshd's banner, a loaded host without this pause got
  // more connections the slower sshd answered: 80 nodes starting at once took 330 s, not 20.)
  std::optional<protocol::NodeStatus> starting_;
  std::chrono::milliseconds starting_pause_{0};
  std::chrono::steady_clock::time_point next_starting_look_{};
};

// Creates a local user for sshd to let in: a home directory, /bin/bash, and no usable password
// ('*', which sshd does not treat as a locked account). Nothing happens when the user exists.
Status EnsureLocalUser(const std::string& name);

// On a node that is its own machine: its own name resolves (sudo and many tools look it up), as
// on any VM: `hosts` gets a 127.0.1.1 line for the hostname unless it names it already.
Status EnsureHostsEntry(const std::filesystem::path& hosts);

// On a node that is its own machine: creates the admin user and records that it did (in
// `record`); an existing account it did not create (one of the node image's, such as "daemon")
// is refused, never reused. The admin user gets passwordless sudo (a file in `sudoers_dir`).
Status EnsureMachineAdminUser(const std::string& name, const std::filesystem::path& record,
                              const std::filesystem::path& sudoers_dir);

}  // namespace gangplank::node
