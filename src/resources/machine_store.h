// Machine rows in the store: a pool's machines read with as much detail as asked, what the node
// protocol writes (reports, renewed tokens), removals, and the ARM view of a machine. Both the
// API and the controllers use them; none starts or waits for anything.
#pragma once

#include <boost/json/object.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "protocol/node_protocol.h"
#include "resources/heartbeat_batch.h"
#include "resources/machine.h"
#include "resources/node_images.h"
#include "resources/records.h"
#include "resources/ssh_user_cas.h"
#include "store/store.h"

namespace gangplank::resources {

// Removal rows (kNodeRemovalKind): nodes whose machine is gone and whose process and directory
// the node controller still has to remove; operations wait for them.
inline constexpr std::string_view kNodeRemovalKind = "nodeRemoval";
inline constexpr std::string_view kNodeRemovalRoot = "/gangplank/nodeRemovals";

// How much of a machine to read: its row only (an agent's poll), with its status (the
// reconciler, the machines API), or with its logs and login events too.
enum class MachineDetail { kDesired, kStatus, kLogs };

Result<std::vector<Machine>> MachinesOf(store::Store& store, const std::string& pool_id,
                                        MachineDetail detail = MachineDetail::kStatus);
Result<std::optional<Machine>> GetMachine(store::Store& store, const std::string& machine_id,
                                          MachineDetail detail);

// True when the node's agent reports exactly its desired state, with sshd answering (or stopped
// when SSH access is Disabled).
bool NodeReady(const Machine& machine);

// The desired state an agent is served: the machine's, with the keys of the model version it
// runs, from its pool's record (machine rows refer to the version and never copy the keys).
Result<protocol::DesiredNodeState> ServedDesiredState(store::Store& store, const Machine& machine);

// True when the node reports that its current desired state cannot be provisioned by waiting.
bool FailedForGood(const Machine& machine);

// What a pool's machines are brought to: its model's version, the newest image of its OS SKU
// and (for EntraId nodes) the SSH user CA generation that signs now.
struct PoolTarget {
  std::int64_t model_version = 0;
  std::string image;
  int ssh_ca_generation = 0;  // 0: no CA set (nothing to trust)
  std::shared_ptr<const SshUserCaSet> ssh_cas;
};
Result<PoolTarget> TargetOf(store::Store& store, const resources::PoolRecord& pool,
                            NodeImageCatalog& images);

// The machine row of `machine`.
store::Resource MachineRow(const Machine& machine);
// True when the machine was told the target's model and image (and, on an EntraId node, was
// imaged under the signing CA: one imaged earlier still trusts a retired CA).
bool OnTarget(const Machine& machine, const PoolTarget& target);
// Since when a machine that is not ready has been so: since it was told to change, or since its
// reports stopped saying it was ready, whichever is later.
long long UnreadySince(const Machine& machine);

// The changes that delete one machine and queue its node (`uid`) for removal on behalf of
// `owner_id`, whose operation waits for it.
void RemoveMachine(const std::string& machine_id, const std::string& uid,
                   const std::string& owner_id, std::vector<store::Mutation>& changes);

// What an agent reported, stored as the machine's status (a report from an older provisioning of
// the machine is ignored). Log lines and login events are appended, keeping the newest. A report
// with nothing new moves reportedAt at most every few minutes: through `heartbeats` when given
// (written with others later), else at once.
Status RecordNodeReport(store::Store& store, const std::string& machine_id, const std::string& uid,
                        const protocol::NodeStatus& status,
                        const std::vector<protocol::LoginEvent>& logins,
                        const std::string& new_log_lines, const Clock& clock,
                        HeartbeatBatch* heartbeats = nullptr);

// A node's renewed token, expiring at `expires_at`, replaces the ones before it: tokens of the
// machine (at `uid`) that expire earlier stop holding. Retried when the row changes meanwhile.
Status ReplaceNodeTokens(store::Store& store, const std::string& machine_id,
                         const std::string& uid, long long expires_at);

// The machine as the API shows it.
boost::json::object MachineView(const Machine& machine, const PoolTarget& target);
// The machines API's properties.state: Provisioning, Reimaging, Running, Stopped, Unhealthy or
// Failed.
const char* MachineState(const Machine& machine);

}  // namespace gangplank::resources
