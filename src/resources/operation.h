// The operation record: an ARM long-running operation's status plus the work behind it (type,
// target, lock, lease). One codec; the ARM status document is what clients poll.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "store/store.h"

namespace gangplank::resources {

inline constexpr std::string_view kOperationKind = "operation";

// Who started an operation, and with which request: what the activity log records of its end.
struct ActivityOrigin {
  std::string caller;            // the client's app id
  std::string caller_object_id;  // its principal's object id
  std::string action;            // "Microsoft.ContainerService/managedClusters/write"
  std::string resource_id;       // what the request named
  std::string correlation_id;
  std::string client_ip;

  friend bool operator==(const ActivityOrigin&, const ActivityOrigin&) = default;
};

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
  std::string lock;               // the lock row it holds until it ends ("" for none)
  std::string owner;              // the engine (replica) that holds its lease
  long long lease_until_ms = 0;   // Unix milliseconds; another engine may take it over after
  std::int64_t version = 0;       // of its store row, when read from the store
  ActivityOrigin origin;          // empty for operations no request started
};

// The row of an operation record (kind "operation", under its subscription), and back.
store::Resource OperationRow(const Operation& operation);
Operation DecodeOperation(const store::Resource& row);

// The ARM operation-status document: {name, status, startTime, endTime?, percentComplete?,
// properties.progress?, error?}.
std::string OperationStatusJson(const Operation& operation);

// RFC 3339 UTC with fractional seconds, as ARM writes timestamps.
std::string Rfc3339(std::chrono::system_clock::time_point time);
// Unix milliseconds of an RFC 3339 / ISO 8601 time as clients write it (naive = UTC, an offset,
// or Z; fractions of any length), or nullopt.
std::optional<long long> UnixMillisOf(std::string_view text);

}  // namespace gangplank::resources
