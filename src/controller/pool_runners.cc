// Operation runners for clusters and pools, level-based over the pool reconciler.
#include "controller/pool_runners.h"

#include <boost/json.hpp>
#include <type_traits>

#include "resources/cluster_docs.h"
#include "controller/machines.h"
#include "resources/records.h"

namespace gangplank::controller {
namespace json = boost::json;

using resources::ClusterIdOf;
using resources::PoolView;
using resources::PoolsOf;
using resources::kAbortType;
using resources::kClusterKind;
using resources::kDeleteCluster;
using resources::kDeleteGroup;
using resources::kDeletePool;
using resources::kGroupKind;
using resources::kPoolKind;
using resources::kPutCluster;
using resources::kPutPool;
using resources::kUpgradeImage;

namespace {

// The store change that sets a cluster's or pool's provisioningState (and whatever `also` does).
template <typename Record>
Result<std::vector<store::Mutation>> SetState(store::Store& store, const std::string& id,
                                              const char* state,
                                              const std::function<void(Record&)>& also = {}) {
  constexpr std::string_view kind =
      std::is_same_v<Record, resources::ClusterRecord> ? kClusterKind : kPoolKind;
  auto row = store.Get(kind, id);
  if (!row) return row.error();
  std::vector<store::Mutation> changes;
  if (!row->has_value()) return changes;  // deleted meanwhile: nothing to finish
  auto record = Record::Decode(**row);
  if (!record) return record.error();
  record->set_provisioning_state(state);
  if (also) also(*record);
  changes.push_back(resources::WriteBack(*record));
  return changes;
}

// SetState on a cluster or a pool, by kind.
Result<std::vector<store::Mutation>> SetStateOf(store::Store& store, std::string_view kind,
                                                const std::string& id, const char* state) {
  auto row = store.Get(kind, id);
  if (!row) return row.error();
  std::vector<store::Mutation> changes;
  if (!row->has_value()) return changes;  // deleted meanwhile: nothing to finish
  auto write = resources::WithProvisioningState(**row, state);
  if (!write) return write.error();
  changes.push_back(std::move(write.value()));
  return changes;
}

void Append(std::vector<store::Mutation>& to, std::vector<store::Mutation> more) {
  for (auto& change : more) to.push_back(std::move(change));
}

class ClusterRunners {
 public:
  ClusterRunners(NodeImageCatalog& images, const Clock& clock, ClusterRunnerOptions options)
      : images_(images), clock_(clock), options_(options) {}

  // Creating, updating, stopping or starting a cluster: every pool reconciled (no reimage), then
  // all Succeeded, the cluster's powerState Stopped when every pool is.
  Result<Step> PutCluster(const Operation& op, store::Store& store) {
    auto pools = PoolsOf(store, op.target);
    if (!pools) return pools.error();
    bool all_stopped = !pools->empty();
    for (const auto& pool : *pools)
      all_stopped = all_stopped && !PoolRunning(PoolView(pool).at("properties").as_object());
    const char* state = op.cancel_requested ? "Canceled" : "Succeeded";
    return Pools(store, *pools, false, op.cancel_requested,
                 [&](std::vector<store::Mutation>& done) -> Status {
                   auto cluster = SetState<resources::ClusterRecord>(
                       store, op.target, state,
                       [&](resources::ClusterRecord& record) { record.set_power(!all_stopped); });
                   if (!cluster) return cluster.error();
                   Append(done, std::move(cluster.value()));
                   return OkStatus();
                 });
  }

  Result<Step> PutPool(const Operation& op, store::Store& store, bool reimage) {
    auto pool = store.Get(kPoolKind, op.target);
    if (!pool) return pool.error();
    if (!pool->has_value()) return Step::Done({});
    return Pools(store, {**pool}, reimage, op.cancel_requested,
                 [](std::vector<store::Mutation>&) { return OkStatus(); });
  }

  // abortLatestOperation: done when the operation it canceled (the holder of the cluster's lock,
  // acting on the target or below it) has ended.
  Result<Step> Abort(const Operation& op, store::Store& store, OperationsEngine& engine) {
    const std::string key = store::IdKey(op.target);
    auto holder = engine.LockHolder(OperationLockId(ClusterIdOf(op.target)));
    if (!holder) return holder.error();
    if (holder->has_value() && (*holder)->status == "InProgress") {
      const std::string target = store::IdKey((*holder)->target);
      if (target == key || target.starts_with(key + "/"))
        return Step::Waiting({}, options_.poll, 50, "waiting for the running operation to stop");
    }
    // The canceled operation ended its own resource Canceled; a cluster whose pool operation was
    // canceled is still Canceling until here.
    const bool pool = key.find("/agentpools/") != std::string::npos;
    auto row = store.Get(pool ? kPoolKind : kClusterKind, op.target);
    if (!row) return row.error();
    if (!row->has_value()) return Step::Done({});
    auto record = resources::ClusterRecord::Decode(**row);  // the shared part is all it reads
    if (!record) return record.error();
    if (record->provisioning_state() != "Canceling") return Step::Done({});
    auto state = SetStateOf(store, pool ? kPoolKind : kClusterKind, op.target, "Canceled");
    if (!state) return state.error();
    return Step::Done(std::move(state.value()));
  }

  // Deleting: machines go first (their nodes queued for removal), the resource when no node of
  // it is left.
  Result<Step> Delete(const Operation& op, store::Store& store, std::string_view kind) {
    auto removing = RemoveNodes(store, op.target);
    if (!removing) return removing.error();
    if (*removing) return std::move(**removing);
    return Step::Done({store::Mutation::Delete(std::string(kind), op.target)});
  }

  // Deleting a resource group: its lock keeps new operations out; those accepted before it are
  // waited for; then every node of every cluster in it is removed, and the group with the rest.
  Result<Step> DeleteGroup(const Operation& op, store::Store& store, OperationsEngine& engine) {
    auto clusters = store.List(kClusterKind, op.target);
    if (!clusters) return clusters.error();
    for (const auto& cluster : *clusters) {
      auto holder = engine.LockHolder(OperationLockId(cluster.id));
      if (!holder) return holder.error();
      if (holder->has_value() && (*holder)->status == "InProgress") {
        return Step::Waiting({}, options_.poll, 5,
                             "waiting for the running operation on " + cluster.id);
      }
    }
    auto removing = RemoveNodes(store, op.target);
    if (!removing) return removing.error();
    if (*removing) return std::move(**removing);
    return Step::Done({store::Mutation::Delete(std::string(kGroupKind), op.target)});
  }

  // The machines under `owner_id` (a group, cluster or pool) queued for removal: a step that
  // waits while any node is left, or nullopt when none is.
  Result<std::optional<Step>> RemoveNodes(store::Store& store, const std::string& owner_id) {
    auto removals = RemoveMachines(store, owner_id);
    if (!removals) return removals.error();
    if (!removals->empty()) {
      return std::optional<Step>(
          Step::Waiting(std::move(removals.value()), options_.poll, 10, "removing nodes"));
    }
    auto pending = NodesPendingRemoval(store, owner_id);
    if (!pending) return pending.error();
    if (*pending)
      return std::optional<Step>(Step::Waiting({}, options_.poll, 50, "removing nodes"));
    return std::optional<Step>();
  }

  // After a failure: the resource is Failed, and machines whose node never came up are removed
  // so that no broken node lingers (a later PUT or upgrade provisions them again).
  std::vector<store::Mutation> Failed(const Operation& op, store::Store& store,
                                      std::string_view kind) {
    std::vector<store::Mutation> changes;
    auto state = SetStateOf(store, kind, op.target, "Failed");
    if (state) Append(changes, std::move(state.value()));
    std::vector<store::Resource> pools;
    if (kind == kPoolKind) {
      if (auto pool = store.Get(kPoolKind, op.target); pool && pool->has_value())
        pools.push_back(**pool);
    } else if (auto all = PoolsOf(store, op.target)) {
      pools = std::move(all.value());
      for (const auto& pool : pools) {
        if (auto pool_state = SetState<resources::PoolRecord>(store, pool.id, "Failed"))
          Append(changes, std::move(pool_state.value()));
      }
    }
    for (const auto& pool : pools) {
      auto machines = MachinesOf(store, pool.id);
      if (!machines) continue;
      for (const Machine& machine : *machines) {
        if (NodeReady(machine)) continue;
        RemoveMachine(machine.row.id, machine.uid, pool.id, changes);
      }
    }
    return changes;
  }

 private:
  // Reconciles `pools`; when every one is done, marks them Succeeded (with the target image after
  // a reimage) and lets `finish` add the rest.
  Result<Step> Pools(store::Store& store, const std::vector<store::Resource>& pools, bool reimage,
                     bool cancel,
                     const std::function<Status(std::vector<store::Mutation>&)>& finish) {
    std::vector<store::Mutation> changes;
    bool done = true;
    int total = 0, current = 0;
    NodeAddressAllocator addresses(store, options_.address_prefix, &address_cursor_);
    for (const auto& pool : pools) {
      auto progress =
          ReconcilePool(store, pool, images_, clock_,
                        ReconcileOptions{reimage, options_.node_timeout, !cancel}, addresses);
      if (!progress) return progress.error();
      if (!progress->failure.empty()) {
        return MakeError(StatusCode::kFailedPrecondition, "NodeProvisioningFailed",
                         progress->failure);
      }
      Append(changes, std::move(progress->changes));
      done = done && progress->done;
      total += progress->total;
      current += progress->current;
    }
    addresses.Commit(changes);
    if (!done) {
      const int percent = total == 0 ? 0 : current * 100 / total;
      return Step::Waiting(std::move(changes), options_.poll, percent,
                           std::to_string(current) + " of " + std::to_string(total) +
                               (reimage ? " nodes on the latest model and image"
                                        : " nodes provisioned and answering SSH"));
    }
    for (const auto& pool : pools) {
      auto record = resources::PoolRecord::Decode(pool);
      if (!record) return record.error();
      auto target = TargetOf(store, *record, images_);
      if (!target) return target.error();
      auto state = SetState<resources::PoolRecord>(
          store, pool.id, cancel ? "Canceled" : "Succeeded", [&](resources::PoolRecord& finished) {
            if (reimage && !cancel) finished.properties()["nodeImageVersion"] = target->image;
            // The keys of versions no machine runs any more go (after a reimage: all of them).
            if (auto machines = MachinesOf(store, pool.id)) {
              std::set<std::int64_t> in_use;
              for (const Machine& machine : *machines) in_use.insert(machine.desired.model_version);
              finished.model.KeepKeysOf(in_use);
            }
          });
      if (!state) return state.error();
      Append(changes, std::move(state.value()));
    }
    if (Status finished = finish(changes); !finished.ok()) return finished.error();
    Step step = Step::Done(std::move(changes));
    step.canceled = cancel;
    return step;
  }

  NodeImageCatalog& images_;
  const Clock& clock_;
  ClusterRunnerOptions options_;
  AddressCursor address_cursor_;  // shared by the steps the engine's workers run side by side
};

}  // namespace

void RegisterClusterRunners(OperationsEngine& operations, NodeImageCatalog& images,
                            const Clock& clock, ClusterRunnerOptions options) {
  OperationsEngine* engine = &operations;
  auto runners = std::make_shared<ClusterRunners>(images, clock, options);
  const auto failed = [runners](std::string_view kind) {
    return [runners, kind](const Operation& op, store::Store& store, const Error&) {
      return runners->Failed(op, store, kind);
    };
  };
  operations.Register(kPutCluster, {[runners](const Operation& op, store::Store& store) {
                                      return runners->PutCluster(op, store);
                                    },
                                    failed(kClusterKind)});
  operations.Register(kPutPool, {[runners](const Operation& op, store::Store& store) {
                                   return runners->PutPool(op, store, false);
                                 },
                                 failed(kPoolKind)});
  operations.Register(kUpgradeImage, {[runners](const Operation& op, store::Store& store) {
                                        return runners->PutPool(op, store, true);
                                      },
                                      failed(kPoolKind)});
  operations.Register(kAbortType, {[runners, engine](const Operation& op, store::Store& store) {
                                 return runners->Abort(op, store, *engine);
                               },
                               nullptr});
  operations.Register(kDeleteGroup, {[runners, engine](const Operation& op, store::Store& store) {
                                       return runners->DeleteGroup(op, store, *engine);
                                     },
                                     nullptr});
  operations.Register(kDeleteCluster, {[runners](const Operation& op, store::Store& store) {
                                         return runners->Delete(op, store, kClusterKind);
                                       },
                                       nullptr});
  operations.Register(kDeletePool, {[runners](const Operation& op, store::Store& store) {
                                      return runners->Delete(op, store, kPoolKind);
                                    },
                                    nullptr});
}

}  // namespace gangplank::controller
