// Codecs of the cluster and pool records.
#include "resources/records.h"

#include <charconv>

namespace gangplank::resources {
namespace json = boost::json;

namespace {

Error Corrupt(const std::string& id, std::string_view what) {
  return MakeError(StatusCode::kInternal, "CorruptRecord",
                   "the stored record of " + id + " is unreadable (" + std::string(what) +
                       "); it can still be deleted, and made again");
}

std::string StringAt(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value && value->is_string() ? std::string(value->get_string()) : std::string();
}

// Parses a row's body as an object holding an object "resource", which moves into `record`
// with the row's identity; the rest of the body is returned for the record's own fields.
Result<json::object> Body(const store::Resource& row, ArmRecord& record) {
  boost::system::error_code ec;
  json::value doc = json::parse(row.body, ec);
  if (ec || !doc.is_object()) return Corrupt(row.id, "not a JSON object");
  json::value* resource = doc.as_object().if_contains("resource");
  if (!resource || !resource->is_object()) return Corrupt(row.id, "no resource");
  record.id = row.id;
  record.parent = row.parent;
  record.version = row.version;
  record.resource = std::move(resource->as_object());
  return std::move(doc.as_object());
}

}  // namespace

json::object SshJson(const SshModel& ssh) {
  json::array keys;
  for (const auto& key : ssh.public_keys) keys.push_back(json::value(key));
  return json::object{{"adminUsername", ssh.admin_username},
                      {"publicKeys", std::move(keys)},
                      {"serviceGenerated", ssh.service_generated}};
}

SshModel SshFromJson(const json::object& doc) {
  SshModel ssh;
  ssh.admin_username = StringAt(doc, "adminUsername");
  if (const auto* keys = doc.if_contains("publicKeys"); keys && keys->is_array()) {
    for (const auto& key : keys->get_array())
      if (key.is_string()) ssh.public_keys.emplace_back(key.get_string());
  }
  const json::value* generated = doc.if_contains("serviceGenerated");
  ssh.service_generated = generated && generated->is_bool() && generated->get_bool();
  return ssh;
}

json::object& ArmRecord::properties() {
  json::value& value = resource["properties"];
  if (!value.is_object()) value = json::object{};
  return value.as_object();
}

const json::object& ArmRecord::properties() const {
  static const json::object empty;
  const json::value* value = resource.if_contains("properties");
  return value && value->is_object() ? value->get_object() : empty;
}

std::string ArmRecord::provisioning_state() const {
  return StringAt(properties(), "provisioningState");
}

void ArmRecord::set_provisioning_state(std::string_view state) {
  properties()["provisioningState"] = state;
}

bool ArmRecord::stopped() const {
  const json::value* power = properties().if_contains("powerState");
  return power && power->is_object() && StringAt(power->get_object(), "code") == "Stopped";
}

void ArmRecord::set_power(bool running) {
  properties()["powerState"] = json::object{{"code", running ? "Running" : "Stopped"}};
}

Result<ClusterRecord> ClusterRecord::Decode(const store::Resource& row) {
  ClusterRecord record;
  auto doc = Body(row, record);
  if (!doc) return doc.error();
  if (const auto* ssh = doc->if_contains("ssh"); ssh && ssh->is_object())
    record.ssh = SshFromJson(ssh->get_object());
  record.uid = StringAt(*doc, "uid");
  if (const json::value* generation = doc->if_contains("credentialGeneration");
      generation && generation->is_int64() && generation->get_int64() > 0)
    record.credential_generation = generation->get_int64();
  return record;
}

store::Resource ClusterRecord::Encode() const {
  json::object doc{{"resource", resource},
                   {"ssh", SshJson(ssh)},
                   {"uid", uid},
                   {"credentialGeneration", credential_generation}};
  return store::Resource{std::string(kClusterKind), id, parent, json::serialize(doc), version};
}

std::string ClusterRecord::location() const { return StringAt(resource, "location"); }

const std::vector<std::string>* PoolModel::KeysOf(std::int64_t model_version) const {
  if (model_version == version) return &ssh.public_keys;
  const auto found = earlier_keys.find(model_version);
  return found == earlier_keys.end() ? nullptr : &found->second;
}

void PoolModel::StartNextVersion(std::vector<std::string> keys_until_now) {
  earlier_keys[version] = std::move(keys_until_now);
  ++version;
  changes[version] = ModelChange{};
}

void PoolModel::KeepKeysOf(const std::set<std::int64_t>& versions_in_use) {
  std::erase_if(earlier_keys,
                [&](const auto& entry) { return !versions_in_use.contains(entry.first); });
  std::erase_if(changes, [&](const auto& entry) {
    return entry.first != version && !versions_in_use.contains(entry.first);
  });
}

bool PoolModel::Stamp(const ModelChange& change) {
  bool stamped = false;
  for (auto& [model_version, made] : changes) {
    if (!made.operation_id.empty()) continue;
    made = change;
    stamped = true;
  }
  return stamped;
}

Result<PoolRecord> PoolRecord::Decode(const store::Resource& row) {
  PoolRecord record;
  auto doc = Body(row, record);
  if (!doc) return doc.error();
  const json::value* model = doc->if_contains("model");
  if (!model || !model->is_object()) return Corrupt(row.id, "no model");
  const json::object& fields = model->get_object();
  record.model.ssh = SshFromJson(fields);
  const json::value* version = fields.if_contains("version");
  record.model.version = version && version->is_int64() ? version->get_int64() : 1;
  record.model.ssh_access = StringAt(fields, "sshAccess");
  if (record.model.ssh_access.empty()) record.model.ssh_access = "LocalUser";
  if (const json::value* earlier = fields.if_contains("earlierKeys");
      earlier && earlier->is_object()) {
    for (const auto& [key, list] : earlier->get_object()) {
      std::int64_t model_version = 0;
      const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), model_version);
      if (!list.is_array() || ec != std::errc() || end != key.data() + key.size()) continue;
      std::vector<std::string>& keys = record.model.earlier_keys[model_version];
      for (const auto& line : list.get_array())
        if (line.is_string()) keys.emplace_back(line.get_string());
    }
  }
  if (const json::value* changes = fields.if_contains("changes"); changes && changes->is_object()) {
    for (const auto& [key, made] : changes->get_object()) {
      std::int64_t model_version = 0;
      const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), model_version);
      if (!made.is_object() || ec != std::errc() || end != key.data() + key.size()) continue;
      record.model.changes[model_version] = {StringAt(made.get_object(), "operationId"),
                                             StringAt(made.get_object(), "caller"),
                                             StringAt(made.get_object(), "at")};
    }
  }
  return record;
}

store::Resource PoolRecord::Encode() const {
  json::object fields = SshJson(model.ssh);
  fields["version"] = model.version;
  fields["sshAccess"] = model.ssh_access;
  if (!model.earlier_keys.empty()) {
    json::object earlier;
    for (const auto& [model_version, keys] : model.earlier_keys)
      earlier[std::to_string(model_version)] = json::array(keys.begin(), keys.end());
    fields["earlierKeys"] = std::move(earlier);
  }
  if (!model.changes.empty()) {
    json::object changes;
    for (const auto& [model_version, made] : model.changes) {
      changes[std::to_string(model_version)] =
          json::object{{"operationId", made.operation_id}, {"caller", made.caller}, {"at", made.at}};
    }
    fields["changes"] = std::move(changes);
  }
  json::object doc{{"resource", resource}, {"model", std::move(fields)}};
  return store::Resource{std::string(kPoolKind), id, parent, json::serialize(doc), version};
}

std::string PoolRecord::name() const { return StringAt(resource, "name"); }

Result<store::Mutation> WithProvisioningState(const store::Resource& row, std::string_view state) {
  if (row.kind == kPoolKind) {
    auto pool = PoolRecord::Decode(row);
    if (!pool) return pool.error();
    pool->set_provisioning_state(state);
    return WriteBack(*pool);
  }
  auto cluster = ClusterRecord::Decode(row);
  if (!cluster) return cluster.error();
  cluster->set_provisioning_state(state);
  return WriteBack(*cluster);
}

}  // namespace gangplank::resources
