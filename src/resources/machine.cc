// Codecs of the machine row and its status row.
#include "resources/machine.h"

#include <boost/json.hpp>

namespace gangplank::resources {
namespace json = boost::json;

std::string MachineStatusId(const std::string& machine_id) { return machine_id + "/status"; }

Result<Machine> DecodeMachine(const store::Resource& row) {
  const auto corrupt = MakeError(StatusCode::kInternal, "CorruptRecord",
                                 "the stored record of machine " + row.id + " is unreadable");
  boost::system::error_code ec;
  const json::value parsed = json::parse(row.body, ec);
  if (ec || !parsed.is_object()) return corrupt;
  const json::object& doc = parsed.get_object();
  const json::value* index = doc.if_contains("index");
  const json::value* uid = doc.if_contains("uid");
  const json::value* desired = doc.if_contains("desired");
  const json::value* desired_at = doc.if_contains("desiredAt");
  if (!index || !index->is_int64() || !uid || !uid->is_string() || !desired || !desired_at ||
      !desired_at->is_int64())
    return corrupt;
  Machine machine;
  machine.row = row;
  machine.index = index->get_int64();
  machine.uid = std::string(uid->get_string());
  auto state = protocol::ParseDesiredNodeState(json::serialize(*desired));
  if (!state) return state.error();
  machine.desired = std::move(state.value());
  machine.desired_at = desired_at->get_int64();
  const json::value* created_at = doc.if_contains("createdAt");
  machine.created_at =
      created_at && created_at->is_int64() ? created_at->get_int64() : machine.desired_at;
  if (const json::value* floor = doc.if_contains("minTokenExpiry"); floor && floor->is_int64())
    machine.min_token_expiry = floor->get_int64();
  return machine;
}

store::Resource EncodeMachine(const Machine& machine) {
  store::Resource row = machine.row;
  boost::system::error_code ec;
  json::value parsed = json::parse(row.body, ec);
  json::object doc = !ec && parsed.is_object() ? std::move(parsed.get_object()) : json::object{};
  doc["index"] = machine.index;
  doc["uid"] = machine.uid;
  doc["desired"] = json::parse(protocol::DesiredNodeStateJson(machine.desired));
  doc["desiredAt"] = machine.desired_at;
  if (machine.created_at != 0) doc["createdAt"] = machine.created_at;
  if (machine.min_token_expiry != 0) doc["minTokenExpiry"] = machine.min_token_expiry;
  row.body = json::serialize(doc);
  return row;
}

Machine NewMachine(const std::string& pool_id, std::int64_t index, std::string uid,
                   protocol::DesiredNodeState desired, long long now) {
  Machine machine;
  const std::string id = pool_id + "/machines/" + desired.node_name;
  const json::object resource{
      {"id", id},
      {"name", desired.node_name},
      {"type", kMachineType},
      {"properties",
       json::object{{"network",
                     json::object{{"ipAddresses", json::array{json::object{
                                                      {"family", "IPv4"},
                                                      {"ip", desired.address}}}}}}}}};
  machine.row = store::Resource{std::string(kMachineKind), id, pool_id,
                                json::serialize(json::object{{"resource", resource}}), 0};
  machine.index = index;
  machine.uid = std::move(uid);
  machine.desired = std::move(desired);
  machine.desired_at = now;
  machine.created_at = now;
  return machine;
}

void DecodeMachineStatus(const store::Resource& status_row, bool with_logs, Machine& machine) {
  boost::system::error_code ec;
  const json::value parsed = json::parse(status_row.body, ec);
  if (ec || !parsed.is_object()) return;
  const json::object& doc = parsed.get_object();
  const json::value* uid = doc.if_contains("uid");
  if (!uid || *uid != json::value(machine.uid)) return;  // a report about an older node
  if (const json::value* status = doc.if_contains("status")) {
    if (auto parsed_status = protocol::ParseNodeStatus(json::serialize(*status)))
      machine.status = std::move(parsed_status.value());
  }
  if (const json::value* at = doc.if_contains("reportedAt"); at && at->is_int64())
    machine.reported_at = at->get_int64();
  if (const json::value* since = doc.if_contains("notReadySince"); since && since->is_int64())
    machine.not_ready_since = since->get_int64();
  if (const json::value* since = doc.if_contains("readySince"); since && since->is_int64())
    machine.ready_since = since->get_int64();
  if (!with_logs) return;
  if (const json::value* log = doc.if_contains("log"); log && log->is_string())
    machine.log = std::string(log->get_string());
  if (const json::value* logins = doc.if_contains("logins"))
    machine.logins = protocol::ParseLoginEvents(json::serialize(*logins));
}

}  // namespace gangplank::resources
