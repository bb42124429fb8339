// The operations engine: store-backed records found by watching the store, leases with fencing,
// a merging work queue, retries with backoff.
#include "controller/operations.h"

#include <boost/json.hpp>
#include <ctime>

#include "audit/activity_log.h"
#include "audit/certificate_log.h"
#include "common/random.h"
#include "metrics/metrics.h"
#include "resources/operation.h"

namespace gangplank::controller {
namespace json = boost::json;

namespace {

constexpr int kMaxAttempts = 8;

bool Retryable(const Error& error) {
  return error.code == StatusCode::kUnavailable || error.code == StatusCode::kAborted;
}

using resources::OperationRow;

Operation FromJson(const store::Resource& row) { return resources::DecodeOperation(row); }

store::Mutation WriteFenced(const Operation& operation) {
  return store::Mutation::Put(OperationRow(operation),
                              store::Precondition::AtVersion(operation.version));
}

std::chrono::milliseconds Backoff(int attempt) {
  return std::chrono::milliseconds(std::min(5000, 50 << std::min(attempt, 7)));
}

}  // namespace

std::string OperationLockId(std::string_view scope_id) {
  return std::string(scope_id) + "/operationLock";
}

OperationsEngine::OperationsEngine(store::Store& store, const Clock& clock, EngineOptions options)
    : store_(store), clock_(clock), options_([&] {
        if (options.owner.empty()) options.owner = "engine-" + NewUuid().substr(0, 8);
        return options;
      }()) {}

OperationsEngine::~OperationsEngine() { Stop(); }

void OperationsEngine::Register(const std::string& type, OperationRunner runner) {
  runners_[type] = std::move(runner);
}

long long OperationsEngine::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now().time_since_epoch())
      .count();
}

OperationsEngine::Started OperationsEngine::Begin(const std::string& id_prefix,
                                                  const std::string& type,
                                                  const std::string& target, const Locking& locking,
                                                  resources::ActivityOrigin origin) {
  Operation operation;
  operation.origin = std::move(origin);
  operation.name = NewUuid();
  operation.id = id_prefix + operation.name;
  operation.type = type;
  operation.target = target;
  operation.status = "InProgress";
  operation.start_time = Rfc3339(clock_.Now());
  operation.lock = locking.take;
  Started started{operation,
                  {store::Mutation::Put(OperationRow(operation), store::Precondition::Absent())}};
  for (const std::string& lock : locking.free) {
    started.records.push_back(store::Mutation::Check(std::string(kOperationLockKind), lock,
                                                     store::Precondition::Absent()));
  }
  if (!locking.take.empty()) {
    const json::object holder{{"operation", operation.id}, {"type", type}, {"target", target}};
    const std::string scope = locking.take.substr(0, locking.take.rfind('/'));
    started.records.push_back(store::Mutation::Put(
        {std::string(kOperationLockKind), locking.take, scope, json::serialize(holder), 0},
        store::Precondition::Absent()));
  }
  return started;
}

Status OperationsEngine::PruneFinished() {
  auto rows = store_.ListKind(kOperationKind);
  if (!rows) return rows.error();
  const long long cutoff = UnixSeconds(clock_.Now()) - options_.retention.count();
  std::vector<store::Mutation> expired;
  for (const auto& row : *rows) {
    const Operation operation = FromJson(row);
    // Records written before endedAt existed have none; they expire from now on.
    if (operation.status != "InProgress" && operation.ended_at != 0 &&
        operation.ended_at < cutoff) {
      expired.push_back(store::Mutation::Delete(std::string(kOperationKind), row.id,
                                                store::Precondition::AtVersion(row.version)));
    }
  }
  auto events = store_.ListKind(audit::kActivityEventKind);
  if (!events) return events.error();
  const long long event_cutoff_ms =
      (UnixSeconds(clock_.Now()) - options_.activity_retention.count()) * 1000;
  for (const auto& row : *events) {
    auto event = audit::DecodeEvent(row);
    if (event && event->timestamp_ms < event_cutoff_ms)
      expired.push_back(store::Mutation::Delete(std::string(audit::kActivityEventKind), row.id));
  }
  // SSH certificate records go as long after their certificate's end as events after theirs.
  auto certificates = store_.ListKind(audit::kSshCertificateKind);
  if (!certificates) return certificates.error();
  for (const auto& row : *certificates) {
    auto record = audit::DecodeCertificateRecord(row);
    if (record && record->valid_before * 1000 < event_cutoff_ms)
      expired.push_back(store::Mutation::Delete(std::string(audit::kSshCertificateKind), row.id));
  }
  if (expired.empty()) return OkStatus();
  auto applied = store_.Apply(expired);
  if (!applied) return applied.error();
  return OkStatus();
}

Result<std::optional<Operation>> OperationsEngine::Get(std::string_view id) {
  auto row = store_.Get(kOperationKind, id);
  if (!row) return row.error();
  if (!row->has_value()) return std::optional<Operation>();
  return std::optional<Operation>(FromJson(**row));
}

Result<std::optional<Operation>> OperationsEngine::LockHolder(std::string_view lock_id) {
  auto lock = store_.Get(kOperationLockKind, lock_id);
  if (!lock) return lock.error();
  if (!lock->has_value()) return std::optional<Operation>();
  boost::system::error_code ec;
  const json::value holder = json::parse((*lock)->body, ec);
  if (ec || !holder.is_object() || !holder.as_object().contains("operation"))
    return std::optional<Operation>();
  return Get(std::string(holder.at("operation").as_string()));
}

Result<std::vector<store::Mutation>> OperationsEngine::CancelRequests(
    std::string_view lock_id, std::string_view resource_id) {
  std::vector<store::Mutation> changes;
  auto holder = LockHolder(lock_id);
  if (!holder) return holder.error();
  if (!holder->has_value()) return changes;
  Operation operation = **holder;
  const std::string key = store::IdKey(resource_id);
  const std::string target = store::IdKey(operation.target);
  if (operation.status != "InProgress" || (target != key && !target.starts_with(key + "/")))
    return changes;
  operation.cancel_requested = true;
  changes.push_back(WriteFenced(operation));
  return changes;
}

void OperationsEngine::Queue(const std::string& id, std::chrono::milliseconds after) {
  {
    std::lock_guard lock(mutex_);
    QueueLocked(id, after);
  }
  wake_.notify_one();
}

void OperationsEngine::QueueLocked(const std::string& id, std::chrono::milliseconds after) {
  // Once per key, whenever it is due: a change seen while it waits does not run it twice.
  if (!queued_.insert(id).second) return;
  if (after.count() > 0) {
    delayed_.emplace(clock_.Monotonic() + after, id);
  } else {
    MakeReadyLocked(id);
  }
}

void OperationsEngine::MakeReadyLocked(const std::string& id) {
  if (running_.contains(id)) {
    deferred_.insert(id);  // never on two workers: it runs again once this run ends
  } else {
    ready_.push_back(id);
  }
}

std::chrono::milliseconds OperationsEngine::Retry(const std::string& id) {
  std::lock_guard lock(mutex_);
  return Backoff(attempts_[id]++);
}

void OperationsEngine::ForgetAttempts(const std::string& id) {
  std::lock_guard lock(mutex_);
  attempts_.erase(id);
}

int OperationsEngine::Attempts(const std::string& id) {
  std::lock_guard lock(mutex_);
  const auto found = attempts_.find(id);
  return found == attempts_.end() ? 0 : found->second;
}

void OperationsEngine::Track(const store::Resource& row) {
  const Operation operation = FromJson(row);
  if (operation.status != "InProgress") return;
  // Someone else's live lease: look again when it runs out (its holder renews it well before).
  const long long left = operation.owner == options_.owner ? 0 : operation.lease_until_ms - NowMs();
  Queue(row.id, std::chrono::milliseconds(std::max(0LL, left)));
}

void OperationsEngine::Discover() {
  const std::uint64_t revision = store_.Revision();
  if (revision == seen_revision_) return;
  auto changes = seen_revision_ == 0
                     ? Result<std::vector<store::Change>>(
                           MakeError(StatusCode::kFailedPrecondition, "Compacted", "first look"))
                     : store_.ChangesSince(seen_revision_, kOperationKind);
  if (!changes) {
    // A first look, or too far behind the kept changes: everything unfinished is work.
    auto rows = store_.ListKind(kOperationKind);
    if (!rows) return;
    for (const auto& row : *rows) Track(row);
  } else {
    for (const store::Change& change : *changes) {
      if (change.deleted) continue;
      auto row = store_.Get(kOperationKind, change.id);
      if (row && row->has_value()) Track(**row);
    }
  }
  seen_revision_ = revision;
}

Status OperationsEngine::Commit(Operation& operation, std::vector<store::Mutation> changes,
                                bool finished) {
  if (finished) {
    operation.end_time = Rfc3339(clock_.Now());
    operation.ended_at = UnixSeconds(clock_.Now());
    if (operation.status == "Succeeded") operation.percent_complete = 100;
    operation.owner.clear();
    // Its end goes into the activity log with it (once: the event's id is the operation's).
    if (auto event = audit::OperationEndEvent(operation, NowMs()))
      changes.push_back(store::Mutation::Put(audit::EventRow(*event)));
    // The lock goes with the end of the operation (it may be gone with its scope already).
    if (!operation.lock.empty()) {
      auto lock = store_.Get(kOperationLockKind, operation.lock);
      if (!lock) return lock.error();
      if (lock->has_value() && (*lock)->body.find(operation.id) != std::string::npos) {
        changes.push_back(
            store::Mutation::Delete(std::string(kOperationLockKind), operation.lock,
                                    store::Precondition::AtVersion((*lock)->version)));
      }
    }
  }
  // Every write carries the record's version: an engine whose lease was taken over (or whose
  // operation was asked to cancel meanwhile) writes nothing and looks again.
  changes.push_back(WriteFenced(operation));
  auto applied = store_.Apply(changes);
  if (!applied) return applied.error();
  operation.version = applied->back().version;
  if (finished) {
    const auto started_ms = resources::UnixMillisOf(operation.start_time);
    const double ran = started_ms ? static_cast<double>(NowMs() - *started_ms) / 1000 : 0;
    metrics::ObserveOperation(operation.type, operation.status, std::max(0.0, ran));
  }
  return OkStatus();
}

std::optional<std::chrono::milliseconds> OperationsEngine::RunOne(const std::string& id) {
  auto found = Get(id);
  if (!found) return Backoff(0);                 // the store could not be read; try again
  if (!found->has_value()) return std::nullopt;  // gone (its resource was deleted)
  Operation operation = **found;
  if (operation.status != "InProgress") {
    ForgetAttempts(id);
    return std::nullopt;
  }
  const long long now = NowMs();
  if (operation.owner != options_.owner && operation.lease_until_ms > now) {
    // Another engine's: look again when its lease runs out (it renews well before).
    Queue(id, std::chrono::milliseconds(operation.lease_until_ms - now));
    return std::nullopt;
  }
  const auto retry = [&] { return Retry(id); };
  // Take the lease (or renew it once half of it is gone) before doing anything, in a commit of
  // its own: a step whose writes conflict and are retried must not let it lapse meanwhile.
  if (operation.owner != options_.owner ||
      operation.lease_until_ms - now < options_.lease.count() / 2) {
    operation.owner = options_.owner;
    operation.lease_until_ms = now + options_.lease.count();
    if (!Commit(operation, {}, false).ok()) return retry();
  }
  const auto runner = runners_.find(operation.type);
  if (runner == runners_.end()) {
    operation.status = "Failed";
    operation.error = MakeError(StatusCode::kInternal, "UnknownOperation",
                                "this server cannot run operations of type " + operation.type);
    if (Commit(operation, {}, true).ok()) return std::nullopt;
    return retry();
  }
  auto step = runner->second.run(operation, store_);
  if (step.ok() && step->done) {
    operation.status = step->canceled ? "Canceled" : "Succeeded";
    if (Commit(operation, std::move(step->changes), true).ok()) {
      ForgetAttempts(id);
      return std::nullopt;
    }
    return retry();  // the store refused (or the lease moved); look again
  }
  if (step.ok()) {
    // Progress: commit what the runner did and what it says, then look again later.
    const bool reported = step->progress != operation.progress ||
                          step->percent_complete != operation.percent_complete;
    operation.progress = step->progress;
    operation.percent_complete = step->percent_complete;
    if ((reported || !step->changes.empty()) &&
        !Commit(operation, std::move(step->changes), false).ok())
      return retry();
    ForgetAttempts(id);
    // Wake in time to renew the lease, however long the runner asked to wait.
    return std::min(step->requeue_after, options_.lease / 3);
  }
  if (Retryable(step.error()) && Attempts(id) < kMaxAttempts) return retry();
  operation.status = "Failed";
  operation.error = step.error();
  std::vector<store::Mutation> rollback;
  if (runner->second.on_failure)
    rollback = runner->second.on_failure(operation, store_, step.error());
  if (Commit(operation, std::move(rollback), true).ok()) {
    ForgetAttempts(id);
    return std::nullopt;
  }
  return retry();
}

void OperationsEngine::PromoteDueLocked(SteadyTime now) {
  while (!delayed_.empty() && delayed_.begin()->first <= now) {
    MakeReadyLocked(delayed_.begin()->second);
    delayed_.erase(delayed_.begin());
  }
}

std::optional<std::string> OperationsEngine::PopReadyLocked() {
  if (ready_.empty()) return std::nullopt;
  std::string id = ready_.front();
  ready_.pop_front();
  queued_.erase(id);
  running_.insert(id);
  return id;
}

void OperationsEngine::ReleaseLocked(const std::string& id,
                                     std::optional<std::chrono::milliseconds> again) {
  running_.erase(id);
  if (deferred_.erase(id) > 0) {
    ready_.push_back(id);  // still in queued_: it changed while it ran
  } else if (again) {
    QueueLocked(id, std::max(*again, std::chrono::milliseconds(1)));
  }
}

void OperationsEngine::RunPending() {
  // Operations that wait on the outside world run once per call; failed attempts are retried
  // at once (tests have no time to wait for backoff), up to kMaxAttempts.
  Discover();
  {
    std::lock_guard lock(mutex_);
    PromoteDueLocked(SteadyTime::max());  // tests do not wait for delays
  }
  std::set<std::string> waiting;
  for (;;) {
    std::optional<std::string> id;
    {
      std::lock_guard lock(mutex_);
      id = PopReadyLocked();
    }
    if (!id) break;
    const int attempts_before = Attempts(*id);
    const auto again = RunOne(*id);
    {
      std::lock_guard lock(mutex_);
      ReleaseLocked(*id, std::nullopt);
    }
    if (!again) continue;
    const int attempts = Attempts(*id);
    if (attempts > attempts_before && attempts <= kMaxAttempts) {
      Queue(*id, std::chrono::milliseconds(0));
    } else {
      waiting.insert(*id);
    }
  }
  for (const auto& id : waiting) Queue(id, std::chrono::milliseconds(1));
}

void OperationsEngine::Work() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    PromoteDueLocked(clock_.Monotonic());
    if (ready_.size() > 1) wake_.notify_one();  // more than this worker takes: wake another
    if (const auto id = PopReadyLocked()) {
      lock.unlock();
      const auto again = RunOne(*id);
      lock.lock();
      ReleaseLocked(*id, again);
      // It may be ready again, or due sooner than another worker's sleep ends.
      wake_.notify_one();
      continue;
    }
    // Sleep until work is queued or Stop is asked (both notify), or delayed work is due. An idle
    // engine's workers sleep without a timeout: eight workers waking four times a second cost an
    // idle gangplankd more than its nodes did.
    if (delayed_.empty()) {
      wake_.wait(lock);
      continue;
    }
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
                          delayed_.begin()->first - clock_.Monotonic()) +
                      std::chrono::milliseconds(1);
    if (wait.count() > 0) wake_.wait_for(lock, wait);
  }
}

void OperationsEngine::Watch() {
  auto next_prune = clock_.Monotonic();
  while (!stopping_) {
    Discover();
    if (clock_.Monotonic() >= next_prune) {
      (void)PruneFinished();  // best effort; the next prune tries again
      next_prune = clock_.Monotonic() + std::chrono::minutes(10);
    }
    // Until the store changes (at most 250 ms, to see Stop).
    store_.WaitForChange(seen_revision_, std::chrono::milliseconds(250));
    // A worker looks at delayed work that is due: a timed sleep that overran (a clock that
    // jumped, a paused process) must not leave a lease to lapse while the store is busy.
    bool due = false;
    {
      std::lock_guard lock(mutex_);
      due = !delayed_.empty() && delayed_.begin()->first <= clock_.Monotonic();
    }
    if (due) wake_.notify_one();
  }
}

void OperationsEngine::Start() {
  watcher_ = std::thread([this] { Watch(); });
  for (int i = 0; i < std::max(1, options_.workers); ++i) workers_.emplace_back([this] { Work(); });
}

void OperationsEngine::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (watcher_.joinable()) watcher_.join();
  for (auto& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
  workers_.clear();
}

}  // namespace gangplank::controller
