// The machines (nodes) of a pool and the level-based pool reconciler that provisions, scales and
// reimages them. A machine keeps the model and image it was provisioned from until a node image
// upgrade reimages it (DESIGN.md §1); its agent reports what it actually runs.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "controller/operations.h"
#include "protocol/node_protocol.h"
#include "resources/machine.h"
#include "resources/machine_store.h"
#include "resources/node_images.h"
#include "resources/pool_spec.h"
#include "resources/records.h"
#include "store/store.h"

namespace gangplank::controller {

// Machine rows, their reads, the node protocol's writes and the ARM view:
// resources/machine_store.h.
using resources::FailedForGood;
using resources::GetMachine;
using resources::kMachineStatusKind;
using resources::kNodeRemovalKind;
using resources::kNodeRemovalRoot;
using resources::Machine;
using resources::MachineDetail;
using resources::MachineRow;
using resources::MachinesOf;
using resources::MachineView;
using resources::NodeImageCatalog;
using resources::NodeReady;
using resources::OnTarget;
using resources::PoolTarget;
using resources::RecordNodeReport;
using resources::RemoveMachine;
using resources::ReplaceNodeTokens;
using resources::ServedDesiredState;
using resources::TargetOf;
using resources::UnreadySince;

// A pool's powerState and its maxSurge, as resources/pool_spec.h reads them.
using resources::PoolRunning;
using resources::SurgeOf;

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

// Where the next search for a free node address starts. One per process, shared by the
// allocators of every step running side by side, so that each step probes addresses no other step
// of this process probes; the lease rows' preconditions settle races with other replicas.
class AddressCursor {
 public:
  // The next index to probe (loaded once from the store's cursor row, then kept here).
  Result<int> Claim(store::Store& store);
  // Where a search would start now: what Commit writes to the store for the next start.
  int Peek();

 private:
  std::mutex mutex_;
  std::optional<int> next_;
};

// Node addresses for new machines, from PREFIX.0.0/16: each address in use has a lease row naming
// its machine, written with a precondition (absent, or at the version of a lease whose machine is
// gone), so two steps that picked one address cannot both commit. A cursor row says where the
// last search ended, so a search costs a few lookups however many machines exist. One allocator
// serves every pool reconciled in one step, so two pools never lease the same address.
class NodeAddressAllocator {
 public:
  // `cursor`: the process's shared cursor (nullptr: this allocator's own, from the store's row).
  NodeAddressAllocator(store::Store& store, std::string prefix, AddressCursor* cursor = nullptr);

  // The next free address for `machine_id`; its lease joins `changes`.
  Result<std::string> Lease(const std::string& machine_id, std::vector<store::Mutation>& changes);
  // The cursor's new position, once every lease of the step is taken (nothing when none was).
  void Commit(std::vector<store::Mutation>& changes);

 private:
  store::Store& store_;
  std::string prefix_;
  AddressCursor own_cursor_;
  AddressCursor& cursor_;
  std::set<int> taken_;  // leased in this step, not yet in the store: a full round comes back here
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

}  // namespace gangplank::controller
