// Durable long-running operations: a record in the store per operation, a work queue that merges
// duplicates, level-based runners, and resumption of unfinished work after a restart.
#pragma once

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
  std::optional<Error> error;
};

// The ARM operation-status document: {name, status, startTime, endTime?, error?}.
std::string OperationStatusJson(const Operation& operation);

// Does an operation's work from the state in the store (level-based: running it twice is
// harmless) and returns the changes that finish it; they commit together with the operation's
// new status. An error with a retryable code (Unavailable, Aborted) is retried with backoff; any
// other error fails the operation and the runner's `on_failure` changes are applied.
struct OperationRunner {
  std::function<Result<std::vector<store::Mutation>>(const Operation&, store::Store&)> run;
  std::function<std::vector<store::Mutation>(const Operation&, store::Store&, const Error&)>
      on_failure;
};

class OperationsEngine {
 public:
  OperationsEngine(store::Store& store, const Clock& clock);
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

  void Enqueue(const std::string& operation_id);
  // Enqueues every InProgress operation in the store (on start, after a crash).
  Status ResumeUnfinished();
  // Runs queued operations until the queue is empty (tests drive the engine with this).
  void RunPending();
  // Runs queued operations on a background thread until Stop().
  void Start();
  void Stop();

  Result<std::optional<Operation>> Get(std::string_view id);
  // True while an unfinished operation targets `resource_id` (409 OperationNotAllowed).
  bool HasUnfinished(std::string_view resource_id);

 private:
  // Runs one operation; returns false if it must be retried later.
  bool RunOne(const std::string& id);
  Status Finish(Operation operation, std::vector<store::Mutation> changes);

  store::Store& store_;
  const Clock& clock_;
  std::map<std::string, OperationRunner> runners_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::string> queue_;
  std::set<std::string> queued_;  // merges duplicate keys, as controller work queues do
  std::map<std::string, int> attempts_;
  bool stopping_ = false;
  std::thread worker_;
};

// RFC 3339 UTC with fractional seconds, as ARM writes timestamps.
std::string Rfc3339(std::chrono::system_clock::time_point time);

}  // namespace gangplank::controller
