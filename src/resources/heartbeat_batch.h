// Unchanged node reports ("still here, nothing new") recorded together, in one commit a batch.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "common/error.h"
#include "store/store.h"

namespace gangplank::resources {

// An agent reports every few minutes even when nothing changed, and every few such reports one
// moves the machine's reportedAt (lastHeartbeatTime in the Kubernetes view). Written one by one,
// those were a durable commit per node every five minutes: at 2,000 idle nodes, most of what
// gangplankd did. They are noted here and written together; a crash loses at most one batch of
// heartbeat times, never a status, a login or a log line (those are written before the agent is
// answered).
class HeartbeatBatch {
 public:
  // The node `uid` of `machine_id` reported, unchanged, at `at` (Unix seconds).
  void Note(const std::string& machine_id, const std::string& uid, long long at);

  // Writes every noted heartbeat in one commit: a machine's reportedAt moves if its status row
  // still belongs to the node that reported and has not been written since it was read here (a
  // newer report wins). Heartbeats the store could not take, or noted while it is away, are
  // dropped: the next ones come within minutes.
  Status Flush(store::Store& store);

  std::size_t Pending() const;

 private:
  struct Beat {
    std::string uid;
    long long at = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::string, Beat> pending_;  // by machine id: the newest heartbeat of each
};

}  // namespace gangplank::resources
