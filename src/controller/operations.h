// Durable long-running operations: a record in the store per operation, a work queue that merges
// duplicates, level-based runners, and resumption of unfinished work after a restart.
#pragma once

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
#include "store/store.h"

namespace gangplank::controller {

inline constexpr std::string_view kOperationKind = "operation";

struct Operation {
  std::string id;      // ARM id of the operation status resource
  std::string name;    // the operation's own id (last path segment)
  std::string type;    // which runner does the work, e.g. "PutManagedCluster"
  std::string target;  // the ARM id of the resource it acts on
  std::string status;  // InProgress | Succeeded | Failed | Canceled
  std::string start_time;
  std::string end_time;
  long long ended_at = 0;  // Unix seconds, for pruning finished records
  std::optional<int> percent_complete;
  std::string progress;  // plain words, e.g. "3 of 10 nodes reimaged"
  std::optional<Error> error;
  bool cancel_requested = false;  // abortLatestOperation: stop between batches, end Canceled
};

// The ARM operation-status document: {name, status, startTime, endTime?, percentComplete?,
// properties.progress?, error?}.
std::string OperationStatusJson(const Operation& operation);

// What one run of a runner achieved. Level-based work that waits on the outside world (nodes
// coming up) returns `done = false` with the progress made so far and runs again later; the
// engine's one worker never blocks on it.
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

class OperationsEngine {
 public:
  // Finished operation records are kept this long for clients that poll late, then deleted.
  static constexpr std::chrono::hours kDefaultRetention{24};

  OperationsEngine(store::Store& store, const Clock& clock,
                   std::chrono::seconds retention = kDefaultRetention);
  ~OperationsEngine();

  void Register(const std::string& type, OperationRunner runner);

  // A new InProgress operation; write `record` in the same Apply as the change it finishes, then
  // call Enqueue(operation.id).
  struct Started {
    Operation operation;
    store::Mutation record;
  };
  Started Begin(const std::string& subscription, const std::string& location,
                const std::string& type, const std::string& target);

  // Queues a committed operation and marks its target busy (HasUnfinished) until it finishes.
  void Enqueue(const std::string& operation_id);
  // Enqueues every InProgress operation in the store (on start, after a crash) and prunes
  // finished records past their retention.
  Status ResumeUnfinished();
  // Runs queued operations until none is ready (tests drive the engine with this); operations
  // that wait on the outside world stay queued for the next call.
  void RunPending();
  // Runs queued operations on a background thread until Stop().
  void Start();
  void Stop();

  Result<std::optional<Operation>> Get(std::string_view id);
  // True while an unfinished operation targets `resource_id` (409 OperationNotAllowed). Answered
  // from memory: it runs on every mutating request.
  bool HasUnfinished(std::string_view resource_id);
  // The writes that ask every unfinished operation on `resource_id` or below it to cancel (each
  // at the version read, so one that finishes meanwhile makes the batch fail); empty when none
  // runs. Operations of `except_type` (an abort itself) are left alone.
  Result<std::vector<store::Mutation>> CancelRequests(std::string_view resource_id,
                                                      std::string_view except_type);
  // Deletes finished operation records whose end lies more than the retention in the past.
  Status PruneFinished();

 private:
  using SteadyTime = std::chrono::steady_clock::time_point;
  // Runs one operation; returns when to run it again (nullopt: finished or gone).
  std::optional<std::chrono::milliseconds> RunOne(const std::string& id);
  Status Finish(Operation operation, std::vector<store::Mutation> changes);
  void MarkFinished(const Operation& operation);
  // Moves delayed operations whose time has come to the ready queue (under mutex_).
  void PromoteDueLocked(SteadyTime now);
  std::optional<std::string> PopReadyLocked();

  store::Store& store_;
  const Clock& clock_;
  const std::chrono::seconds retention_;
  std::map<std::string, OperationRunner> runners_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::string> ready_;
  std::set<std::string> queued_;  // merges duplicate keys, as controller work queues do
  std::multimap<SteadyTime, std::string> delayed_;
  std::map<std::string, int> attempts_;
  std::map<std::string, std::set<std::string>> unfinished_;  // target key → operation ids
  bool stopping_ = false;
  std::thread worker_;
};

// RFC 3339 UTC with fractional seconds, as ARM writes timestamps.
std::string Rfc3339(std::chrono::system_clock::time_point time);

}  // namespace gangplank::controller
