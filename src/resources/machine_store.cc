// Machine rows in the store: a pool's machines read with as much detail as asked, what the node
// protocol writes (reports, renewed tokens), removals, and the ARM view of a machine.
#include "resources/machine_store.h"

#include <algorithm>
#include <boost/json.hpp>

#include "resources/pool_spec.h"

namespace gangplank::resources {
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxLogBytes = 64 * 1024;  // per machine, newest kept
constexpr std::size_t kMaxLogins = 200;
constexpr long long kHeartbeatSeconds = 300;  // an unchanged report is written this often

Result<Machine> MachineFrom(store::Store& store, const store::Resource& row, MachineDetail detail) {
  auto machine = resources::DecodeMachine(row);
  if (!machine || detail == MachineDetail::kDesired) return machine;
  auto status_row = store.Get(kMachineStatusKind, MachineStatusId(row.id));
  if (!status_row) return status_row.error();
  if (status_row->has_value())
    resources::DecodeMachineStatus(**status_row, detail == MachineDetail::kLogs, *machine);
  return machine;
}

}  // namespace

store::Resource MachineRow(const Machine& machine) { return EncodeMachine(machine); }

bool OnTarget(const Machine& machine, const PoolTarget& target) {
  return machine.desired.model_version == target.model_version &&
         machine.desired.image_version == target.image &&
         (!machine.desired.entra_id || machine.desired.ssh_ca_generation >= target.ssh_ca_generation);
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

Result<protocol::DesiredNodeState> ServedDesiredState(store::Store& store, const Machine& machine) {
  protocol::DesiredNodeState desired = machine.desired;
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
  const protocol::NodeStatus& status = *machine.status;
  const protocol::DesiredNodeState& desired = machine.desired;
  if (status.reimage_generation != desired.reimage_generation ||
      status.applied_model_version != desired.model_version ||
      status.image_version != desired.image_version || status.ssh_enabled != desired.ssh_enabled ||
      status.entra_id != desired.entra_id) {
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

Result<PoolTarget> TargetOf(store::Store& store, const PoolRecord& pool, NodeImageCatalog& images) {
  PoolTarget target;
  target.model_version = pool.model.version;
  target.image = images.Latest(StringOr(pool.properties(), "osSKU", "Ubuntu"));
  GP_ASSIGN_OR_RETURN(const auto cas, LoadCaSet(store));
  if (cas) {
    target.ssh_ca_generation = cas->Signing().generation;
    target.ssh_cas = std::make_shared<const SshUserCaSet>(std::move(*cas));
  }
  return target;
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
                        const protocol::NodeStatus& status,
                        const std::vector<protocol::LoginEvent>& logins,
                        const std::string& new_log_lines, const Clock& clock,
                        HeartbeatBatch* heartbeats) {
  auto machine = GetMachine(store, machine_id, MachineDetail::kLogs);  // it appends to them
  if (!machine) return machine.error();
  if (!machine->has_value() || (*machine)->uid != uid) {
    return MakeError(StatusCode::kNotFound, "MachineGone",
                     "this node's machine no longer exists; the node is being removed");
  }
  const long long now = UnixSeconds(clock.Now());
  const std::string status_json = protocol::NodeStatusJson(status);
  const bool same = (*machine)->status && protocol::NodeStatusJson(*(*machine)->status) == status_json;
  if (same && logins.empty() && new_log_lines.empty()) {
    if (now - (*machine)->reported_at < kHeartbeatSeconds) return OkStatus();  // no write at all
    if (heartbeats != nullptr) {
      heartbeats->Note(machine_id, uid, now);
      return OkStatus();
    }
  }
  std::string log = (*machine)->log + new_log_lines;
  if (log.size() > kMaxLogBytes) {
    log = log.substr(log.size() - kMaxLogBytes);
    log = log.substr(std::min(log.size(), log.find('\n') + 1));
  }
  std::vector<protocol::LoginEvent> all = (*machine)->logins;
  for (protocol::LoginEvent login : logins) {
    login.model_version = status.applied_model_version;  // what the node says it runs now
    all.push_back(std::move(login));
  }
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
                   {"logins", json::parse(protocol::LoginEventsJson(all))}};
  if (not_ready_since != 0) doc["notReadySince"] = not_ready_since;
  const Machine& before = **machine;
  const bool ready_before = before.ready_since != 0 && before.status &&
                            before.status->reimage_generation == status.reimage_generation;
  if (NodeReady(reported)) doc["readySince"] = ready_before ? before.ready_since : now;
  auto written =
      store.Put(store::Resource{std::string(kMachineStatusKind), MachineStatusId(machine_id),
                                machine_id, json::serialize(doc), 0},
                store::Precondition::Any());
  if (!written) return written.error();
  return OkStatus();
}

const char* MachineState(const Machine& machine) {
  const bool ready = NodeReady(machine);
  if (!machine.status) return "Provisioning";
  if (machine.status->reimage_generation != machine.desired.reimage_generation) return "Reimaging";
  if (ready && !machine.desired.running) return "Stopped";
  if (ready) return "Running";
  return machine.status->sshd_health == "Starting" ? "Provisioning"
         : FailedForGood(machine)                  ? "Failed"
                                                   : "Unhealthy";
}

json::object MachineView(const Machine& machine, const PoolTarget& target) {
  json::object resource = json::parse(machine.row.body).at("resource").as_object();
  json::object& properties = resource["properties"].as_object();
  const bool ready = NodeReady(machine);
  properties["state"] = MachineState(machine);
  properties["port"] = machine.desired.port;
  properties["sshAccess"] =
      protocol::SshAccessName(machine.desired.ssh_enabled, machine.desired.entra_id);
  if (machine.desired.entra_id && target.ssh_cas) {  // the CA generations its sshd trusts now
    json::array trusted;
    for (int generation : target.ssh_cas->TrustedGenerationsOf(machine.desired.ssh_ca_generation))
      trusted.emplace_back(generation);
    properties["sshCaGenerations"] = std::move(trusted);
  }
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

}  // namespace gangplank::resources
