// gangplank-node's main loop: wait for the desired state (a long poll to the control plane, or a
// file), reconcile, keep sshd alive, and report status, login events and new log lines.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "net/https_client.h"
#include "node/node_agent.h"

namespace gangplank::node {

struct DesiredReply {
  std::optional<protocol::DesiredNodeState> state;  // empty: unchanged since the state the caller knows
  std::string etag;                       // names `state` for the next call
};

// Where the desired state comes from and where reports go.
class DesiredStateSource {
 public:
  virtual ~DesiredStateSource() = default;
  // The desired state when it is not the one `known` names (an ETag; empty: nothing yet). A
  // source that can wait holds the call up to `wait` for a change; one that cannot answers at
  // once. NotFound with reason "MachineGone" when the node's machine was deleted.
  virtual Result<DesiredReply> Fetch(const std::string& known, std::chrono::seconds wait) = 0;
  virtual Status Report(const protocol::NodeStatus& status, const std::vector<protocol::LoginEvent>& logins,
                        const std::string& new_log_lines) = 0;
  // Ends a Fetch that is waiting (the agent is stopping).
  virtual void Interrupt() {}
};

// The control plane's node protocol (GET /gangplank/node/v1/desired?wait=S with If-None-Match,
// POST …/status, POST …/token). Fetch and Report run on different threads, each with its own
// connection. The node token expires: Fetch renews it halfway through its life, and after a 401
// the token file is read again (gangplankd keeps it fresh for a node that was cut off too long).
class ControlPlaneSource final : public DesiredStateSource {
 public:
  ControlPlaneSource(std::unique_ptr<net::HttpClient> watch_client,
                     std::unique_ptr<net::HttpClient> report_client, std::string token,
                     std::string token_file = "", const Clock& clock = kSystemClock);
  Result<DesiredReply> Fetch(const std::string& known, std::chrono::seconds wait) override;
  Status Report(const protocol::NodeStatus& status, const std::vector<protocol::LoginEvent>& logins,
                const std::string& new_log_lines) override;
  void Interrupt() override { watch_client_->Interrupt(); }

 private:
  std::string Token();
  // On the watcher thread, before a Fetch: a new token once half of this one's life is over.
  void RenewIfDue();
  // After a 401: the token file's token, if it is another one.
  bool ReloadTokenFile();

  inline static const SystemClock kSystemClock{};

  std::unique_ptr<net::HttpClient> watch_client_;
  std::unique_ptr<net::HttpClient> report_client_;
  const Clock& clock_;
  std::mutex token_mutex_;
  std::string token_;
  const std::string token_file_;
  std::chrono::steady_clock::time_point renew_at_{};  // the watcher thread's
};

// A JSON file holding the desired state (a host managed without a control plane); reports go to
// status.json beside the node's other files.
class FileSource final : public DesiredStateSource {
 public:
  FileSource(std::string desired_file, std::string status_file);
  Result<DesiredReply> Fetch(const std::string& known, std::chrono::seconds wait) override;
  Status Report(const protocol::NodeStatus& status, const std::vector<protocol::LoginEvent>& logins,
                const std::string& new_log_lines) override;

 private:
  std::string desired_file_;
  std::string status_file_;
};

struct AgentLoopOptions {
  // How long a Fetch may wait for a change (the gateway holds it); a source that answers at once
  // is asked again after `interval`.
  std::chrono::seconds wait{110};
  std::chrono::milliseconds interval{200};
  std::chrono::seconds heartbeat{240};  // report at least this often, changed or not
  bool once = false;                    // one reconcile and report, then return
};

// Runs until `stop` is set (then call Interrupt on the source, or wait up to interval);
// returns the process exit code. Between changes the loop sleeps on events: a new desired state,
// a write to a log it reads (login events), sshd's exit, or the heartbeat.
int RunAgentLoop(Agent& agent, const NodeLayout& layout, DesiredStateSource& source,
                 const AgentLoopOptions& options, const std::atomic<bool>& stop, std::ostream& err);

}  // namespace gangplank::node
