// gangplank-node's main loop: fetch the desired state (from the control plane or a file),
// reconcile, keep sshd alive, and report status, login events and new log lines.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "net/https_client.h"
#include "node/node_agent.h"

namespace gangplank::node {

// Where the desired state comes from and where reports go.
class DesiredStateSource {
 public:
  virtual ~DesiredStateSource() = default;
  // NotFound with reason "MachineGone" when the node's machine was deleted.
  virtual Result<DesiredNodeState> Fetch() = 0;
  virtual Status Report(const NodeStatus& status, const std::vector<LoginEvent>& logins,
                        const std::string& new_log_lines) = 0;
};

// The control plane's node protocol (GET /gangplank/node/v1/desired, POST …/status).
class ControlPlaneSource final : public DesiredStateSource {
 public:
  ControlPlaneSource(std::unique_ptr<net::HttpClient> client, std::string token);
  Result<DesiredNodeState> Fetch() override;
  Status Report(const NodeStatus& status, const std::vector<LoginEvent>& logins,
                const std::string& new_log_lines) override;

 private:
  std::unique_ptr<net::HttpClient> client_;
  std::string token_;
};

// A JSON file holding the desired state (a host managed without a control plane); reports go to
// status.json beside the node's other files.
class FileSource final : public DesiredStateSource {
 public:
  FileSource(std::string desired_file, std::string status_file);
  Result<DesiredNodeState> Fetch() override;
  Status Report(const NodeStatus& status, const std::vector<LoginEvent>& logins,
                const std::string& new_log_lines) override;

 private:
  std::string desired_file_;
  std::string status_file_;
};

struct AgentLoopOptions {
  std::chrono::milliseconds interval{200};
  std::chrono::seconds heartbeat{10};  // report at least this often, changed or not
  bool once = false;                   // one reconcile and report, then return
};

// Runs until `stop` is set; returns the process exit code.
int RunAgentLoop(Agent& agent, const NodeLayout& layout, DesiredStateSource& source,
                 const AgentLoopOptions& options, const std::atomic<bool>& stop, std::ostream& err);

}  // namespace gangplank::node
