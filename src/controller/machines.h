// The machines (nodes) of a pool and the level-based pool reconciler that provisions, scales and
// reimages them. A machine keeps the model and image it was provisioned from until a node image
// upgrade reimages it (DESIGN.md §1); its agent reports what it actually runs.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "controller/node_images.h"
#include "controller/operations.h"
#include "node/node_state.h"
#include "resources/machine.h"
#include "resources/pool_spec.h"
#include "resources/records.h"
#include "store/store.h"

namespace gangplank::controller {

// Machine and status rows: resources/machine.h.
// Removal rows (kNodeRemovalKind): nodes whose machine is gone and whose process and directory
// the node controller still has to remove; operations wait for them.
using resources::kMachineStatusKind;
using resources::Machine;
inline constexpr std::string_view kNodeRemovalKind = "nodeRemoval";
inline constexpr std::string_view kNodeRemovalRoot = "/gangplank/nodeRemovals";

// How much of a machine to read: its row only (an agent's poll), with its status (the
// reconciler, the machines API), or with its logs and login events too.
enum class MachineDetail { kDesired, kStatus, kLogs };

Result<std::vector<Machine>> MachinesOf(store::Store& store, const std::string& pool_id,
                                        MachineDetail detail = MachineDetail::kStatus);
Result<std::optional<Machine>> GetMachine(store::Store& store, const std::string& machine_id,
                                          MachineDetail detail);

// True when the node's agent reports exactly its desired state, with sshd answering (or stopped
// when SSH access is Disabled).
bool NodeReady(const Machine& machine);

// The desired state an agent is served: the machine's, with the keys of the model version it
// runs, from its pool's record (machine rows refer to the version and never copy the keys).
Result<node::DesiredNodeState> ServedDesiredState(store::Store& store, const Machine& machine);

// True when the node reports that its current desired state cannot be provisioned by waiting.
bool FailedForGood(const Machine& machine);

// A pool's powerState and its maxSurge, as resources/pool_spec.h reads them.
using resources::PoolRunning;
using resources::SurgeOf;

struct PoolTarget {
  std::int64_t model_version = 0;
  std::string image;
};
PoolTarget TargetOf(const resources::PoolRecord& pool, NodeImageCatalog& images);

// Where the pool's machines are and what remains to do; `changes` move them one step on.
struct PoolProgress {
  std::vector<store::Mutation> changes;
  bool done = false;
  int total = 0;        // machines the pool should have
  int current = 0;      // of those, ready on the pool's target
  std::string failure;  // a node that cannot come up: the operation fails with this
};

struct ReconcileOptions {
  bool reimage = false;  // upgradeNodeImageVersion: bring every machine to the latest model/image
  std::chrono::seconds node_timeout{120};  // a node not ready this long after a change fails
  // False after abortLatestOperation: nothing new is started (no reimage, no new or removed
  // machine); the pool is done once the nodes already told to change have settled.
  bool start_new_work = true;
};

// Node addresses for new machines, from PREFIX.0.0/16: each address in use has a lease row naming
// its machine, and a cursor row says where the last search ended. One allocator serves every
// pool reconciled in one step, so two pools never lease the same address; Commit writes the
// cursor with a precondition, so two steps that raced for addresses cannot both commit.
class NodeAddressAllocator {
 public:
  NodeAddressAllocator(store::Store& store, std::string prefix);

  // The next free address for `machine_id`; its lease joins `changes`.
  Result<std::string> Lease(const std::string& machine_id, std::vector<store::Mutation>& changes);
  // The cursor's new position, once every lease of the step is taken (nothing when none was).
  void Commit(std::vector<store::Mutation>& changes);

 private:
  store::Store& store_;
  std::string prefix_;
  std::optional<int> cursor_;
  std::int64_t cursor_version_ = 0;
  std::set<std::string> taken_;  // leased in this step, not yet in the store
};

// Level-based: new machines (on the latest model and image) until the pool has `count`, the
// highest-numbered removed first; with `reimage`, machines not on the target are reimaged in
// batches of upgradeSettings.maxSurge (count or percent, default 10%, at least 1).
Result<PoolProgress> ReconcilePool(store::Store& store, const store::Resource& pool_row,
                                   NodeImageCatalog& images, const Clock& clock,
                                   const ReconcileOptions& options,
                                   NodeAddressAllocator& addresses);

// The changes that remove every machine of `owner_id` (a pool or a cluster) and queue their nodes
// for removal; and whether nodes of `owner_id` are still waiting to be removed.
Result<std::vector<store::Mutation>> RemoveMachines(store::Store& store,
                                                    const std::string& owner_id);
Result<bool> NodesPendingRemoval(store::Store& store, const std::string& owner_id);
// The queued removals of nodes of `owner_id` (a pool, a cluster, or one machine).
Result<std::vector<store::Resource>> RemovalsOf(store::Store& store, const std::string& owner_id);
// The changes that delete one machine and queue its node (`uid`) for removal on behalf of
// `owner_id`, whose operation waits for it.
void RemoveMachine(const std::string& machine_id, const std::string& uid,
                   const std::string& owner_id, std::vector<store::Mutation>& changes);


// What an agent reported, stored as the machine's status (a report from an older provisioning of
// the machine is ignored). Log lines and login events are appended, keeping the newest.
Status RecordNodeReport(store::Store& store, const std::string& machine_id, const std::string& uid,
                        const node::NodeStatus& status, const std::vector<node::LoginEvent>& logins,
                        const std::string& new_log_lines, const Clock& clock);

// A node's renewed token, expiring at `expires_at`, replaces the ones before it: tokens of the
// machine (at `uid`) that expire earlier stop holding. Retried when the row changes meanwhile.
Status ReplaceNodeTokens(store::Store& store, const std::string& machine_id,
                         const std::string& uid, long long expires_at);

// The machine as the API shows it.
boost::json::object MachineView(const Machine& machine, const PoolTarget& target);

}  // namespace gangplank::controller
