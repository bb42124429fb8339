// Machines ↔ runtime nodes, reconciled level-based from the store's changes.
#include "controller/node_controller.h"

#include <boost/json.hpp>
#include <memory>

#include "common/parallel.h"
#include "controller/machines.h"
#include "metrics/metrics.h"
#include "resources/cluster_docs.h"
#include "resources/machine.h"

namespace gangplank::controller {
namespace json = boost::json;

using resources::kMachineKind;
using resources::kPoolKind;

NodeController::NodeController(store::Store& store, runtime::NodeRuntime& runtime,
                               const auth::NodeTokens& tokens, const Clock& clock,
                               NodeControllerOptions options)
    : store_(store),
      runtime_(runtime),
      tokens_(tokens),
      clock_(clock),
      options_(std::move(options)) {}

NodeController::~NodeController() { Stop(); }

long long NodeController::DiskBytesOf(const std::string& pool_id) {
  auto row = store_.Get(kPoolKind, pool_id);
  if (!row || !row->has_value()) return 0;
  auto pool = resources::PoolRecord::Decode(**row);
  if (!pool) return 0;
  const json::value* size = pool->properties().if_contains("osDiskSizeGB");
  return size && size->is_int64() && size->get_int64() > 0 ? size->get_int64() << 30 : 0;
}

bool NodeController::MayAct() const {
  return !stopping_ && (leader_ == nullptr || leader_->Confirm());
}

runtime::Fence NodeController::StepFence() const {
  return [this] { return StillLeads(); };
}

bool NodeController::StillLeads() const {
  return !stopping_ && (leader_ == nullptr || leader_->StillHeld());
}

runtime::Fence NodeController::LookFence() const {
  return [this, confirmed = std::make_shared<bool>(false)] {
    if (!*confirmed) return *confirmed = MayAct();
    return StillLeads();
  };
}

runtime::NodeLaunch NodeController::LaunchOf(const resources::Machine& machine,
                                             long long disk_bytes) const {
  const protocol::DesiredNodeState& desired = machine.desired;
  return {machine.uid,
          machine.row.id,
          [this, id = machine.row.id, uid = machine.uid] {
            return tokens_.Issue({id, uid});
          },
          desired.node_name,
          desired.address,
          desired.image_version,
          desired.reimage_generation,
          disk_bytes};
}

void NodeController::EnsureNode(const runtime::NodeLaunch& node) {
  const std::string& uid = node.uid;
  if (stopping_) return;
  const Status started = runtime_.Ensure(node, LookFence());
  {
    std::lock_guard lock(errors_mutex_);
    if (started.ok()) {
      start_errors_.erase(uid);
      return;
    }
    // A newer machine already runs there (what this look read is older than what was done), or
    // this replica stopped leading part way: neither is the node's fault.
    if (started.error().code == StatusCode::kAborted) return;
    // Tell the operation waiting on this node why it cannot come up (once per distinct error).
    if (start_errors_[uid] == started.error().message) return;
    start_errors_[uid] = started.error().message;
  }
  protocol::NodeStatus status;
  status.message = "the node could not be started: " + started.error().message;
  if (WaitingMayHelp(started.error().code)) {
    status.sshd_health = "Unhealthy";
  } else {
    status.sshd_health = "Failed";
    status.failed_generation = node.reimage_generation;
  }
  (void)RecordNodeReport(store_, node.machine_id, uid, status, {}, "", clock_);
}

std::vector<resources::Machine> NodeController::Decoded(const std::vector<store::Resource>& rows,
                                                        bool every_row) {
  std::lock_guard lock(decoded_mutex_);
  std::vector<resources::Machine> machines;
  std::set<std::string> seen;
  for (const auto& row : rows) {
    seen.insert(row.id);
    auto known = decoded_.find(row.id);
    // The body too: a machine deleted and made again starts over at version 1.
    if (known == decoded_.end() || known->second.row.version != row.version ||
        known->second.row.body != row.body) {
      auto machine = resources::DecodeMachine(row);
      if (!machine) {
        if (known != decoded_.end()) decoded_.erase(known);
        continue;
      }
      known = decoded_.insert_or_assign(row.id, std::move(*machine)).first;
    }
    machines.push_back(known->second);
  }
  if (every_row)
    std::erase_if(decoded_, [&](const auto& entry) { return !seen.contains(entry.first); });
  return machines;
}

// Settled nodes are looked at here, one after the other: a look is a few reads of /proc, and
// threads taking turns on the runtime's locks for each cost more than the looks (a sweep over
// 2,000 nodes spread over eight threads made tens of thousands of futex calls). Only the nodes
// the runtime must act on are started side by side.
void NodeController::EnsureNodes(const std::vector<resources::Machine>& machines) {
  {
    std::lock_guard lock(errors_mutex_);
    for (const auto& machine : machines) machine_of_[machine.uid] = machine.row.id;
  }
  std::map<std::string, long long> disk_bytes;  // pool id → its nodes' disk: one read per pool
  std::vector<runtime::NodeLaunch> unsettled;
  for (const auto& machine : machines) {
    if (stopping_) return;
    const std::string& pool = machine.row.parent;
    if (!disk_bytes.contains(pool)) disk_bytes[pool] = DiskBytesOf(pool);
    runtime::NodeLaunch node = LaunchOf(machine, disk_bytes.at(pool));
    if (!runtime_.Settled(node)) unsettled.push_back(std::move(node));
  }
  ParallelFor(
      unsettled.size(), options_.parallel_starts, [&](std::size_t i) { EnsureNode(unsettled[i]); },
      &stopping_);
}

void NodeController::OnNodeExit(const std::string& uid) {
  std::string machine_id;
  std::size_t recent = 0;
  {
    std::lock_guard lock(errors_mutex_);
    auto found = machine_of_.find(uid);
    if (found == machine_of_.end()) return;
    machine_id = found->second;
    // A node that keeps dying (a broken image, an agent that cannot start) is started again by
    // the sweep only, not in a tight loop.
    auto& exits = exits_[uid];
    const auto now = std::chrono::steady_clock::now();
    std::erase_if(exits, [&](auto at) { return now - at > std::chrono::minutes(1); });
    exits.push_back(now);
    recent = exits.size();
    if (recent < kRestartsPerMinute) dead_.insert(uid);
  }
  if (!MayAct()) return;
  auto machine = GetMachine(store_, machine_id, MachineDetail::kStatus);
  if (!machine || !machine->has_value() || (*machine)->uid != uid) return;
  protocol::NodeStatus status = (*machine)->status.value_or(protocol::NodeStatus{});
  status.sshd_health = "Unhealthy";
  status.message = recent < kRestartsPerMinute
                       ? "the node stopped (its first process exited); it is being started again"
                       : "the node keeps stopping (its first process exited " +
                             std::to_string(recent) +
                             " times in a minute); it is started again at the next sweep";
  // The report is a commit: it wakes the loop, which starts the node again.
  (void)RecordNodeReport(store_, machine_id, uid, status, {},
                         "gangplankd: the node stopped by itself; starting it again\n", clock_);
}

void NodeController::Forget(const std::string& uid) {
  std::lock_guard lock(errors_mutex_);
  start_errors_.erase(uid);
  machine_of_.erase(uid);
  exits_.erase(uid);
  dead_.erase(uid);
}

void NodeController::RestartDeadNodes() {
  std::set<std::string> dead;
  std::map<std::string, std::string> machines;
  {
    std::lock_guard lock(errors_mutex_);
    dead.swap(dead_);
    for (const auto& uid : dead)
      if (auto found = machine_of_.find(uid); found != machine_of_.end())
        machines[uid] = found->second;
  }
  std::vector<store::Resource> rows;
  for (const auto& [uid, machine_id] : machines) {
    auto row = store_.Get(kMachineKind, machine_id);
    if (row && row->has_value()) rows.push_back(**row);
  }
  EnsureNodes(Decoded(rows, false));
}

void NodeController::CarryOutRemovals() {
  auto removals = store_.ListKind(kNodeRemovalKind);
  if (!removals) return;
  const std::vector<store::Resource>& rows = *removals;
  ParallelFor(
      rows.size(), options_.parallel_starts,
      [&](std::size_t i) {
        const std::string uid = rows[i].id.substr(rows[i].id.rfind('/') + 1);
        if (MayAct() && runtime_.Remove(uid, StepFence()).ok()) {
          Forget(uid);
          (void)store_.Delete(kNodeRemovalKind, rows[i].id,
                              store::Precondition::AtVersion(rows[i].version));
        }
      },
      &stopping_);
}

void NodeController::SyncOnce() {
  auto machines = store_.ListKind(kMachineKind);
  if (!machines) return;  // the store is unreadable now; the next pass retries
  const std::vector<resources::Machine> decoded = Decoded(*machines, true);
  std::set<std::string> wanted;
  for (const auto& machine : decoded) wanted.insert(machine.uid);
  EnsureNodes(decoded);
  CarryOutRemovals();
  // Nodes no machine owns: a crash came between deleting a machine and queueing its removal.
  for (const std::string& uid : runtime_.List()) {
    if (!wanted.contains(uid) && MayAct() && runtime_.Remove(uid, StepFence()).ok()) Forget(uid);
  }
}

bool NodeController::ChangedMachines(std::uint64_t seen, std::set<std::string>& ids) {
  for (const std::string_view kind : {kMachineKind, kNodeRemovalKind}) {
    auto changes = store_.ChangesSince(seen, kind);
    if (!changes) return false;
    for (const auto& change : *changes) {
      if (kind == kNodeRemovalKind)
        ids.insert("");  // "" : removals to carry out
      else if (!change.deleted)
        ids.insert(change.id);
    }
  }
  return true;
}

void NodeController::Run(LeaderLease* leader) {
  bool leading = false;
  std::uint64_t seen = 0;
  auto last_sweep = std::chrono::steady_clock::time_point{};
  while (!stopping_) {
    const bool holds = leader == nullptr || leader->Hold();
    if (holds != leading) {
      leading = holds;
      metrics::SetNodeControllerLeader(leading);
      if (options_.on_leadership) options_.on_leadership(leading);
      sweep_now_ = true;  // a new leader looks at everything first
    }
    const std::uint64_t revision = store_.Revision();
    if (leading) {
      RestartDeadNodes();
      const auto now = std::chrono::steady_clock::now();
      std::set<std::string> changed;
      if (sweep_now_.exchange(false) || now - last_sweep >= options_.sweep ||
          !ChangedMachines(seen, changed)) {
        SyncOnce();
        last_sweep = now;
      } else {
        std::vector<store::Resource> rows;
        for (const std::string& id : changed) {
          if (id.empty()) continue;
          auto row = store_.Get(kMachineKind, id);
          if (row && row->has_value()) rows.push_back(**row);
        }
        EnsureNodes(Decoded(rows, false));
        if (changed.contains("")) CarryOutRemovals();
      }
    }
    seen = revision;
    // Wakes on the next commit; the lease is renewed well within its 6 s either way.
    store_.WaitForChange(seen, std::chrono::milliseconds(leader ? 1000 : 2000));
  }
  if (leading && options_.on_leadership) options_.on_leadership(false);
}

void NodeController::KeepLease(LeaderLease& leader) {
  std::unique_lock lock(keeper_mutex_);
  while (!stopping_) {
    lock.unlock();
    (void)leader.Hold();
    lock.lock();
    keeper_wake_.wait_for(lock, kKeeperPeriod, [this] { return stopping_.load(); });
  }
}

void NodeController::Start(LeaderLease* leader) {
  stopping_ = false;
  leader_ = leader;
  runtime_.WatchExits([this](const std::string& uid) { OnNodeExit(uid); });
  if (leader) keeper_ = std::thread([this, leader] { KeepLease(*leader); });
  worker_ = std::thread([this, leader] { Run(leader); });
}

void NodeController::Wake() { sweep_now_ = true; }

void NodeController::Stop() {
  {
    std::lock_guard lock(keeper_mutex_);
    stopping_ = true;
  }
  keeper_wake_.notify_all();
  if (keeper_.joinable()) keeper_.join();
  if (worker_.joinable()) {
    runtime_.WatchExits(nullptr);
    worker_.join();
  }
}

}  // namespace gangplank::controller
