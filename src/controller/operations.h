// Durable long-running operations: a record in the store per operation, a work queue that merges
// duplicates, level-based runners, and resumption of unfinished work after a restart.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "resources/operation.h"
#include "store/store.h"

namespace gangplank::controller {

using resources::kOperationKind;
using resources::Operation;
using resources::OperationStatusJson;
using resources::Rfc3339;

// A lock row: held by one operation from the Apply that accepts it to the Apply that ends it.
inline constexpr std::string_view kOperationLockKind = "operationLock";

// The id of the lock that guards `scope` (a cluster, a resource group). It sits under the scope,
// so deleting the scope deletes its lock.
std::string OperationLockId(std::string_view scope_id);

// Which locks an operation takes and which must be free when it is accepted.
struct Locking {
  std::string take;               // a lock id this operation holds until it ends ("": none)
  std::vector<std::string> free;  // lock ids that must not be held (a group being deleted)
};

// What one run of a runner achieved. Level-based work that waits on the outside world (nodes
// coming up) returns `done = false` with the progress made so far and runs again later; the
// engine's workers never block on it.
struct Step {
  std::vector<store::Mutation> changes;  // committed with the operation record
  bool done = true;
  bool canceled = false;  // done because a cancel was asked for: the operation ends Canceled
  std::chrono::milliseconds requeue_after{0};
  std::optional<int> percent_complete;
  std::string progress;

  static Step Done(std::vector<store::Mutation> changes) {
    Step step;
    step.changes = std::move(changes);
    return step;
  }
  static Step Waiting(std::vector<store::Mutation> changes, std::chrono::milliseconds after,
                      int percent, std::string progress) {
    return Step{std::move(changes), false, false, after, percent, std::move(progress)};
  }
};

// Does an operation's work from the state in the store (level-based: running it twice is
// harmless). An error with a retryable code (Unavailable, Aborted) is retried with backoff; any
// other error fails the operation and the runner's `on_failure` changes are applied.
struct OperationRunner {
  std::function<Result<Step>(const Operation&, store::Store&)> run;
  std::function<std::vector<store::Mutation>(const Operation&, store::Store&, const Error&)>
      on_failure;
};

struct EngineOptions {
  // Names this engine in the leases it holds: one per gangplankd process.
  std::string owner;
  // How long a lease lasts without renewal: after a replica dies, another takes its operations
  // over this long after its last renewal.
  std::chrono::milliseconds lease{6000};
  // Finished operation records are kept this long for clients that poll late, then deleted.
  std::chrono::seconds retention{std::chrono::hours(24)};
  // Activity log events older than this are deleted (Azure keeps 90 days).
  std::chrono::seconds activity_retention{std::chrono::hours(24 * 90)};
  // How many operations run side by side once Start()ed. Steps mostly wait on the store's commit,
  // so running several lets their commits share one fsync; one operation never runs on two.
  int workers = 8;
};

// Runs the operations recorded in the store. It learns its work only from the store: a watch
// from a revision (or a fresh list) finds InProgress operations; each runs under a lease written
// with a precondition, and every write of a step carries the operation record's version, so an
// engine that lost its lease stops before its next write. Its work queue is a controller's: a key
// is queued once however often it changes, and a key that changes while it runs runs again after.
class OperationsEngine {
 public:
  OperationsEngine(store::Store& store, const Clock& clock, EngineOptions options = {});
  ~OperationsEngine();

  void Register(const std::string& type, OperationRunner runner);

  // A new InProgress operation with its id under `id_prefix`, and the writes that record it and
  // take its locks; put them in the same Apply as the change it finishes. A lock that is held, or
  // one in `locking.free` that is, makes that Apply fail (Aborted): the request is refused.
  struct Started {
    Operation operation;
    std::vector<store::Mutation> records;
  };
  // `origin` (who asked, with which request) goes into the activity log with the operation's end.
  Started Begin(const std::string& id_prefix, const std::string& type, const std::string& target,
                const Locking& locking, resources::ActivityOrigin origin = {});

  // Finds work in the store and runs it until none is ready (tests drive the engine with this);
  // operations that wait on the outside world run once per call.
  void RunPending();
  // Watches the store on one thread and runs operations on `workers` threads until Stop().
  void Start();
  void Stop();

  Result<std::optional<Operation>> Get(std::string_view id);
  // The operation that holds lock `lock_id`, if any.
  Result<std::optional<Operation>> LockHolder(std::string_view lock_id);
  // The writes that ask the operation holding `lock_id` to cancel, if it acts on `resource_id`
  // or below it (at the version read, so one that finishes meanwhile makes the batch fail);
  // empty when none runs.
  Result<std::vector<store::Mutation>> CancelRequests(std::string_view lock_id,
                                                      std::string_view resource_id);
  // Deletes finished operation records whose end lies more than the retention in the past, and
  // activity events older than theirs.
  Status PruneFinished();

  const std::string& owner() const { return options_.owner; }

 private:
  using SteadyTime = std::chrono::steady_clock::time_point;
  // Reads what changed in the store since the last look and queues the operations to run.
  void Discover();
  void Track(const store::Resource& row);
  // Runs one operation; returns when to run it again (nullopt: finished, gone or not ours).
  std::optional<std::chrono::milliseconds> RunOne(const std::string& id);
  Status Commit(Operation& operation, std::vector<store::Mutation> changes, bool finished);
  long long NowMs() const;
  // Failed attempts: the backoff before the next one, counted per operation.
  std::chrono::milliseconds Retry(const std::string& id);
  void ForgetAttempts(const std::string& id);
  int Attempts(const std::string& id);
  // A worker's loop, and the watcher's: discovery, and pruning now and then.
  void Work();
  void Watch();

  // The work queue (every *Locked function runs under mutex_).
  void Queue(const std::string& id, std::chrono::milliseconds after);
  void QueueLocked(const std::string& id, std::chrono::milliseconds after);
  // Ready now, or once its running ends (a queued key that is running).
  void MakeReadyLocked(const std::string& id);
  // Moves delayed operations whose time has come to the ready queue.
  void PromoteDueLocked(SteadyTime now);
  // The next ready operation, now marked running.
  std::optional<std::string> PopReadyLocked();
  // `id` stopped running: queued again at once if it changed meanwhile, else after `again`.
  void ReleaseLocked(const std::string& id, std::optional<std::chrono::milliseconds> again);

  store::Store& store_;
  const Clock& clock_;
  const EngineOptions options_;
  std::map<std::string, OperationRunner> runners_;
  std::mutex mutex_;
  std::condition_variable wake_;  // ready or delayed work was queued, or Stop()
  std::deque<std::string> ready_;
  std::set<std::string> queued_;  // merges duplicate keys, as controller work queues do
  std::multimap<SteadyTime, std::string> delayed_;
  std::set<std::string> running_;
  std::set<std::string> deferred_;  // queued while running: ready again once it stops
  std::map<std::string, int> attempts_;
  std::uint64_t seen_revision_ = 0;  // 0: list everything on the next look (the watcher's)
  std::atomic<bool> stopping_{false};
  std::thread watcher_;
  std::vector<std::thread> workers_;
};

}  // namespace gangplank::controller
