// The machine record: one node of a pool, the desired state it was last given (the node
// protocol's type) and what its agent last reported. One codec for each of its two rows.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "protocol/node_protocol.h"
#include "store/store.h"

namespace gangplank::resources {

// Machine rows: {"resource": ARM machine, "index": N, "uid": per-provisioning id,
//                "desired": DesiredNodeState, "desiredAt": Unix seconds of the last change,
//                "createdAt": Unix seconds it was made (absent in old rows: desiredAt),
//                "minTokenExpiry": see Machine::min_token_expiry (absent: 0)}.
// Status rows (kMachineStatusKind, id MACHINE/status): what the node's agent last reported,
// {"uid", "status", "reportedAt", "log", "logins"}; a report for an older uid is ignored.
inline constexpr std::string_view kMachineKind = "machine";
inline constexpr std::string_view kMachineStatusKind = "machineStatus";
inline constexpr std::string_view kMachineType =
    "Microsoft.ContainerService/managedClusters/agentPools/machines";

struct Machine {
  store::Resource row;
  std::int64_t index = 0;
  std::string uid;
  protocol::DesiredNodeState desired;
  long long desired_at = 0;
  long long created_at = 0;
  // Node tokens that expire before this (Unix seconds) were replaced by a renewal and no longer
  // hold; 0 when the node never renewed.
  long long min_token_expiry = 0;
  std::optional<protocol::NodeStatus> status;  // nullopt until its agent reports
  long long reported_at = 0;
  // The first of an unbroken run of reports in which the node was not ready (0: it is ready): a
  // node that was fine is failed only once it has stayed unready for the node timeout.
  long long not_ready_since = 0;
  // The first of an unbroken run of reports in which the node was ready on its generation (0:
  // it is not ready, or it was ready before this was recorded): when the pool last made progress.
  long long ready_since = 0;
  std::string log;                       // recent agent and sshd log lines (with logs read)
  std::vector<protocol::LoginEvent> logins;  // the most recent login events (with logs read)
};

// The machine row's part of a Machine (no status).
Result<Machine> DecodeMachine(const store::Resource& row);
// The machine row of `machine` (its ARM resource kept as the row has it).
store::Resource EncodeMachine(const Machine& machine);
// A machine made `now` for pool `pool_id`: its ARM resource names it and the address `desired`
// gives it (row version 0: not stored yet).
Machine NewMachine(const std::string& pool_id, std::int64_t index, std::string uid,
                   protocol::DesiredNodeState desired, long long now);
// Adds what the status row says to `machine` (when it is about the machine's current uid).
void DecodeMachineStatus(const store::Resource& status_row, bool with_logs, Machine& machine);
std::string MachineStatusId(const std::string& machine_id);

}  // namespace gangplank::resources
