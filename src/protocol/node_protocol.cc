// JSON for the node protocol's desired state and status documents.
#include "protocol/node_protocol.h"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/json.hpp>
#include <cctype>
#include <cstdlib>

#include "common/random.h"
#include "sshkey/parse.h"

namespace gangplank::protocol {
namespace json = boost::json;

namespace {

Error BadField(const std::string& field, const std::string& expected) {
  return MakeError(StatusCode::kInvalidArgument, "InvalidNodeState",
                   "the desired node state's field '" + field + "' must be " + expected);
}

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
}

// trustedUserCaKeys and identityLogins: what an EntraId node's sshd trusts and lets in.
Status ParseEntraIdFields(const json::object& doc, DesiredNodeState& state) {
  if (const json::value* keys = doc.if_contains("trustedUserCaKeys")) {
    if (!keys->is_array()) return BadField("trustedUserCaKeys", "an array of public keys");
    for (const json::value& key : keys->get_array()) {
      auto parsed = key.is_string() ? sshkey::ParseSinglePublicKey(key.get_string())
                                    : Result<sshkey::PublicKey>(BadField("trustedUserCaKeys", "strings"));
      if (!parsed) return BadField("trustedUserCaKeys", "an array of public keys");
      state.trusted_user_ca_keys.push_back(parsed->ToPublicKeyLine());
    }
  }
  if (const json::value* logins = doc.if_contains("identityLogins")) {
    if (!logins->is_array()) return BadField("identityLogins", "an array");
    for (const json::value& entry : logins->get_array()) {
      const json::object* login = entry.if_object();
      const json::value* name = login ? login->if_contains("name") : nullptr;
      const json::value* admin = login ? login->if_contains("admin") : nullptr;
      if (!name || !name->is_string() || !IsIdentityLoginName(name->get_string()) ||
          (admin && !admin->is_bool()))
        return BadField("identityLogins", "[{\"name\": a login name, \"admin\": true|false}]");
      state.identity_logins.push_back(
          {std::string(name->get_string()), admin && admin->get_bool()});
    }
  }
  return OkStatus();
}

}  // namespace

bool IsIdentityLoginName(std::string_view name) {
  if (name.empty() || name.size() > 100) return false;
  if (IsGuid(name)) return true;
  const std::size_t at = name.find('@');
  if (at == 0 || at == std::string_view::npos || at + 1 == name.size() ||
      name.find('@', at + 1) != std::string_view::npos)
    return false;
  for (const char c : name)
    if (c != '@' && !IsNameChar(c)) return false;
  return name.front() != '-' && name.front() != '.';
}

Result<DesiredNodeState> ParseDesiredNodeState(std::string_view json_text) {
  boost::system::error_code ec;
  json::value parsed = json::parse(json_text, ec);
  if (ec || !parsed.is_object()) {
    return MakeError(StatusCode::kInvalidArgument, "InvalidNodeState",
                     "the desired node state is not a JSON object");
  }
  const json::object& doc = parsed.get_object();
  DesiredNodeState state;
  auto string_field = [&](const char* name, std::string& into, bool required) -> Status {
    const json::value* value = doc.if_contains(name);
    if (!value) return required ? Status(BadField(name, "a string")) : OkStatus();
    if (!value->is_string()) return BadField(name, "a string");
    into = std::string(value->get_string());
    return OkStatus();
  };
  auto int_field = [&](const char* name, std::int64_t& into, std::int64_t min,
                       std::int64_t max) -> Status {
    const json::value* value = doc.if_contains(name);
    if (!value || !value->is_int64() || value->get_int64() < min || value->get_int64() > max) {
      return BadField(name,
                      "an integer from " + std::to_string(min) + " to " + std::to_string(max));
    }
    into = value->get_int64();
    return OkStatus();
  };
  std::int64_t port = 22;
  for (Status status :
       {string_field("nodeName", state.node_name, true),
        string_field("address", state.address, true),
        string_field("adminUsername", state.admin_username, true),
        string_field("imageVersion", state.image_version, false), int_field("port", port, 1, 65535),
        int_field("modelVersion", state.model_version, 0, INT64_MAX),
        int_field("reimageGeneration", state.reimage_generation, 0, INT64_MAX)}) {
    if (!status.ok()) return status.error();
  }
  state.port = static_cast<int>(port);
  if (doc.contains("sshCaGeneration")) {  // absent: from before CA rotation
    std::int64_t generation = 0;
    GP_RETURN_IF_ERROR(int_field("sshCaGeneration", generation, 0, INT32_MAX));
    state.ssh_ca_generation = static_cast<int>(generation);
  }
  // Everything that reaches sshd_config or authorized_keys is checked again here, so no value can
  // add a line to either file.
  if (state.admin_username.empty() || state.admin_username.size() > 32 ||
      !std::isalpha(static_cast<unsigned char>(state.admin_username[0])) ||
      state.admin_username.find_first_not_of(
          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") !=
          std::string::npos) {
    return BadField("adminUsername", "a user name of letters, digits, '-' and '_'");
  }
  boost::system::error_code bad_address;
  boost::asio::ip::make_address(state.address, bad_address);
  if (bad_address) return BadField("address", "an IPv4 or IPv6 address");
  const json::value* keys = doc.if_contains("publicKeys");
  if (!keys || !keys->is_array()) return BadField("publicKeys", "an array of strings");
  for (const json::value& key : keys->get_array()) {
    if (!key.is_string()) return BadField("publicKeys", "an array of strings");
    auto parsed_key = sshkey::ParseSinglePublicKey(key.get_string());
    if (!parsed_key)
      return BadField("publicKeys", "valid public keys: " + parsed_key.error().message);
    state.public_keys.push_back(parsed_key->ToAuthorizedKeysLine());
  }
  const json::value* access = doc.if_contains("sshAccess");
  if (!access || !access->is_string() ||
      (access->get_string() != "LocalUser" && access->get_string() != "Disabled" &&
       access->get_string() != "EntraId")) {
    return BadField("sshAccess", "\"LocalUser\", \"EntraId\" or \"Disabled\"");
  }
  state.ssh_enabled = access->get_string() != "Disabled";
  state.entra_id = access->get_string() == "EntraId";
  GP_RETURN_IF_ERROR(ParseEntraIdFields(doc, state));
  if (const json::value* power = doc.if_contains("power")) {  // absent: from before stop/start
    if (!power->is_string() ||
        (power->get_string() != "Running" && power->get_string() != "Stopped"))
      return BadField("power", "\"Running\" or \"Stopped\"");
    state.running = power->get_string() == "Running";
  }
  return state;
}

std::string DesiredNodeStateJson(const DesiredNodeState& state) {
  json::array keys;
  for (const auto& key : state.public_keys) keys.emplace_back(key);
  json::object doc{{"nodeName", state.node_name},
                   {"address", state.address},
                   {"port", state.port},
                   {"adminUsername", state.admin_username},
                   {"publicKeys", std::move(keys)},
                   {"sshAccess", SshAccessName(state.ssh_enabled, state.entra_id)},
                   {"modelVersion", state.model_version},
                   {"imageVersion", state.image_version},
                   {"reimageGeneration", state.reimage_generation},
                   {"power", state.running ? "Running" : "Stopped"}};
  if (state.ssh_ca_generation > 0) doc["sshCaGeneration"] = state.ssh_ca_generation;
  if (state.entra_id) {
    json::array cas, logins;
    for (const auto& key : state.trusted_user_ca_keys) cas.emplace_back(key);
    for (const auto& login : state.identity_logins)
      logins.push_back(json::object{{"name", login.name}, {"admin", login.admin}});
    doc["trustedUserCaKeys"] = std::move(cas);
    doc["identityLogins"] = std::move(logins);
  }
  return json::serialize(doc);
}

std::string NodeStatusJson(const NodeStatus& status) {
  json::array fingerprints;
  for (const auto& fingerprint : status.host_key_fingerprints)
    fingerprints.emplace_back(fingerprint);
  json::array host_keys;
  for (const auto& key : status.host_keys) host_keys.emplace_back(key);
  json::object doc{{"appliedModelVersion", status.applied_model_version},
                   {"hostKeys", std::move(host_keys)},
                   {"imageVersion", status.image_version},
                   {"reimageGeneration", status.reimage_generation},
                   {"sshAccess", SshAccessName(status.ssh_enabled, status.entra_id)},
                   {"hostKeyFingerprints", std::move(fingerprints)},
                   {"sshdHealth", status.sshd_health},
                   {"message", status.message}};
  if (status.failed_generation != 0) doc["failedGeneration"] = status.failed_generation;
  return json::serialize(doc);
}

Result<NodeStatus> ParseNodeStatus(std::string_view json_text) {
  boost::system::error_code ec;
  json::value parsed = json::parse(json_text, ec);
  const auto invalid = MakeError(StatusCode::kInvalidArgument, "InvalidNodeStatus",
                                 "the node status must be a JSON object with appliedModelVersion, "
                                 "imageVersion, reimageGeneration, sshAccess, hostKeyFingerprints, "
                                 "sshdHealth and message");
  if (ec || !parsed.is_object()) return invalid;
  const json::object& doc = parsed.get_object();
  NodeStatus status;
  const json::value* applied = doc.if_contains("appliedModelVersion");
  const json::value* image = doc.if_contains("imageVersion");
  const json::value* generation = doc.if_contains("reimageGeneration");
  const json::value* access = doc.if_contains("sshAccess");
  const json::value* fingerprints = doc.if_contains("hostKeyFingerprints");
  const json::value* health = doc.if_contains("sshdHealth");
  const json::value* message = doc.if_contains("message");
  if (!applied || !applied->is_int64() || !image || !image->is_string() || !generation ||
      !generation->is_int64() || !access || !access->is_string() || !fingerprints ||
      !fingerprints->is_array() || !health || !health->is_string() ||
      (message && !message->is_string())) {
    return invalid;
  }
  status.applied_model_version = applied->get_int64();
  status.image_version = std::string(image->get_string());
  status.reimage_generation = generation->get_int64();
  status.ssh_enabled = access->get_string() != "Disabled";
  status.entra_id = access->get_string() == "EntraId";
  for (const auto& fingerprint : fingerprints->get_array()) {
    if (!fingerprint.is_string() || fingerprint.get_string().size() > 200) return invalid;
    status.host_key_fingerprints.emplace_back(fingerprint.get_string());
  }
  if (status.host_key_fingerprints.size() > 8) return invalid;
  if (const json::value* keys = doc.if_contains("hostKeys"); keys && keys->is_array()) {
    for (const auto& key : keys->get_array()) {
      if (!key.is_string()) return invalid;
      // Host keys end up in users' known_hosts files: only well-formed public keys pass.
      auto host_key = sshkey::ParseSinglePublicKey(key.get_string());
      if (!host_key) return invalid;
      status.host_keys.push_back(host_key->ToPublicKeyLine());
    }
  }
  if (status.host_keys.size() > 8) return invalid;
  if (image->get_string().size() > kMaxReportFieldBytes) {
    return MakeError(StatusCode::kInvalidArgument, "QuotaExceeded",
                     "imageVersion has " + std::to_string(image->get_string().size()) +
                         " bytes; the limit is " + std::to_string(kMaxReportFieldBytes));
  }
  static constexpr std::string_view kHealths[] = {"Healthy", "Unhealthy", "Starting",
                                                  "Failed",  "Disabled",  "Stopped"};
  if (std::find(std::begin(kHealths), std::end(kHealths), health->get_string()) ==
      std::end(kHealths)) {
    return MakeError(StatusCode::kInvalidArgument, "InvalidNodeStatus",
                     "sshdHealth must be one of Healthy, Unhealthy, Starting, Failed, Disabled, "
                     "Stopped");
  }
  status.sshd_health = std::string(health->get_string());
  if (message)
    status.message = std::string(message->get_string()).substr(0, kMaxReportMessageBytes);
  if (const json::value* failed = doc.if_contains("failedGeneration")) {
    if (!failed->is_int64()) return invalid;
    status.failed_generation = failed->get_int64();
  }
  return status;
}

std::string LoginEventsJson(const std::vector<LoginEvent>& events) {
  json::array list;
  for (const auto& event : events) {
    json::object& shown = list.emplace_back(json::object{{"time", event.time},
                                {"user", event.user},
                                {"source", event.source},
                                {"sourcePort", event.source_port},
                                {"keyType", event.key_type},
                                {"fingerprint", event.fingerprint},
                                {"method", event.method},
                                {"result", event.accepted       ? "Accepted"
                                           : event.invalid_user ? "InvalidUser"
                                                                : "Refused"}}).as_object();
    if (event.model_version > 0) shown["modelVersion"] = event.model_version;
    if (!event.key_id.empty()) {
      shown["certificateKeyId"] = event.key_id;
      shown["certificateSerial"] = std::to_string(event.serial);  // 64 bits: a string for JS
      shown["certificateAuthority"] = event.ca_fingerprint;
    }
    if (!event.reason.empty()) shown["reason"] = event.reason;
  }
  return json::serialize(list);
}

std::vector<LoginEvent> ParseLoginEvents(std::string_view json_text) {
  std::vector<LoginEvent> events;
  boost::system::error_code ec;
  json::value parsed = json::parse(json_text, ec);
  if (ec || !parsed.is_array()) return events;
  for (const auto& item : parsed.get_array()) {
    if (!item.is_object()) continue;
    const json::object& doc = item.get_object();
    auto text = [&](const char* name) {
      const json::value* value = doc.if_contains(name);
      return value && value->is_string() ? std::string(value->get_string()).substr(0, 256)
                                         : std::string();
    };
    LoginEvent event;
    event.time = text("time");
    event.user = text("user");
    event.source = text("source");
    if (const json::value* port = doc.if_contains("sourcePort"); port && port->is_int64())
      event.source_port = static_cast<int>(port->get_int64());
    event.key_type = text("keyType");
    event.fingerprint = text("fingerprint");
    event.method = text("method");
    event.accepted = text("result") == "Accepted";
    event.invalid_user = text("result") == "InvalidUser";
    event.key_id = text("certificateKeyId");
    event.serial = std::strtoull(text("certificateSerial").c_str(), nullptr, 10);
    event.ca_fingerprint = text("certificateAuthority");
    event.reason = text("reason");
    if (const json::value* model = doc.if_contains("modelVersion"); model && model->is_int64())
      event.model_version = model->get_int64();
    events.push_back(std::move(event));
  }
  return events;
}

}  // namespace gangplank::protocol
