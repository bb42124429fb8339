// The agent seam (node::Agent) faked: counts what the loop asks of it, reports a fixed health.
#pragma once

#include <atomic>

#include "node/node_agent.h"

namespace gangplank::testing {

class FakeAgent final : public node::Agent {
 public:
  node::NodeStatus Reconcile(const node::DesiredNodeState& desired) override {
    ++reconciles;
    node::NodeStatus status;
    status.reimage_generation = desired.reimage_generation;
    status.sshd_health = desired.SettledHealth();
    return status;
  }
  bool Supervise() override {
    ++supervises;
    return false;
  }
  std::vector<node::LoginEvent> TakeLoginEvents() override { return {}; }
  void StopSshd() override { ++stops; }
  std::vector<std::filesystem::path> LogsToWatch() const override { return {}; }

  std::atomic<int> reconciles{0}, supervises{0}, stops{0};
};

}  // namespace gangplank::testing
