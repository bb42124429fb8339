// The operations engine: store-backed records, a merging work queue, retries with backoff.
#include "controller/operations.h"

#include <boost/json.hpp>
#include <ctime>

#include "common/random.h"

namespace gangplank::controller {
namespace json = boost::json;

namespace {

constexpr int kMaxAttempts = 8;

bool Retryable(const Error& error) {
  return error.code == StatusCode::kUnavailable || error.code == StatusCode::kAborted;
}

Operation FromJson(const store::Resource& row) {
  const json::object doc = json::parse(row.body).as_object();
  Operation operation;
  operation.id = row.id;
  operation.name = std::string(doc.at("name").as_string());
  operation.status = std::string(doc.at("status").as_string());
  operation.start_time = std::string(doc.at("startTime").as_string());
  if (const auto* end = doc.if_contains("endTime"); end && end->is_string()) {
    operation.end_time = std::string(end->get_string());
  }
  if (const auto* percent = doc.if_contains("percentComplete"); percent && percent->is_int64()) {
    operation.percent_complete = static_cast<int>(percent->get_int64());
  }
  if (const auto* properties = doc.if_contains("properties");
      properties && properties->is_object()) {
    if (const auto* progress = properties->get_object().if_contains("progress");
        progress && progress->is_string()) {
      operation.progress = std::string(progress->get_string());
    }
  }
  const json::object& work = doc.at("work").as_object();
  operation.type = std::string(work.at("type").as_string());
  operation.target = std::string(work.at("target").as_string());
  if (const auto* ended = work.if_contains("endedAt"); ended && ended->is_int64()) {
    operation.ended_at = ended->get_int64();
  }
  if (const auto* cancel = work.if_contains("cancelRequested"); cancel && cancel->is_bool()) {
    operation.cancel_requested = cancel->get_bool();
  }
  if (const auto* error = doc.if_contains("error"); error && error->is_object()) {
    operation.error = MakeError(StatusCode::kInternal, std::string(error->at("code").as_string()),
                                std::string(error->at("message").as_string()));
  }
  return operation;
}

std::string ToJson(const Operation& operation) {
  json::object doc = json::parse(OperationStatusJson(operation)).as_object();
  json::object work{{"type", operation.type}, {"target", operation.target}};
  if (operation.ended_at != 0) work["endedAt"] = operation.ended_at;
  if (operation.cancel_requested) work["cancelRequested"] = true;
  doc["work"] = std::move(work);
  return json::serialize(doc);
}

store::Resource Row(const Operation& operation) {
  const std::string parent = operation.id.substr(0, operation.id.find("/providers/"));
  return store::Resource{std::string(kOperationKind), operation.id, parent, ToJson(operation), 0};
}

std::chrono::milliseconds Backoff(int attempt) {
  return std::chrono::milliseconds(std::min(5000, 50 << std::min(attempt, 7)));
}

}  // namespace

std::string Rfc3339(std::chrono::system_clock::time_point time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc);
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count() %
      1000000;
  char fraction[16];
  std::snprintf(fraction, sizeof fraction, ".%06lldZ", static_cast<long long>(micros));
  return std::string(buffer) + fraction;
}

std::string OperationStatusJson(const Operation& operation) {
  json::object doc{
      {"name", operation.name}, {"status", operation.status}, {"startTime", operation.start_time}};
  if (!operation.end_time.empty()) doc["endTime"] = operation.end_time;
  if (operation.percent_complete) doc["percentComplete"] = *operation.percent_complete;
  if (!operation.progress.empty())
    doc["properties"] = json::object{{"progress", operation.progress}};
  if (operation.error) {
    doc["error"] =
        json::object{{"code", operation.error->reason}, {"message", operation.error->message}};
  }
  return json::serialize(doc);
}

OperationsEngine::OperationsEngine(store::Store& store, const Clock& clock,
                                   std::chrono::seconds retention)
    : store_(store), clock_(clock), retention_(retention) {}

OperationsEngine::~OperationsEngine() { Stop(); }

void OperationsEngine::Register(const std::string& type, OperationRunner runner) {
  runners_[type] = std::move(runner);
}

OperationsEngine::Started OperationsEngine::Begin(const std::string& subscription,
                                                  const std::string& location,
                                                  const std::string& type,
                                                  const std::string& target) {
  Operation operation;
  operation.name = NewUuid();
  operation.id = "/subscriptions/" + subscription +
                 "/providers/Microsoft.ContainerService/locations/" + location + "/operations/" +
                 operation.name;
  operation.type = type;
  operation.target = target;
  operation.status = "InProgress";
  operation.start_time = Rfc3339(clock_.Now());
  return Started{operation, store::Mutation::Put(Row(operation), store::Precondition::Absent())};
}

void OperationsEngine::Enqueue(const std::string& operation_id) {
  auto found = Get(operation_id);
  {
    std::lock_guard lock(mutex_);
    if (found && found->has_value() && (*found)->status == "InProgress") {
      unfinished_[store::IdKey((*found)->target)].insert(store::IdKey(operation_id));
    }
    if (!queued_.insert(operation_id).second) return;
    ready_.push_back(operation_id);
  }
  wake_.notify_one();
}

Status OperationsEngine::ResumeUnfinished() {
  if (Status pruned = PruneFinished(); !pruned.ok()) return pruned;
  auto rows = store_.ListKind(kOperationKind);
  if (!rows) return rows.error();
  for (const auto& row : *rows) {
    if (FromJson(row).status == "InProgress") Enqueue(row.id);
  }
  return OkStatus();
}

Status OperationsEngine::PruneFinished() {
  auto rows = store_.ListKind(kOperationKind);
  if (!rows) return rows.error();
  const long long cutoff = UnixSeconds(clock_.Now()) - retention_.count();
  std::vector<store::Mutation> expired;
  for (const auto& row : *rows) {
    const Operation operation = FromJson(row);
    // Records written before endedAt existed have none; they expire from now on.
    if (operation.status != "InProgress" && operation.ended_at != 0 &&
        operation.ended_at < cutoff) {
      expired.push_back(store::Mutation::Delete(std::string(kOperationKind), row.id));
    }
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

bool OperationsEngine::HasUnfinished(std::string_view resource_id) {
  std::lock_guard lock(mutex_);
  return unfinished_.contains(store::IdKey(resource_id));
}

Result<std::vector<store::Mutation>> OperationsEngine::CancelRequests(
    std::string_view resource_id, std::string_view except_type) {
  std::vector<std::string> ids;
  {
    std::lock_guard lock(mutex_);
    const std::string key = store::IdKey(resource_id);
    for (const auto& [target, operations] : unfinished_) {
      if (target != key && !target.starts_with(key + "/")) continue;
      ids.insert(ids.end(), operations.begin(), operations.end());
    }
  }
  std::vector<store::Mutation> changes;
  for (const std::string& id : ids) {
    auto row = store_.Get(kOperationKind, id);
    if (!row) return row.error();
    if (!row->has_value()) continue;
    Operation operation = FromJson(**row);
    if (operation.status != "InProgress" || operation.type == except_type) continue;
    operation.cancel_requested = true;
    changes.push_back(
        store::Mutation::Put(Row(operation), store::Precondition::AtVersion((*row)->version)));
  }
  return changes;
}

void OperationsEngine::MarkFinished(const Operation& operation) {
  std::lock_guard lock(mutex_);
  const auto found = unfinished_.find(store::IdKey(operation.target));
  if (found == unfinished_.end()) return;
  found->second.erase(store::IdKey(operation.id));
  if (found->second.empty()) unfinished_.erase(found);
  attempts_.erase(operation.id);
}

Status OperationsEngine::Finish(Operation operation, std::vector<store::Mutation> changes) {
  operation.end_time = Rfc3339(clock_.Now());
  operation.ended_at = UnixSeconds(clock_.Now());
  if (operation.status == "Succeeded") operation.percent_complete = 100;
  changes.push_back(store::Mutation::Put(Row(operation)));
  auto applied = store_.Apply(changes);
  if (!applied) return applied.error();
  MarkFinished(operation);
  return OkStatus();
}

std::optional<std::chrono::milliseconds> OperationsEngine::RunOne(const std::string& id) {
  auto found = Get(id);
  if (!found) return Backoff(0);                 // the store could not be read; try again
  if (!found->has_value()) return std::nullopt;  // gone (its resource was deleted)
  Operation operation = **found;
  if (operation.status != "InProgress") {
    MarkFinished(operation);
    return std::nullopt;
  }
  const auto retry = [&] { return Backoff(attempts_[id]++); };
  const auto runner = runners_.find(operation.type);
  if (runner == runners_.end()) {
    operation.status = "Failed";
    operation.error = MakeError(StatusCode::kInternal, "UnknownOperation",
                                "this server cannot run operations of type " + operation.type);
    if (Finish(operation, {}).ok()) return std::nullopt;
    return retry();
  }
  auto step = runner->second.run(operation, store_);
  if (step.ok() && step->done) {
    operation.status = step->canceled ? "Canceled" : "Succeeded";
    if (Finish(operation, std::move(step->changes)).ok()) return std::nullopt;
    return retry();  // the store refused; try again
  }
  if (step.ok()) {
    // Progress: commit what the runner did and what it says, then look again later.
    const bool reported = step->progress != operation.progress ||
                          step->percent_complete != operation.percent_complete;
    operation.progress = step->progress;
    operation.percent_complete = step->percent_complete;
    if (reported) step->changes.push_back(store::Mutation::Put(Row(operation)));
    if (!step->changes.empty() && !store_.Apply(step->changes).ok()) return retry();
    attempts_.erase(id);
    return step->requeue_after;
  }
  if (Retryable(step.error()) && attempts_[id] < kMaxAttempts) return retry();
  operation.status = "Failed";
  operation.error = step.error();
  std::vector<store::Mutation> rollback;
  if (runner->second.on_failure)
    rollback = runner->second.on_failure(operation, store_, step.error());
  if (Finish(operation, std::move(rollback)).ok()) return std::nullopt;
  return retry();
}

void OperationsEngine::PromoteDueLocked(SteadyTime now) {
  while (!delayed_.empty() && delayed_.begin()->first <= now) {
    const std::string id = delayed_.begin()->second;
    delayed_.erase(delayed_.begin());
    if (queued_.insert(id).second) ready_.push_back(id);
  }
}

std::optional<std::string> OperationsEngine::PopReadyLocked() {
  if (ready_.empty()) return std::nullopt;
  std::string id = ready_.front();
  ready_.pop_front();
  queued_.erase(id);
  return id;
}

void OperationsEngine::RunPending() {
  // Operations that wait on the outside world run once per call; failed attempts are retried
  // at once (tests have no time to wait for backoff), up to kMaxAttempts.
  std::set<std::string> waiting;
  for (;;) {
    std::optional<std::string> id;
    {
      std::lock_guard lock(mutex_);
      id = PopReadyLocked();
    }
    if (!id) break;
    const int attempts_before = attempts_[*id];
    const auto again = RunOne(*id);
    if (!again) continue;
    if (attempts_[*id] > attempts_before && attempts_[*id] <= kMaxAttempts) {
      std::lock_guard lock(mutex_);
      if (queued_.insert(*id).second) ready_.push_back(*id);
    } else {
      waiting.insert(*id);
    }
  }
  std::lock_guard lock(mutex_);
  for (const auto& id : waiting) {
    if (queued_.insert(id).second) ready_.push_back(id);
  }
}

void OperationsEngine::Start() {
  worker_ = std::thread([this] {
    auto next_prune = std::chrono::steady_clock::now() + std::chrono::minutes(10);
    for (;;) {
      std::optional<std::string> id;
      {
        std::unique_lock lock(mutex_);
        for (;;) {
          if (stopping_) return;
          const auto now = std::chrono::steady_clock::now();
          PromoteDueLocked(now);
          if ((id = PopReadyLocked())) break;
          const auto until = delayed_.empty()
                                 ? now + std::chrono::minutes(1)
                                 : std::min(delayed_.begin()->first, now + std::chrono::minutes(1));
          wake_.wait_until(lock, until);
          if (std::chrono::steady_clock::now() >= next_prune) break;
        }
      }
      if (!id) {
        (void)PruneFinished();  // best effort; the next prune tries again
        next_prune = std::chrono::steady_clock::now() + std::chrono::minutes(10);
        continue;
      }
      if (const auto again = RunOne(*id)) {
        std::lock_guard lock(mutex_);
        delayed_.emplace(std::chrono::steady_clock::now() + *again, *id);
      }
    }
  });
}

void OperationsEngine::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

}  // namespace gangplank::controller
