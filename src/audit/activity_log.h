// The activity log, as Azure's Activity Log keeps it: one event per write or action (accepted or
// refused) and per end of a long-running operation, who asked, what for, on which resource and
// with what outcome. Events are store rows, shared by replicas and kept for a retention period.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "resources/operation.h"
#include "store/store.h"

namespace gangplank::audit {

inline constexpr std::string_view kActivityEventKind = "activityEvent";

struct ActivityEvent {
  std::string event_id;      // eventDataId, a GUID
  std::string subscription;  // the subscription's id (no path)
  resources::ActivityOrigin origin;
  std::string operation_id;  // the long-running operation's id, or one of the request's own
  std::string status;        // Started | Accepted | Succeeded | Failed
  std::string sub_status;    // the HTTP status's words ("Created", "Forbidden") or the error code
  std::string level;         // Informational | Warning | Error
  std::string event_name;    // BeginRequest | EndRequest
  std::string description;   // why it failed, in the service's words
  long long timestamp_ms = 0;
};

// The row of an event (under /subscriptions/S/activityLog, by event id).
store::Resource EventRow(const ActivityEvent& event);
Result<ActivityEvent> DecodeEvent(const store::Resource& row);
// Azure's EventData shape (what az monitor activity-log list prints).
boost::json::object EventJson(const ActivityEvent& event);
std::string ActivityLogParent(std::string_view subscription);

// The event of an operation's end: one per operation (its id is derived from the operation's),
// committed with the operation's last write.
std::optional<ActivityEvent> OperationEndEvent(const resources::Operation& operation,
                                               long long now_ms);

// The $filter of GET …/eventtypes/management/values, in the forms az and the SDK send:
// "eventTimestamp ge T and eventTimestamp le T" then at most one of resourceGroupName,
// resourceId, resourceProvider or correlationId, and caller and status, each "eq 'V'".
struct ActivityFilter {
  long long from_ms = 0, to_ms = 0;
  std::optional<std::string> resource_group, resource_id, resource_provider, correlation_id, caller,
      status;
};
Result<ActivityFilter> ParseActivityFilter(std::string_view text);
bool Matches(const ActivityFilter& filter, const ActivityEvent& event);

// Unix milliseconds of an RFC 3339 / ISO 8601 time as az writes it (naive = UTC, an offset, or
// Z; fractions of any length), or nullopt.
std::optional<long long> ParseTimestamp(std::string_view text);

}  // namespace gangplank::audit
