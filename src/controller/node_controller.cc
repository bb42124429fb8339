// Machines ↔ runtime nodes, reconciled level-based.
#include "controller/node_controller.h"

#include "resources/machine.h"

#include <boost/json.hpp>
#include <set>

#include "controller/cluster_docs.h"
#include "controller/machines.h"

namespace gangplank::controller {
namespace json = boost::json;

NodeController::NodeController(store::Store& store, runtime::NodeRuntime& runtime,
                               const auth::NodeTokens& tokens, const Clock& clock)
    : store_(store), runtime_(runtime), tokens_(tokens), clock_(clock) {}

NodeController::~NodeController() { Stop(); }

void NodeController::SyncOnce() {
  auto machines = store_.ListKind(kMachineKind);
  auto removals = store_.ListKind(kNodeRemovalKind);
  if (!machines || !removals) return;  // the store is unreadable now; the next pass retries
  std::set<std::string> wanted;
  for (const auto& row : *machines) {
    auto machine = resources::DecodeMachine(row);
    if (!machine) continue;  // unreadable: never start a node for it
    const std::string& uid = machine->uid;
    wanted.insert(uid);
    const Status started = runtime_.Ensure({uid, row.id, tokens_.Issue({row.id, uid})});
    if (started.ok()) {
      start_errors_.erase(uid);
      continue;
    }
    // Tell the operation waiting on this node why it cannot come up (once per distinct error).
    if (start_errors_[uid] == started.error().message) continue;
    start_errors_[uid] = started.error().message;
    node::NodeStatus status;
    status.message = "the node could not be started: " + started.error().message;
    if (WaitingMayHelp(started.error().code)) {
      status.sshd_health = "Unhealthy";
    } else {
      status.sshd_health = "Failed";
      status.failed_generation = machine->desired.reimage_generation;
    }
    (void)RecordNodeReport(store_, row.id, uid, status, {}, "", clock_);
  }
  for (const auto& row : *removals) {
    const std::string uid = row.id.substr(row.id.rfind('/') + 1);
    if (runtime_.Remove(uid).ok()) {
      (void)store_.Delete(kNodeRemovalKind, row.id, store::Precondition::AtVersion(row.version));
    }
  }
  // Nodes no machine owns: a crash came between deleting a machine and queueing its removal.
  for (const std::string& uid : runtime_.List()) {
    if (!wanted.contains(uid)) (void)runtime_.Remove(uid);
  }
}

void NodeController::Start(std::chrono::milliseconds period, LeaderLease* leader) {
  worker_ = std::thread([this, period, leader] {
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        wake_.wait_for(lock, period, [this] { return stopping_ || woken_; });
        if (stopping_) return;
        woken_ = false;
      }
      if (leader == nullptr || leader->Hold()) SyncOnce();
    }
  });
}

void NodeController::Wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_one();
}

void NodeController::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

}  // namespace gangplank::controller
