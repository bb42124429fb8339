// The agent seam (node::Agent) faked: counts what the loop asks of it, reports a fixed health.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <string>

#include "node/node_agent.h"

namespace gangplank::testing {

class FakeAgent final : public node::Agent {
 public:
  protocol::NodeStatus Reconcile(const protocol::DesiredNodeState& desired) override {
    ++reconciles;
    protocol::NodeStatus status;
    status.reimage_generation = desired.reimage_generation;
    status.sshd_health = desired.SettledHealth();
    return status;
  }
  bool Supervise() override {
    ++supervises;
    return false;
  }
  // Like the real agent's log pipe: readable while sshd's lines are unread; reading them (as
  // TakeLoginEvents does) empties it.
  std::vector<protocol::LoginEvent> TakeLoginEvents() override {
    char buffer[256];
    while (log_pipe[0] >= 0 && ::read(log_pipe[0], buffer, sizeof buffer) > 0) {
    }
    return {};
  }
  int LogEventFd() const override { return log_pipe[0]; }
  pid_t SupervisedPid() override {
    ++loop_passes;  // the loop asks once per pass
    return -1;
  }
  void SshdLogs(const std::string& line) { (void)!::write(log_pipe[1], line.data(), line.size()); }
  void StopSshd() override { ++stops; }
  std::vector<std::filesystem::path> LogsToWatch() const override { return {}; }

  FakeAgent() { (void)::pipe2(log_pipe, O_CLOEXEC | O_NONBLOCK); }
  ~FakeAgent() override {
    for (const int fd : log_pipe) ::close(fd);
  }

  int log_pipe[2] = {-1, -1};
  std::atomic<int> reconciles{0}, supervises{0}, stops{0}, loop_passes{0};
};

}  // namespace gangplank::testing
