// The pool reconciler: machine records, node addresses, batches of reimages, node readiness.
#include "controller/machines.h"

#include <openssl/evp.h>

#include <algorithm>
#include <set>

#include "common/random.h"
#include "resources/cluster_docs.h"

namespace gangplank::controller {
namespace json = boost::json;

using resources::kMachineKind;
using resources::kMachineType;
using resources::kPoolKind;
using resources::StringOr;

namespace {

// AKS's 8-digit scale-set number, stable per cluster.
std::string ScaleSetDigits(const std::string& cluster_id) {
  const std::string key = store::IdKey(cluster_id);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(key.data(), key.size(), digest, &length, EVP_sha256(), nullptr);
  const std::uint32_t number = (std::uint32_t{digest[0]} << 24 | std::uint32_t{digest[1]} << 16 |
                                std::uint32_t{digest[2]} << 8 | digest[3]) %
                               100000000u;
  char text[16];
  std::snprintf(text, sizeof text, "%08u", number);
  return text;
}

// aks-<pool>-<8 digits>-vmss<6 base-36 digits>, as AKS names scale-set instances.
std::string MachineName(const std::string& pool, const std::string& digits, std::int64_t index) {
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string suffix(6, '0');
  for (int i = 5; i >= 0 && index > 0; --i, index /= 36) {
    suffix[static_cast<std::size_t>(i)] = kDigits[index % 36];
  }
  return "aks-" + pool + "-" + digits + "-vmss" + suffix;
}

// Node addresses come from the node network's /16 (runtime/node_network.h), its .0.1 excepted. Each
// address in use has a lease row naming its machine; a cursor row remembers where the last search
// ended, so an allocation costs a few lookups however many machines exist. A lease whose machine is
// gone is free again: deleting a pool or cluster removes its machines but not their leases.
constexpr std::string_view kAddressLeaseKind = "nodeAddressLease";
constexpr std::string_view kAddressCursorKind = "nodeAddressCursor";
constexpr std::string_view kAddressRoot = "/gangplank/nodeAddresses";
constexpr int kAddressCount = 256 * 254;  // 127.42.H.L, L in 1..254

std::string AddressAt(const std::string& prefix, int index) {
  return prefix + "." + std::to_string(index / 254) + "." + std::to_string(index % 254 + 1);
}

// The desired state of a node provisioned now from the pool's model.
protocol::DesiredNodeState FromModel(const resources::PoolModel& model, const PoolTarget& target) {
  protocol::DesiredNodeState desired;
  desired.admin_username = model.ssh.admin_username;
  // No keys: the machine row refers to the model version (ServedDesiredState adds its keys).
  desired.ssh_enabled = model.ssh_access != "Disabled";
  desired.entra_id = model.ssh_access == "EntraId";
  desired.model_version = target.model_version;
  desired.image_version = target.image;
  desired.ssh_ca_generation = target.ssh_ca_generation;
  return desired;
}

}  // namespace

Result<int> AddressCursor::Claim(store::Store& store) {
  std::lock_guard lock(mutex_);
  if (!next_) {
    auto row = store.Get(kAddressCursorKind, kAddressRoot);
    if (!row) return row.error();
    next_ = row->has_value()
                ? static_cast<int>(json::parse((*row)->body).at("next").as_int64()) % kAddressCount
                : 0;
  }
  if (*next_ == 0) ++*next_;  // PREFIX.0.1 is the gateway: the node bridge's own address
  const int index = *next_;
  next_ = (index + 1) % kAddressCount;
  return index;
}

int AddressCursor::Peek() {
  std::lock_guard lock(mutex_);
  return next_.value_or(0);
}

NodeAddressAllocator::NodeAddressAllocator(store::Store& store, std::string prefix,
                                           AddressCursor* cursor)
    : store_(store), prefix_(std::move(prefix)), cursor_(cursor ? *cursor : own_cursor_) {}

Result<std::string> NodeAddressAllocator::Lease(const std::string& machine_id,
                                                std::vector<store::Mutation>& changes) {
  for (int probe = 0; probe < kAddressCount; ++probe) {
    GP_ASSIGN_OR_RETURN(const int index, cursor_.Claim(store_));
    if (taken_.contains(index)) continue;
    const std::string address = AddressAt(prefix_, index);
    const std::string lease_id = std::string(kAddressRoot) + "/" + address;
    auto lease = store_.Get(kAddressLeaseKind, lease_id);
    if (!lease) return lease.error();
    auto precondition = store::Precondition::Absent();
    if (lease->has_value()) {
      const std::string owner(json::parse((*lease)->body).at("machine").as_string());
      auto machine = store_.Get(kMachineKind, owner);
      if (!machine) return machine.error();
      if (machine->has_value()) continue;
      precondition = store::Precondition::AtVersion((*lease)->version);  // its machine is gone
    }
    taken_.insert(index);
    changes.push_back(store::Mutation::Put(
        store::Resource{std::string(kAddressLeaseKind), lease_id, std::string(kAddressRoot),
                        json::serialize(json::object{{"machine", machine_id}}), 0},
        precondition));
    return address;
  }
  return MakeError(StatusCode::kFailedPrecondition, "AddressSpaceExhausted",
                   "no free node address is left in " + prefix_ + ".0.0/16; delete unused pools");
}

void NodeAddressAllocator::Commit(std::vector<store::Mutation>& changes) {
  if (taken_.empty()) return;
  // A hint for the next start, written without a precondition: the leases guard the addresses.
  changes.push_back(store::Mutation::Put(
      store::Resource{std::string(kAddressCursorKind), std::string(kAddressRoot), "",
                      json::serialize(json::object{{"next", cursor_.Peek()}}), 0}));
}

namespace {

// After a cancel: done when every node already told to change has got there (or failed for
// good) and no removal is pending; nothing new starts.
Result<PoolProgress> Settled(store::Store& store, const std::string& pool_id,
                             const std::vector<Machine>& machines, const PoolTarget& target,
                             const ReconcileOptions& options) {
  PoolProgress progress;
  progress.total = static_cast<int>(machines.size());
  bool settled = true;
  for (const Machine& machine : machines) {
    const bool ready = NodeReady(machine);
    if (ready && (!options.reimage || OnTarget(machine, target))) ++progress.current;
    settled = settled && (ready || FailedForGood(machine));
  }
  auto removals = NodesPendingRemoval(store, pool_id);
  if (!removals) return removals.error();
  progress.done = settled && !*removals;
  return progress;
}

}  // namespace

namespace {

// One pass of ReconcilePool over a pool's machines: what it reads once, and the writes it adds.
struct PoolPass {
  const store::Resource& pool_row;
  const resources::PoolRecord& pool;
  const PoolTarget target;
  const int count;      // machines the pool should have
  const int keep;       // of the machines there, the ones that stay
  const bool running;   // the pool's powerState
  const long long now;  // Unix seconds
  std::vector<Machine>& machines;
  PoolProgress& progress;

  void Write(const Machine& machine) {
    progress.changes.push_back(store::Mutation::Put(
        MachineRow(machine), store::Precondition::AtVersion(machine.row.version)));
  }
};

// Scale in: the highest-numbered machines go first.
void ScaleIn(PoolPass& pass) {
  for (std::size_t i = static_cast<std::size_t>(pass.keep); i < pass.machines.size(); ++i) {
    const Machine& gone = pass.machines[i];
    RemoveMachine(gone.row.id, gone.uid, pass.pool_row.id, pass.progress.changes);
  }
}

// Reimage in batches: a machine counts against maxSurge from the moment it is told to reimage
// until its agent reports the new state. Returns the machines told now.
Result<std::set<std::size_t>> Reimage(PoolPass& pass, const ReconcileOptions& options) {
  int busy = 0;
  std::vector<std::size_t> pending;
  for (std::size_t i = 0; i < static_cast<std::size_t>(pass.keep); ++i) {
    const Machine& machine = pass.machines[i];
    if (!NodeReady(machine)) ++busy;
    if (options.reimage && !OnTarget(machine, pass.target)) pending.push_back(i);
  }
  GP_ASSIGN_OR_RETURN(const int surge, SurgeOf(pass.pool.properties(), pass.count));
  std::set<std::size_t> told;
  for (std::size_t i : pending) {
    if (busy + static_cast<int>(told.size()) >= surge) break;
    Machine& machine = pass.machines[i];
    const protocol::DesiredNodeState before = machine.desired;
    machine.desired = FromModel(pass.pool.model, pass.target);
    machine.desired.running = pass.running;
    machine.desired.node_name = before.node_name;
    machine.desired.address = before.address;
    machine.desired.port = before.port;
    machine.desired.reimage_generation = before.reimage_generation + 1;
    machine.desired_at = pass.now;
    pass.Write(machine);
    told.insert(i);
  }
  return told;
}

// Stop and start (powerState): every node at once, keeping its model, image and host keys.
void ApplyPower(PoolPass& pass, const std::set<std::size_t>& reimaged) {
  for (std::size_t i = 0; i < static_cast<std::size_t>(pass.keep); ++i) {
    Machine& machine = pass.machines[i];
    if (reimaged.contains(i) || machine.desired.running == pass.running) continue;
    machine.desired.running = pass.running;
    machine.desired_at = pass.now;
    pass.Write(machine);
  }
}

// Scale out: new machines on the latest model and image, each with an address of its own.
Status ScaleOut(PoolPass& pass, NodeAddressAllocator& addresses) {
  std::int64_t next =
      pass.keep == 0 ? 0 : pass.machines[static_cast<std::size_t>(pass.keep - 1)].index + 1;
  const std::string digits = ScaleSetDigits(pass.pool_row.parent);
  for (int n = pass.keep; n < pass.count; ++n, ++next) {
    protocol::DesiredNodeState desired = FromModel(pass.pool.model, pass.target);
    desired.running = pass.running;
    desired.node_name = MachineName(pass.pool.name(), digits, next);
    desired.reimage_generation = 1;
    GP_ASSIGN_OR_RETURN(desired.address,
                        addresses.Lease(pass.pool_row.id + "/machines/" + desired.node_name,
                                        pass.progress.changes));
    const Machine machine =
        resources::NewMachine(pass.pool_row.id, next, NewUuid(), std::move(desired), pass.now);
    pass.progress.changes.push_back(
        store::Mutation::Put(MachineRow(machine), store::Precondition::Absent()));
  }
  return OkStatus();
}

// Counts the machines ready on the target, and fails the pass for a node that cannot come up
// or has not been ready for longer than the node timeout. The timeout counts from the later of
// the node's change and the pool's last progress (a node of the pool becoming ready): a node
// waiting its turn behind many others (a pool of 1,000 started eight at a time) is not failed
// while the others keep coming up, and one that is stuck fails once the pool stops moving.
void Assess(PoolPass& pass, const ReconcileOptions& options) {
  long long progress_at = 0;
  for (std::size_t i = 0; i < static_cast<std::size_t>(pass.keep); ++i) {
    if (NodeReady(pass.machines[i]))
      progress_at = std::max(progress_at, pass.machines[i].ready_since);
  }
  for (std::size_t i = 0; i < static_cast<std::size_t>(pass.keep); ++i) {
    const Machine& machine = pass.machines[i];
    const bool ready = NodeReady(machine);
    if (ready && (!options.reimage || OnTarget(machine, pass.target))) ++pass.progress.current;
    if (ready) continue;
    const std::string node =
        "node " + machine.desired.node_name + " (" + machine.desired.address + ")";
    const long long unready_for = pass.now - std::max(UnreadySince(machine), progress_at);
    if (FailedForGood(machine)) {
      // Waiting cannot help (sshd refuses its configuration, a binary is missing, …): fail now.
      pass.progress.failure = node + " cannot be provisioned: " + machine.status->message;
    } else if (unready_for > options.node_timeout.count()) {
      pass.progress.failure =
          node + " has not been ready for " + std::to_string(unready_for) + " s: " +
          (machine.status ? machine.status->message.empty()
                                ? "its sshd reports " + machine.status->sshd_health
                                : machine.status->message
                          : "its agent never reported");
    }
  }
}

// The pool's node count, from a record that may be corrupt.
Result<int> CountOf(const resources::PoolRecord& pool) {
  const json::value* count = pool.properties().if_contains("count");
  if (!count || !count->is_int64())
    return MakeError(StatusCode::kInternal, "CorruptRecord", pool.id + " has no node count");
  return static_cast<int>(count->get_int64());
}

}  // namespace

Result<PoolProgress> ReconcilePool(store::Store& store, const store::Resource& pool_row,
                                   NodeImageCatalog& images, const Clock& clock,
                                   const ReconcileOptions& options,
                                   NodeAddressAllocator& addresses) {
  GP_ASSIGN_OR_RETURN(const resources::PoolRecord pool, resources::PoolRecord::Decode(pool_row));
  GP_ASSIGN_OR_RETURN(const int count, CountOf(pool));
  GP_ASSIGN_OR_RETURN(std::vector<Machine> machines, MachinesOf(store, pool_row.id));
  GP_ASSIGN_OR_RETURN(const PoolTarget target, TargetOf(store, pool, images));
  if (!options.start_new_work) return Settled(store, pool_row.id, machines, target, options);
  PoolProgress progress;
  progress.total = count;
  PoolPass pass{pool_row,
                pool,
                target,
                count,
                std::min(count, static_cast<int>(machines.size())),
                PoolRunning(pool.properties()),
                UnixSeconds(clock.Now()),
                machines,
                progress};
  ScaleIn(pass);
  GP_ASSIGN_OR_RETURN(const std::set<std::size_t> reimaged, Reimage(pass, options));
  ApplyPower(pass, reimaged);
  GP_RETURN_IF_ERROR(ScaleOut(pass, addresses));
  Assess(pass, options);
  GP_ASSIGN_OR_RETURN(const bool removals, NodesPendingRemoval(store, pool_row.id));
  progress.done = progress.changes.empty() && !removals && progress.current == count;
  return progress;
}

Result<std::vector<store::Mutation>> RemoveMachines(store::Store& store,
                                                    const std::string& owner_id) {
  std::vector<store::Mutation> changes;
  auto machines = store.ListKind(kMachineKind);
  if (!machines) return machines.error();
  const std::string prefix = store::IdKey(owner_id) + "/";
  for (const auto& row : *machines) {
    if (!store::IdKey(row.id).starts_with(prefix)) continue;
    auto machine = resources::DecodeMachine(row);
    if (!machine) return machine.error();
    RemoveMachine(row.id, machine->uid, owner_id, changes);
  }
  return changes;
}

Result<std::vector<store::Resource>> RemovalsOf(store::Store& store, const std::string& owner_id) {
  auto rows = store.List(kNodeRemovalKind, kNodeRemovalRoot);
  if (!rows) return rows.error();
  const std::string owner = store::IdKey(owner_id);
  std::vector<store::Resource> owned;
  for (auto& row : *rows) {
    const std::string row_owner = store::IdKey(json::parse(row.body).at("owner").as_string());
    if (row_owner == owner || row_owner.starts_with(owner + "/")) owned.push_back(std::move(row));
  }
  return owned;
}

Result<bool> NodesPendingRemoval(store::Store& store, const std::string& owner_id) {
  auto rows = RemovalsOf(store, owner_id);
  if (!rows) return rows.error();
  return !rows->empty();
}

}  // namespace gangplank::controller
