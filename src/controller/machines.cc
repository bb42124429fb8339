// The pool reconciler: machine records, node addresses, batches of reimages, node readiness.
#include "controller/machines.h"

#include <openssl/evp.h>

#include <algorithm>
#include <set>

#include "common/random.h"
#include "resources/cluster_docs.h"

namespace gangplank::controller {
namespace json = boost::json;

using resources::kMachineType;
using resources::kMachineKind;
using resources::kPoolKind;
using resources::StringOr;

namespace {

constexpr std::size_t kMaxLogBytes = 64 * 1024;  // per machine, newest kept
constexpr std::size_t kMaxLogins = 200;
constexpr long long kHeartbeatSeconds = 300;  // an unchanged report is written this often

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

using resources::MachineStatusId;

Result<Machine> MachineFrom(store::Store& store, const store::Resource& row, MachineDetail detail) {
  auto machine = resources::DecodeMachine(row);
  if (!machine || detail == MachineDetail::kDesired) return machine;
  auto status_row = store.Get(kMachineStatusKind, MachineStatusId(row.id));
  if (!status_row) return status_row.error();
  if (status_row->has_value())
    resources::DecodeMachineStatus(**status_row, detail == MachineDetail::kLogs, *machine);
  return machine;
}

store::Resource MachineRow(const Machine& machine) { return resources::EncodeMachine(machine); }

bool OnTarget(const Machine& machine, const PoolTarget& target) {
  return machine.desired.model_version == target.model_version &&
         machine.desired.image_version == target.image;
}

// The desired state of a node provisioned now from the pool's model.
node::DesiredNodeState FromModel(const resources::PoolModel& model, const PoolTarget& target) {
  node::DesiredNodeState desired;
  desired.admin_username = model.ssh.admin_username;
  // No keys: the machine row refers to the model version (ServedDesiredState adds its keys).
  desired.ssh_enabled = model.ssh_access != "Disabled";
  desired.model_version = target.model_version;
  desired.image_version = target.image;
  return desired;
}

}  // namespace

NodeAddressAllocator::NodeAddressAllocator(store::Store& store, std::string prefix)
    : store_(store), prefix_(std::move(prefix)) {}

Result<std::string> NodeAddressAllocator::Lease(const std::string& machine_id,
                                                std::vector<store::Mutation>& changes) {
  if (!cursor_) {
    auto row = store_.Get(kAddressCursorKind, kAddressRoot);
    if (!row) return row.error();
    cursor_version_ = row->has_value() ? (*row)->version : 0;
    cursor_ =
        row->has_value() ? static_cast<int>(json::parse((*row)->body).at("next").as_int64()) : 0;
  }
  for (int probe = 0; probe < kAddressCount; ++probe) {
    const int index = (*cursor_ + probe) % kAddressCount;
    if (index == 0) continue;  // PREFIX.0.1 is the gateway: the node bridge's own address
    const std::string address = AddressAt(prefix_, index);
    if (taken_.contains(address)) continue;
    const std::string lease_id = std::string(kAddressRoot) + "/" + address;
    auto lease = store_.Get(kAddressLeaseKind, lease_id);
    if (!lease) return lease.error();
    if (lease->has_value()) {
      const std::string owner(json::parse((*lease)->body).at("machine").as_string());
      auto machine = store_.Get(kMachineKind, owner);
      if (!machine) return machine.error();
      if (machine->has_value()) continue;
    }
    taken_.insert(address);
    cursor_ = (index + 1) % kAddressCount;
    changes.push_back(store::Mutation::Put(
        store::Resource{std::string(kAddressLeaseKind), lease_id, std::string(kAddressRoot),
                        json::serialize(json::object{{"machine", machine_id}}), 0}));
    return address;
  }
  return MakeError(StatusCode::kFailedPrecondition, "AddressSpaceExhausted",
                   "no free node address is left in " + prefix_ + ".0.0/16; delete unused pools");
}

void NodeAddressAllocator::Commit(std::vector<store::Mutation>& changes) {
  if (taken_.empty()) return;
  changes.push_back(store::Mutation::Put(
      store::Resource{std::string(kAddressCursorKind), std::string(kAddressRoot), "",
                      json::serialize(json::object{{"next", *cursor_}}), 0},
      store::Precondition::AtVersion(cursor_version_)));
}

void RemoveMachine(const std::string& machine_id, const std::string& uid,
                   const std::string& owner_id, std::vector<store::Mutation>& changes) {
  changes.push_back(store::Mutation::Delete(std::string(kMachineKind), machine_id));
  changes.push_back(store::Mutation::Put(store::Resource{
      std::string(kNodeRemovalKind), std::string(kNodeRemovalRoot) + "/" + uid,
      std::string(kNodeRemovalRoot),
      json::serialize(json::object{{"owner", owner_id}, {"machine", machine_id}}), 0}));
}

Result<std::vector<Machine>> MachinesOf(store::Store& store, const std::string& pool_id,
                                        MachineDetail detail) {
  auto rows = store.List(kMachineKind, pool_id);
  if (!rows) return rows.error();
  std::vector<Machine> machines;
  for (const auto& row : *rows) {
    auto machine = MachineFrom(store, row, detail);
    if (!machine) return machine.error();
    machines.push_back(std::move(machine.value()));
  }
  std::sort(machines.begin(), machines.end(),
            [](const Machine& a, const Machine& b) { return a.index < b.index; });
  return machines;
}

Result<std::optional<Machine>> GetMachine(store::Store& store, const std::string& machine_id,
                                          MachineDetail detail) {
  auto row = store.Get(kMachineKind, machine_id);
  if (!row) return row.error();
  if (!row->has_value()) return std::optional<Machine>();
  auto machine = MachineFrom(store, **row, detail);
  if (!machine) return machine.error();
  return std::optional<Machine>(std::move(machine.value()));
}

Result<node::DesiredNodeState> ServedDesiredState(store::Store& store, const Machine& machine) {
  node::DesiredNodeState desired = machine.desired;
  auto pool_row = store.Get(kPoolKind, machine.row.parent);
  if (!pool_row) return pool_row.error();
  if (!pool_row->has_value()) return desired;  // the pool is going: nothing new to serve
  auto pool = resources::PoolRecord::Decode(**pool_row);
  if (!pool) return pool.error();
  // A machine row written before rows stopped copying keys still has its own.
  if (const auto* keys = pool->model.KeysOf(desired.model_version)) desired.public_keys = *keys;
  return desired;
}

bool NodeReady(const Machine& machine) {
  if (!machine.status) return false;
  const node::NodeStatus& status = *machine.status;
  const node::DesiredNodeState& desired = machine.desired;
  if (status.reimage_generation != desired.reimage_generation ||
      status.applied_model_version != desired.model_version ||
      status.image_version != desired.image_version || status.ssh_enabled != desired.ssh_enabled) {
    return false;
  }
  return status.sshd_health == desired.SettledHealth();
}

bool FailedForGood(const Machine& machine) {
  return machine.status && machine.status->sshd_health == "Failed" &&
         machine.status->failed_generation == machine.desired.reimage_generation;
}

// Since when a machine that is not ready has been so: since it was told to change, or since its
// reports stopped saying it was ready, whichever is later. One bad report of a node that has been
// fine for days does not fail the next operation.
long long UnreadySince(const Machine& machine) {
  return std::max(machine.desired_at, machine.not_ready_since);
}

PoolTarget TargetOf(const resources::PoolRecord& pool, NodeImageCatalog& images) {
  return PoolTarget{pool.model.version,
                    images.Latest(StringOr(pool.properties(), "osSKU", "Ubuntu"))};
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

Result<PoolProgress> ReconcilePool(store::Store& store, const store::Resource& pool_row,
                                   NodeImageCatalog& images, const Clock& clock,
                                   const ReconcileOptions& options,
                                   NodeAddressAllocator& addresses) {
  auto record = resources::PoolRecord::Decode(pool_row);
  if (!record) return record.error();
  const json::object& properties = record->properties();
  const resources::PoolModel& model = record->model;
  const PoolTarget target = TargetOf(*record, images);
  const json::value* count_field = properties.if_contains("count");
  if (!count_field || !count_field->is_int64()) {
    return MakeError(StatusCode::kInternal, "CorruptRecord", pool_row.id + " has no node count");
  }
  const int count = static_cast<int>(count_field->get_int64());
  const std::string pool = record->name();
  const long long now = UnixSeconds(clock.Now());
  auto machines = MachinesOf(store, pool_row.id);
  if (!machines) return machines.error();

  PoolProgress progress;
  progress.total = count;
  if (!options.start_new_work) return Settled(store, pool_row.id, *machines, target, options);
  const int existing = static_cast<int>(machines->size());
  const int keep = std::min(count, existing);
  // Scale in: the highest-numbered machines go first.
  for (int i = keep; i < existing; ++i) {
    const Machine& gone = (*machines)[static_cast<std::size_t>(i)];
    RemoveMachine(gone.row.id, gone.uid, pool_row.id, progress.changes);
  }

  // Reimage in batches: a machine counts against maxSurge from the moment it is told to reimage
  // until its agent reports the new state.
  int busy = 0;
  std::vector<std::size_t> pending;
  for (int i = 0; i < keep; ++i) {
    const Machine& machine = (*machines)[static_cast<std::size_t>(i)];
    if (!NodeReady(machine)) ++busy;
    if (options.reimage && !OnTarget(machine, target))
      pending.push_back(static_cast<std::size_t>(i));
  }
  auto surge = SurgeOf(properties, count);
  if (!surge) return surge.error();
  const bool running = PoolRunning(properties);
  int started = 0;
  std::set<std::size_t> changed;
  for (std::size_t i : pending) {
    if (busy + started >= *surge) break;
    Machine machine = (*machines)[i];
    const node::DesiredNodeState before = machine.desired;
    machine.desired = FromModel(model, target);
    machine.desired.running = running;
    machine.desired.node_name = before.node_name;
    machine.desired.address = before.address;
    machine.desired.port = before.port;
    machine.desired.reimage_generation = before.reimage_generation + 1;
    machine.desired_at = now;
    progress.changes.push_back(store::Mutation::Put(
        MachineRow(machine), store::Precondition::AtVersion(machine.row.version)));
    (*machines)[i] = machine;
    changed.insert(i);
    ++started;
  }

  // Stop and start (powerState): every node at once, keeping its model, image and host keys.
  for (std::size_t i = 0; i < static_cast<std::size_t>(keep); ++i) {
    Machine& machine = (*machines)[i];
    if (changed.contains(i) || machine.desired.running == running) continue;
    machine.desired.running = running;
    machine.desired_at = now;
    progress.changes.push_back(store::Mutation::Put(
        MachineRow(machine), store::Precondition::AtVersion(machine.row.version)));
  }

  // Scale out: new machines on the latest model and image.
  std::int64_t next = keep == 0 ? 0 : (*machines)[static_cast<std::size_t>(keep - 1)].index + 1;
  const std::string digits = ScaleSetDigits(pool_row.parent);
  for (int n = keep; n < count; ++n, ++next) {
    const std::string name = MachineName(pool, digits, next);
    const std::string id = pool_row.id + "/machines/" + name;
    auto address = addresses.Lease(id, progress.changes);
    if (!address) return address.error();
    node::DesiredNodeState desired = FromModel(model, target);
    desired.running = running;
    desired.node_name = name;
    desired.address = *address;
    desired.reimage_generation = 1;
    const json::object resource{
        {"id", id},
        {"name", name},
        {"type", kMachineType},
        {"properties",
         json::object{{"network", json::object{{"ipAddresses",
                                                json::array{json::object{{"family", "IPv4"},
                                                                         {"ip", *address}}}}}}}}};
    const json::object machine{
        {"resource", resource}, {"index", next},
        {"uid", NewUuid()},     {"desired", json::parse(node::DesiredNodeStateJson(desired))},
        {"desiredAt", now},     {"createdAt", now}};
    progress.changes.push_back(store::Mutation::Put(
        store::Resource{std::string(kMachineKind), id, pool_row.id, json::serialize(machine), 0},
        store::Precondition::Absent()));
  }

  for (int i = 0; i < keep; ++i) {
    const Machine& machine = (*machines)[static_cast<std::size_t>(i)];
    const bool ready = NodeReady(machine);
    if (ready && (!options.reimage || OnTarget(machine, target))) ++progress.current;
    if (ready) continue;
    const std::string node =
        "node " + machine.desired.node_name + " (" + machine.desired.address + ")";
    if (FailedForGood(machine)) {
      // Waiting cannot help (sshd refuses its configuration, a binary is missing, …): fail now.
      progress.failure = node + " cannot be provisioned: " + machine.status->message;
    } else if (now - UnreadySince(machine) > options.node_timeout.count()) {
      progress.failure = node + " has not been ready for " +
                         std::to_string(now - UnreadySince(machine)) + " s: " +
                         (machine.status ? machine.status->message.empty()
                                               ? "its sshd reports " + machine.status->sshd_health
                                               : machine.status->message
                                         : "its agent never reported");
    }
  }
  auto removals = NodesPendingRemoval(store, pool_row.id);
  if (!removals) return removals.error();
  progress.done = progress.changes.empty() && !*removals && progress.current == count;
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

Status ReplaceNodeTokens(store::Store& store, const std::string& machine_id,
                         const std::string& uid, long long expires_at) {
  for (int attempt = 0;; ++attempt) {
    auto machine = GetMachine(store, machine_id, MachineDetail::kDesired);
    if (!machine) return machine.error();
    if (!machine->has_value() || (*machine)->uid != uid) {
      return MakeError(StatusCode::kNotFound, "MachineGone",
                       "this node's machine no longer exists; the node is being removed");
    }
    Machine renewed = **machine;
    if (renewed.min_token_expiry >= expires_at) return OkStatus();
    renewed.min_token_expiry = expires_at;
    auto written = store.Put(resources::EncodeMachine(renewed),
                             store::Precondition::AtVersion(renewed.row.version));
    if (written || written.error().code != StatusCode::kAborted || attempt == 4)
      return written ? OkStatus() : Status(written.error());
  }
}

Status RecordNodeReport(store::Store& store, const std::string& machine_id, const std::string& uid,
                        const node::NodeStatus& status, const std::vector<node::LoginEvent>& logins,
                        const std::string& new_log_lines, const Clock& clock) {
  auto machine = GetMachine(store, machine_id, MachineDetail::kLogs);  // it appends to them
  if (!machine) return machine.error();
  if (!machine->has_value() || (*machine)->uid != uid) {
    return MakeError(StatusCode::kNotFound, "MachineGone",
                     "this node's machine no longer exists; the node is being removed");
  }
  const long long now = UnixSeconds(clock.Now());
  const std::string status_json = node::NodeStatusJson(status);
  const bool same = (*machine)->status && node::NodeStatusJson(*(*machine)->status) == status_json;
  if (same && logins.empty() && new_log_lines.empty() &&
      now - (*machine)->reported_at < kHeartbeatSeconds) {
    return OkStatus();  // nothing new: no durable write
  }
  std::string log = (*machine)->log + new_log_lines;
  if (log.size() > kMaxLogBytes) {
    log = log.substr(log.size() - kMaxLogBytes);
    log = log.substr(std::min(log.size(), log.find('\n') + 1));
  }
  std::vector<node::LoginEvent> all = (*machine)->logins;
  all.insert(all.end(), logins.begin(), logins.end());
  if (all.size() > kMaxLogins) all.erase(all.begin(), all.end() - kMaxLogins);
  Machine reported = **machine;
  reported.status = status;
  const long long not_ready_since = NodeReady(reported)           ? 0
                                    : (*machine)->not_ready_since ? (*machine)->not_ready_since
                                                                  : now;
  json::object doc{{"uid", uid},
                   {"status", json::parse(status_json)},
                   {"reportedAt", now},
                   {"log", log},
                   {"logins", json::parse(node::LoginEventsJson(all))}};
  if (not_ready_since != 0) doc["notReadySince"] = not_ready_since;
  auto written =
      store.Put(store::Resource{std::string(kMachineStatusKind), MachineStatusId(machine_id),
                                machine_id, json::serialize(doc), 0},
                store::Precondition::Any());
  if (!written) return written.error();
  return OkStatus();
}

json::object MachineView(const Machine& machine, const PoolTarget& target) {
  json::object resource = json::parse(machine.row.body).at("resource").as_object();
  json::object& properties = resource["properties"].as_object();
  const bool ready = NodeReady(machine);
  std::string state = "Running";
  if (!machine.status) {
    state = "Provisioning";
  } else if (machine.status->reimage_generation != machine.desired.reimage_generation) {
    state = "Reimaging";
  } else if (ready && !machine.desired.running) {
    state = "Stopped";
  } else if (!ready) {
    state = machine.status->sshd_health == "Starting" ? "Provisioning"
            : FailedForGood(machine)                  ? "Failed"
                                                      : "Unhealthy";
  }
  properties["state"] = state;
  properties["port"] = machine.desired.port;
  properties["sshAccess"] = machine.desired.ssh_enabled ? "LocalUser" : "Disabled";
  properties["desiredModelVersion"] = machine.desired.model_version;
  properties["appliedModelVersion"] =
      machine.status ? json::value(machine.status->applied_model_version) : json::value(nullptr);
  properties["nodeImageVersion"] =
      machine.status ? machine.status->image_version : machine.desired.image_version;
  properties["latestModelApplied"] = ready && OnTarget(machine, target);
  json::array fingerprints;
  if (machine.status) {
    for (const auto& fingerprint : machine.status->host_key_fingerprints)
      fingerprints.emplace_back(fingerprint);
    properties["sshdHealth"] = machine.status->sshd_health;
    if (!machine.status->message.empty()) properties["statusMessage"] = machine.status->message;
  }
  properties["hostKeyFingerprints"] = std::move(fingerprints);
  json::array host_keys;
  if (machine.status) {
    for (const auto& key : machine.status->host_keys) host_keys.emplace_back(key);
  }
  properties["hostKeys"] = std::move(host_keys);
  return resource;
}

}  // namespace gangplank::controller
