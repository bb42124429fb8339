// The agent loop and its two sources of desired state.
#include "node/agent_loop.h"

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <thread>

#include "common/file_io.h"
#include "node/log_tail.h"

namespace gangplank::node {
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxLogPerReport = 32 * 1024;

// The new lines of a log, each marked with where it came from.
std::string Prefixed(LogTail& tail, const std::string& prefix, std::size_t limit) {
  std::string text;
  for (const auto& line : tail.Take(limit)) text += prefix + line + "\n";
  return text;
}

}  // namespace

ControlPlaneSource::ControlPlaneSource(std::unique_ptr<net::HttpClient> client, std::string token)
    : client_(std::move(client)), token_(std::move(token)) {}

Result<DesiredNodeState> ControlPlaneSource::Fetch() {
  auto reply = client_->Send("GET", "/gangplank/node/v1/desired", "",
                             {{"Authorization", "Bearer " + token_}});
  if (!reply) return reply.error();
  if (reply->status == 410) {
    return MakeError(StatusCode::kNotFound, "MachineGone", "this node's machine was deleted");
  }
  if (reply->status != 200) {
    return MakeError(reply->status == 401 ? StatusCode::kUnauthenticated : StatusCode::kUnavailable,
                     "DesiredStateUnavailable",
                     "the control plane answered " + std::to_string(reply->status) + ": " +
                         reply->body.substr(0, 300));
  }
  return ParseDesiredNodeState(reply->body);
}

Status ControlPlaneSource::Report(const NodeStatus& status, const std::vector<LoginEvent>& logins,
                                  const std::string& new_log_lines) {
  const std::string body =
      json::serialize(json::object{{"status", json::parse(NodeStatusJson(status))},
                                   {"loginEvents", json::parse(LoginEventsJson(logins))},
                                   {"log", new_log_lines}});
  auto reply =
      client_->Send("POST", "/gangplank/node/v1/status", body,
                    {{"Authorization", "Bearer " + token_}, {"Content-Type", "application/json"}});
  if (!reply) return reply.error();
  if (reply->status / 100 != 2) {
    return MakeError(StatusCode::kUnavailable, "ReportRefused",
                     "the control plane answered " + std::to_string(reply->status) + ": " +
                         reply->body.substr(0, 300));
  }
  return OkStatus();
}

FileSource::FileSource(std::string desired_file, std::string status_file)
    : desired_file_(std::move(desired_file)), status_file_(std::move(status_file)) {}

Result<DesiredNodeState> FileSource::Fetch() {
  auto text = ReadFile(desired_file_, 1 << 20);
  if (!text) return text.error();
  return ParseDesiredNodeState(*text);
}

Status FileSource::Report(const NodeStatus& status, const std::vector<LoginEvent>& logins,
                          const std::string&) {
  const std::string doc =
      json::serialize(json::object{{"status", json::parse(NodeStatusJson(status))},
                                   {"loginEvents", json::parse(LoginEventsJson(logins))}});
  return WriteFileAtomically(status_file_, doc + "\n", 0644, IfExists::kReplace);
}

int RunAgentLoop(Agent& agent, const NodeLayout& layout, DesiredStateSource& source,
                 const AgentLoopOptions& options, const std::atomic<bool>& stop,
                 std::ostream& err) {
  LogTail agent_log(layout.agent_log());
  LogTail sshd_log(layout.sshd_log());
  std::string last_status, last_error;
  std::vector<LoginEvent> unsent_logins;
  std::string unsent_log;
  auto last_report = std::chrono::steady_clock::time_point{};
  bool gone = false;
  while (!stop) {
    agent.Supervise();
    auto desired = source.Fetch();
    if (!desired) {
      if (desired.error().message != last_error) {
        err << "gangplank-node: " << desired.error().message << std::endl;
        last_error = desired.error().message;
      }
      if (desired.error().reason == "MachineGone" && !gone) {
        agent.StopSshd();  // a deleted machine must not keep letting people in
        gone = true;
      }
      if (options.once) return 1;
    } else {
      gone = false;
      last_error.clear();
      const NodeStatus status = agent.Reconcile(*desired);
      for (auto& event : agent.TakeLoginEvents()) unsent_logins.push_back(std::move(event));
      unsent_log += Prefixed(agent_log, "agent: ", kMaxLogPerReport);
      unsent_log += Prefixed(sshd_log, "sshd: ", kMaxLogPerReport);
      const std::string status_json = NodeStatusJson(status);
      const auto now = std::chrono::steady_clock::now();
      if (status_json != last_status || !unsent_logins.empty() || !unsent_log.empty() ||
          now - last_report > options.heartbeat) {
        if (source.Report(status, unsent_logins, unsent_log).ok()) {
          last_status = status_json;
          unsent_logins.clear();
          unsent_log.clear();
          last_report = now;
        } else if (unsent_log.size() > 4 * kMaxLogPerReport) {
          unsent_log.erase(0, unsent_log.size() - 4 * kMaxLogPerReport);  // bounded while offline
        }
      }
      if (options.once) return status.sshd_health == "Unhealthy" ? 1 : 0;
    }
    std::this_thread::sleep_for(options.interval);
  }
  return 0;
}

}  // namespace gangplank::node
