// Heartbeats noted by the node protocol and written in one commit by the node gateway's watcher.
#include "resources/heartbeat_batch.h"

#include <boost/json.hpp>
#include <optional>
#include <vector>

#include "resources/machine.h"

namespace gangplank::resources {
namespace json = boost::json;

void HeartbeatBatch::Note(const std::string& machine_id, const std::string& uid, long long at) {
  std::lock_guard lock(mutex_);
  pending_[machine_id] = Beat{uid, at};
}

std::size_t HeartbeatBatch::Pending() const {
  std::lock_guard lock(mutex_);
  return pending_.size();
}

namespace {

// The status row with its reportedAt moved to `beat_at`, or nothing when the row belongs to
// another node or already says as much.
std::optional<store::Mutation> Moved(const store::Resource& row, const std::string& uid,
                                     long long beat_at) {
  boost::system::error_code ec;
  json::value doc = json::parse(row.body, ec);
  if (ec || !doc.is_object()) return std::nullopt;
  json::object& status = doc.get_object();
  const json::value* owner = status.if_contains("uid");
  if (!owner || !owner->is_string() || owner->get_string() != uid) return std::nullopt;
  const json::value* at = status.if_contains("reportedAt");
  if (at && at->is_int64() && at->get_int64() >= beat_at) return std::nullopt;
  status["reportedAt"] = beat_at;
  store::Resource moved = row;
  moved.body = json::serialize(doc);
  return store::Mutation::Put(std::move(moved), store::Precondition::AtVersion(row.version));
}

}  // namespace

Status HeartbeatBatch::Flush(store::Store& store) {
  std::map<std::string, Beat> due;
  {
    std::lock_guard lock(mutex_);
    due.swap(pending_);
  }
  // A store that is away would hold the write up to its timeout, and the gateway's watcher or
  // its stop with it: these heartbeats are dropped instead.
  if (Status ready = store.Ready(); !ready.ok()) return ready;
  std::vector<store::Mutation> writes;
  for (const auto& [machine_id, beat] : due) {
    auto row = store.Get(kMachineStatusKind, MachineStatusId(machine_id));
    if (!row) return row.error();
    if (!row->has_value()) continue;  // the machine is gone
    if (auto write = Moved(**row, beat.uid, beat.at)) writes.push_back(std::move(*write));
  }
  if (writes.empty() || store.Apply(writes).ok()) return OkStatus();
  // A row changed since it was read (a report with news, or a deleted machine): the others are
  // written one by one, and that one is left as it is now.
  for (const store::Mutation& write : writes) (void)store.Apply({write});
  return OkStatus();
}

}  // namespace gangplank::resources
