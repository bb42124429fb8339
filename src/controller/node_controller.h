// The node controller: level-based, it makes the runtime's nodes match the machine records —
// every machine has a running node (on its reimage generation), every queued removal is carried
// out, and a node without a machine (left by a crash between the two) is removed. It follows the
// store's changes, so an idle control plane costs nothing per node but a slow sweep.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <vector>
#include <thread>

#include "auth/node_tokens.h"
#include "common/clock.h"
#include "controller/leader_lease.h"
#include "resources/machine.h"
#include "runtime/node_runtime.h"
#include "store/store.h"

namespace gangplank::controller {

struct NodeControllerOptions {
  // A full pass over every machine and node this often (nodes that died, nodes left over);
  // between sweeps only the machines that changed are looked at.
  std::chrono::milliseconds sweep{std::chrono::seconds(30)};
  // Nodes started, replaced or removed side by side: most of it is waiting on runc and the kernel.
  int parallel_starts = 8;
  // Called when this process starts or stops being the one that runs the nodes (replicas hold a
  // lease; a single gangplankd always leads): the node gateway follows it.
  std::function<void(bool leading)> on_leadership;
};

class NodeController {
 public:
  NodeController(store::Store& store, runtime::NodeRuntime& runtime,
                 const auth::NodeTokens& tokens, const Clock& clock,
                 NodeControllerOptions options = {});
  ~NodeController();

  // One pass over every machine and node (tests drive the controller with this).
  void SyncOnce();
  // Follows the store until Stop(). With `leader`, only while this process holds that lease
  // (replicas: one node controller acts at a time).
  void Start(LeaderLease* leader = nullptr);
  // The next look is a full sweep.
  void Wake();
  void Stop();

 private:
  // The fence before every act on the host: not stopping and, with a leader lease, still its
  // confirmed holder (a sweep that lost the lease midway stops there).
  bool MayAct() const;
  // The fence between the steps of one act (runtime::Fence): the lease, by the clock only.
  runtime::Fence StepFence() const;
  bool StillLeads() const;  // what StepFence asks
  // The fence of one look at a node (EnsureNode): MayAct before its first act, StepFence after.
  // A look at a node that runs acts on nothing, so it reads no lease from the store.
  runtime::Fence LookFence() const;
  // Renews the lease every kKeeperPeriod until Stop(), so a pass that takes long (twenty nodes
  // started after a takeover) never lets it lapse under a live holder.
  void KeepLease(LeaderLease& leader);
  // The disk a node of the pool gets: its osDiskSizeGB in bytes (0: the runtime's largest).
  long long DiskBytesOf(const std::string& pool_id);
  // What the runtime is asked to run for `machine` (its token issued only if the runtime asks).
  runtime::NodeLaunch LaunchOf(const resources::Machine& machine, long long disk_bytes) const;
  void EnsureNode(const runtime::NodeLaunch& node);
  // The machines of `rows` (an unreadable row left out: never start a node for it). A row decoded
  // before, unchanged, is not parsed again: the sweep reads every machine every 30 s. With
  // `every_row`, the rows are all the machines there are, and the others are forgotten.
  std::vector<resources::Machine> Decoded(const std::vector<store::Resource>& rows, bool every_row);
  // EnsureNode for every machine whose node is not settled, options_.parallel_starts at a time.
  void EnsureNodes(const std::vector<resources::Machine>& machines);
  void CarryOutRemovals();
  // A node stopped by itself (the runtime saw its first process exit): shown as not ready at
  // once, with a line in its log, and started again by the loop without waiting for a sweep.
  void OnNodeExit(const std::string& uid);
  // Starts again the nodes OnNodeExit saw die.
  void RestartDeadNodes();
  // What is kept about a node, once it is removed.
  void Forget(const std::string& uid);
  // The machines changed after `seen` (ids); false when the store no longer has that history.
  bool ChangedMachines(std::uint64_t seen, std::set<std::string>& ids);
  void Run(LeaderLease* leader);

  store::Store& store_;
  runtime::NodeRuntime& runtime_;
  const auth::NodeTokens& tokens_;
  const Clock& clock_;
  NodeControllerOptions options_;
  std::mutex errors_mutex_;
  std::map<std::string, std::string> start_errors_;  // uid → last error reported for it
  std::map<std::string, std::string> machine_of_;    // uid → machine id, of nodes ensured
  std::mutex decoded_mutex_;
  std::map<std::string, resources::Machine> decoded_;  // machine id → as last decoded
  std::set<std::string> dead_;                        // uids whose node stopped by itself
  // When each node stopped by itself lately; from kRestartsPerMinute on, only the sweep restarts.
  std::map<std::string, std::vector<std::chrono::steady_clock::time_point>> exits_;
  static constexpr std::size_t kRestartsPerMinute = 3;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> sweep_now_{false};
  LeaderLease* leader_ = nullptr;  // set by Start; nullptr: this process always leads
  static constexpr std::chrono::seconds kKeeperPeriod{1};
  std::mutex keeper_mutex_;
  std::condition_variable keeper_wake_;
  std::thread keeper_;
  std::thread worker_;
};

}  // namespace gangplank::controller
