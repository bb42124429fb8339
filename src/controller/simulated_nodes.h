// The node runtime of `gangplankd --nodes simulated`: records only, no process and no sshd.
#pragma once

#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "runtime/node_runtime.h"
#include "store/store.h"

namespace gangplank::controller {

// A node "runs" from Ensure to Remove. Ensuring it stands in for its agent: the node reports, at
// once, exactly the state its machine asks for (the model, image and reimage generation it was
// given, sshd Healthy, Disabled or Stopped as the machine says). The node controller drives it
// as it drives real nodes, so the pool runners never know which runtime they wait on.
class SimulatedNodeRuntime final : public runtime::NodeRuntime {
 public:
  SimulatedNodeRuntime(store::Store& store, const Clock& clock);

  Status Ensure(const runtime::NodeLaunch& node, const runtime::Fence& fence = {}) override;
  // It runs, and its machine's last report is the state the machine asks for.
  bool Settled(const runtime::NodeLaunch& node) override;
  Status Remove(const std::string& uid, const runtime::Fence& fence = {}) override;
  std::vector<std::string> List() override;
  // A simulated node never stops by itself.
  void WatchExits(std::function<void(const std::string& uid)>) override {}

 private:
  bool Holds(const std::string& uid);

  store::Store& store_;
  const Clock& clock_;
  std::mutex mutex_;
  std::set<std::string> nodes_;  // uids
};

}  // namespace gangplank::controller
