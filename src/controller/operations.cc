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
  const json::object& work = doc.at("work").as_object();
  operation.type = std::string(work.at("type").as_string());
  operation.target = std::string(work.at("target").as_string());
  if (const auto* error = doc.if_contains("error"); error && error->is_object()) {
    operation.error = MakeError(StatusCode::kInternal, std::string(error->at("code").as_string()),
                                std::string(error->at("message").as_string()));
  }
  return operation;
}

std::string ToJson(const Operation& operation) {
  json::object doc = json::parse(OperationStatusJson(operation)).as_object();
  doc["work"] = json::object{{"type", operation.type}, {"target", operation.target}};
  return json::serialize(doc);
}

store::Resource Row(const Operation& operation) {
  const std::string parent = operation.id.substr(0, operation.id.find("/providers/"));
  return store::Resource{std::string(kOperationKind), operation.id, parent, ToJson(operation), 0};
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
  if (operation.error) {
    doc["error"] =
        json::object{{"code", operation.error->reason}, {"message", operation.error->message}};
  }
  return json::serialize(doc);
}

OperationsEngine::OperationsEngine(store::Store& store, const Clock& clock)
    : store_(store), clock_(clock) {}

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
  {
    std::lock_guard lock(mutex_);
    if (!queued_.insert(operation_id).second) return;
    queue_.push_back(operation_id);
  }
  wake_.notify_one();
}

Status OperationsEngine::ResumeUnfinished() {
  auto rows = store_.ListKind(kOperationKind);
  if (!rows) return rows.error();
  for (const auto& row : *rows) {
    if (FromJson(row).status == "InProgress") Enqueue(row.id);
  }
  return OkStatus();
}

Result<std::optional<Operation>> OperationsEngine::Get(std::string_view id) {
  auto row = store_.Get(kOperationKind, id);
  if (!row) return row.error();
  if (!row->has_value()) return std::optional<Operation>();
  return std::optional<Operation>(FromJson(**row));
}

bool OperationsEngine::HasUnfinished(std::string_view resource_id) {
  auto rows = store_.ListKind(kOperationKind);
  if (!rows) return true;  // when in doubt, refuse the concurrent change
  const std::string key = store::IdKey(resource_id);
  for (const auto& row : *rows) {
    const Operation operation = FromJson(row);
    if (operation.status == "InProgress" && store::IdKey(operation.target) == key) return true;
  }
  return false;
}

Status OperationsEngine::Finish(Operation operation, std::vector<store::Mutation> changes) {
  operation.end_time = Rfc3339(clock_.Now());
  changes.push_back(store::Mutation::Put(Row(operation)));
  auto applied = store_.Apply(changes);
  if (!applied) return applied.error();
  return OkStatus();
}

bool OperationsEngine::RunOne(const std::string& id) {
  auto found = Get(id);
  if (!found || !found->has_value()) return true;  // gone: nothing to do
  Operation operation = **found;
  if (operation.status != "InProgress") return true;
  const auto runner = runners_.find(operation.type);
  if (runner == runners_.end()) {
    operation.status = "Failed";
    operation.error = MakeError(StatusCode::kInternal, "UnknownOperation",
                                "this server cannot run operations of type " + operation.type);
    return Finish(operation, {}).ok();
  }
  auto changes = runner->second.run(operation, store_);
  if (changes.ok()) {
    operation.status = "Succeeded";
    if (Finish(operation, std::move(changes.value())).ok()) return true;
    return false;  // the store refused; try again
  }
  if (Retryable(changes.error()) && ++attempts_[id] < kMaxAttempts) return false;
  operation.status = "Failed";
  operation.error = changes.error();
  std::vector<store::Mutation> rollback;
  if (runner->second.on_failure)
    rollback = runner->second.on_failure(operation, store_, changes.error());
  return Finish(operation, std::move(rollback)).ok();
}

void OperationsEngine::RunPending() {
  for (;;) {
    std::string id;
    {
      std::lock_guard lock(mutex_);
      if (queue_.empty()) return;
      id = queue_.front();
      queue_.pop_front();
      queued_.erase(id);
    }
    if (!RunOne(id)) Enqueue(id);
  }
}

void OperationsEngine::Start() {
  worker_ = std::thread([this] {
    for (;;) {
      std::string id;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (stopping_) return;
        id = queue_.front();
        queue_.pop_front();
        queued_.erase(id);
      }
      if (!RunOne(id)) {
        // Backoff before the retry: 50 ms, doubling, at most 5 s.
        const int attempt = attempts_[id];
        std::unique_lock lock(mutex_);
        wake_.wait_for(lock, std::chrono::milliseconds(std::min(5000, 50 << std::min(attempt, 7))),
                       [this] { return stopping_; });
        if (stopping_) return;
        lock.unlock();
        Enqueue(id);
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
