// AKS validation rules, with the messages a user needs to fix the request.
#include "api/cluster_spec.h"

#include <algorithm>
#include <boost/json.hpp>
#include <variant>

#include "common/text.h"
#include "controller/machines.h"
#include "resources/limits.h"
#include "sshkey/parse.h"

namespace gangplank::api {
namespace json = boost::json;
namespace limits = resources::limits;

namespace {

// From AKS's documentation of adminUsername: these cannot be used.
constexpr std::string_view kReservedUsers[] = {"root",
                                               "admin",
                                               "administrator",
                                               "adm",
                                               "bin",
                                               "daemon",
                                               "sys",
                                               "sync",
                                               "games",
                                               "man",
                                               "lp",
                                               "mail",
                                               "news",
                                               "uucp",
                                               "proxy",
                                               "www-data",
                                               "backup",
                                               "list",
                                               "irc",
                                               "nobody",
                                               "sshd",
                                               "systemd-network",
                                               "messagebus",
                                               "guest",
                                               "user",
                                               "test",
                                               "sudo",
                                               "wheel"};

using controller::StringOr;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsAlpha(char c) { return IsLower(c) || (c >= 'A' && c <= 'Z'); }
bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }

// ^[A-Za-z][-A-Za-z0-9_]*$, at most 32 characters (a Linux user name).
bool IsValidAdminUsername(std::string_view name) {
  if (name.empty() || name.size() > 32 || !IsAlpha(name.front())) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return IsAlnum(c) || c == '-' || c == '_'; });
}

SpecError Invalid(std::string message, std::string target) {
  return SpecError{"InvalidParameter", std::move(message), std::move(target)};
}

SpecError OverQuota(std::string message, std::string target) {
  return SpecError{"QuotaExceeded", std::move(message), std::move(target)};
}

// One keyData: a plain public key ("type base64 [comment]") as AKS takes it. Options would be
// dropped on the nodes, so a key with options is refused rather than installed without them;
// a comment is printable text, because it is written into authorized_keys and shown to users.
SpecResult<sshkey::PublicKey> ParseKeyData(std::string_view text, const std::string& where) {
  constexpr const char* kTarget = "linuxProfile.ssh.publicKeys.keyData";
  if (text.size() > limits::kKeyDataBytes) {
    return OverQuota(where + " has " + std::to_string(text.size()) + " bytes; the limit is " +
                         std::to_string(limits::kKeyDataBytes) + " bytes.",
                     kTarget);
  }
  auto key = sshkey::ParseSinglePublicKey(text);
  if (!key) {
    // The sshkey library's messages never contain key material, private or not.
    return Invalid(where + " is not a valid SSH public key (" + key.error().reason +
                       "): " + key.error().message,
                   kTarget);
  }
  if (!key->options.empty()) {
    return Invalid(where + " (" + std::string(key->type()) + ", comment '" +
                       TerminalSafe(key->comment.substr(0, 64)) +
                       "') has authorized_keys options such as '" +
                       TerminalSafe(key->options.front().name.substr(0, 32)) +
                       "': AKS takes plain keys ('type base64 [comment]'), and the options would "
                       "not be kept on the nodes. Remove the options.",
                   kTarget);
  }
  if (key->comment.size() > limits::kKeyCommentBytes) {
    return OverQuota(where + " has a comment of " + std::to_string(key->comment.size()) +
                         " bytes; the limit is " + std::to_string(limits::kKeyCommentBytes) +
                         " bytes.",
                     kTarget);
  }
  if (TerminalSafe(key->comment) != key->comment) {
    return Invalid(where + " has a control character in its comment ('" +
                       TerminalSafe(key->comment.substr(0, 64)) +
                       "'); a comment is printable text. Remove the character.",
                   kTarget);
  }
  return std::move(*key);
}

}  // namespace

bool IsValidClusterName(std::string_view name) {
  if (name.empty() || name.size() > 63 || !IsAlnum(name.front()) || !IsAlnum(name.back()))
    return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return IsAlnum(c) || c == '-' || c == '_'; });
}

bool IsValidPoolName(std::string_view name) {
  if (name.empty() || name.size() > 12 || !IsLower(name.front())) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return IsLower(c) || IsDigit(c); });
}

SpecResult<std::optional<SshModel>> ParseLinuxProfile(const json::object& properties) {
  const json::value* profile_value = properties.if_contains("linuxProfile");
  if (profile_value == nullptr || profile_value->is_null()) return std::optional<SshModel>();
  if (!profile_value->is_object())
    return Invalid("linuxProfile must be an object.", "linuxProfile");
  const json::object& profile = profile_value->get_object();
  SshModel model;
  model.admin_username = StringOr(profile, "adminUsername", "azureuser");
  if (!IsValidAdminUsername(model.admin_username)) {
    return Invalid(
        "adminUsername must start with a letter and contain only letters, digits, '-' "
        "and '_' (at most 32 characters).",
        "linuxProfile.adminUsername");
  }
  for (std::string_view reserved : kReservedUsers) {
    std::string lower = model.admin_username;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == reserved) {
      return Invalid("adminUsername '" + model.admin_username +
                         "' is reserved; choose another "
                         "name such as azureuser.",
                     "linuxProfile.adminUsername");
    }
  }
  const json::value* ssh = profile.if_contains("ssh");
  const json::value* keys =
      ssh && ssh->is_object() ? ssh->get_object().if_contains("publicKeys") : nullptr;
  if (keys == nullptr || !keys->is_array() || keys->get_array().empty()) {
    return Invalid(
        "linuxProfile.ssh.publicKeys must list at least one key ({\"keyData\": \"ssh-ed25519 "
        "AAAA...\"}); to create a cluster without SSH keys, leave out linuxProfile.",
        "linuxProfile.ssh.publicKeys");
  }
  if (keys->get_array().size() > limits::kPublicKeysPerCluster) {
    return OverQuota("linuxProfile.ssh.publicKeys has " + std::to_string(keys->get_array().size()) +
                         " keys; the limit is " + std::to_string(limits::kPublicKeysPerCluster) +
                         " keys per cluster.",
                     "linuxProfile.ssh.publicKeys");
  }
  std::size_t index = 0;
  for (const json::value& entry : keys->get_array()) {
    const json::value* data =
        entry.is_object() ? entry.get_object().if_contains("keyData") : nullptr;
    const std::string where = "linuxProfile.ssh.publicKeys[" + std::to_string(index) + "].keyData";
    if (data == nullptr || !data->is_string()) {
      return Invalid(where +
                         " is missing; each key is {\"keyData\": \"ssh-ed25519 AAAA... "
                         "comment\"}.",
                     "linuxProfile.ssh.publicKeys.keyData");
    }
    auto key = ParseKeyData(std::string_view(data->get_string()), where);
    if (auto* error = std::get_if<SpecError>(&key)) return std::move(*error);
    model.public_keys.push_back(std::get<sshkey::PublicKey>(key).ToPublicKeyLine());
    ++index;
  }
  return std::optional<SshModel>(std::move(model));
}

void DropSecrets(json::object& properties) {
  // (object under properties, field): every x-ms-secret of ManagedClusterProperties.
  static constexpr std::pair<std::string_view, std::string_view> kSecrets[] = {
      {"servicePrincipalProfile", "secret"},
      {"windowsProfile", "adminPassword"},
      {"aadProfile", "serverAppSecret"},
  };
  for (const auto& [object, field] : kSecrets) {
    if (json::value* holder = properties.if_contains(object); holder && holder->is_object())
      holder->get_object().erase(field);
  }
}

std::optional<SpecError> CheckTags(const json::value& tags) {
  constexpr std::size_t kMaxTags = 50, kMaxName = 512, kMaxValue = 256;
  if (!tags.is_object()) {
    return SpecError{"InvalidTagsFormat", "tags must be an object of string values.", "tags"};
  }
  if (tags.get_object().size() > kMaxTags) {
    return SpecError{"InvalidTagsFormat",
                     "At most 50 tags are allowed; this request has " +
                         std::to_string(tags.get_object().size()) + ".",
                     "tags"};
  }
  for (const auto& [name, value] : tags.get_object()) {
    if (name.empty() || name.size() > kMaxName ||
        name.find_first_of("<>%&\\?/") != std::string_view::npos) {
      return SpecError{"InvalidTagNameCharacters",
                       "Tag names are 1-512 characters without < > % & \\ ? /.", "tags"};
    }
    if (!value.is_string() || value.get_string().size() > kMaxValue) {
      return SpecError{"InvalidTagsFormat",
                       "The value of tag '" + std::string(name.substr(0, 64)) +
                           "' must be a string of at most 256 characters.",
                       "tags"};
    }
  }
  return std::nullopt;
}

std::optional<SpecError> CheckObjectFields(const json::object& object,
                                           std::initializer_list<const char*> names,
                                           const std::string& path) {
  for (const char* name : names) {
    const json::value* value = object.if_contains(name);
    if (value != nullptr && !value->is_object() && !value->is_null()) {
      return Invalid(std::string(name) + " must be an object.",
                     path.empty() ? name : path + "." + name);
    }
  }
  return std::nullopt;
}

std::optional<SpecError> CheckStringFields(const json::object& object,
                                           std::initializer_list<const char*> names,
                                           const std::string& path) {
  for (const char* name : names) {
    const json::value* value = object.if_contains(name);
    if (value != nullptr && !value->is_string() && !value->is_null()) {
      return Invalid(std::string(name) + " must be a string.",
                     path.empty() ? name : path + "." + name);
    }
  }
  return std::nullopt;
}

std::optional<SpecError> ValidatePoolProperties(json::object& properties, const std::string& path) {
  if (auto error = CheckStringFields(
          properties, {"osType", "osSKU", "type", "mode", "vmSize", "orchestratorVersion"}, path)) {
    return error;
  }
  const std::string os_type = StringOr(properties, "osType", "Linux");
  if (os_type != "Linux") {
    return Invalid("osType '" + os_type +
                       "' is not supported: Gangplank manages SSH access to Linux "
                       "node pools only (osSKU Ubuntu, AzureLinux, CBLMariner or Mariner).",
                   path + ".osType");
  }
  properties["osType"] = "Linux";
  const std::string os_sku = StringOr(properties, "osSKU", "Ubuntu");
  if (os_sku != "Ubuntu" && os_sku != "AzureLinux" && os_sku != "CBLMariner" &&
      os_sku != "Mariner") {
    return Invalid("osSKU '" + os_sku +
                       "' is not supported; use Ubuntu, AzureLinux, CBLMariner or "
                       "Mariner.",
                   path + ".osSKU");
  }
  properties["osSKU"] = os_sku;
  const std::string type = StringOr(properties, "type", "VirtualMachineScaleSets");
  if (type == "FlexNodes") {
    return Invalid(
        "type FlexNodes joins machines Gangplank does not run; use "
        "VirtualMachineScaleSets or VirtualMachines.",
        path + ".type");
  }
  if (type != "VirtualMachineScaleSets" && type != "VirtualMachines" && type != "AvailabilitySet") {
    return Invalid("type '" + type +
                       "' is not a node pool type; use VirtualMachineScaleSets or VirtualMachines.",
                   path + ".type");
  }
  properties["type"] = type;
  // A VirtualMachines pool may give its size as virtualMachinesProfile.scale.manual[].count.
  if (type == "VirtualMachines" && !properties.contains("count")) {
    std::int64_t total = 0;
    if (const json::value* profile = properties.if_contains("virtualMachinesProfile");
        profile && profile->is_object()) {
      const json::value* scale = profile->get_object().if_contains("scale");
      const json::value* manual =
          scale && scale->is_object() ? scale->get_object().if_contains("manual") : nullptr;
      if (manual && manual->is_array()) {
        for (const json::value& entry : manual->get_array()) {
          const json::value* n =
              entry.is_object() ? entry.get_object().if_contains("count") : nullptr;
          if (n && n->is_int64()) total += n->get_int64();
        }
      }
    }
    if (total > 0) properties["count"] = total;
  }
  const std::string mode = StringOr(properties, "mode", "User");
  if (mode != "System" && mode != "User") {
    return Invalid("mode '" + mode + "' is not valid; use System or User.", path + ".mode");
  }
  properties["mode"] = mode;
  const json::value* count = properties.if_contains("count");
  if (count != nullptr && !count->is_int64() && !count->is_uint64()) {
    return Invalid("count must be a whole number.", path + ".count");
  }
  const std::int64_t nodes = count ? count->to_number<std::int64_t>() : 1;
  constexpr auto kMaxNodes = static_cast<std::int64_t>(limits::kNodesPerPool);
  if (nodes > kMaxNodes) {
    return OverQuota("count " + std::to_string(nodes) + " is over the limit of " +
                         std::to_string(kMaxNodes) + " nodes per pool; add another pool.",
                     path + ".count");
  }
  if (nodes < 0 || (mode == "System" && nodes < 1)) {
    return Invalid("count " + std::to_string(nodes) +
                       " is out of range: 1-1000 for System pools, "
                       "0-1000 for User pools.",
                   path + ".count");
  }
  properties["count"] = nodes;
  if (const json::value* security = properties.if_contains("securityProfile");
      security && !security->is_null()) {
    if (!security->is_object())
      return Invalid("securityProfile must be an object.", path + ".securityProfile");
    const std::string access = StringOr(security->get_object(), "sshAccess", "LocalUser");
    if (access != "LocalUser" && access != "Disabled") {
      return Invalid(
          "securityProfile.sshAccess '" + access + "' is not valid; use LocalUser or Disabled.",
          path + ".securityProfile.sshAccess");
    }
  }
  if (const json::value* power = properties.if_contains("powerState"); power && !power->is_null()) {
    const std::string code =
        power->is_object() ? StringOr(power->get_object(), "code", "Running") : "";
    if (code != "Running" && code != "Stopped") {
      return Invalid("powerState.code must be Running or Stopped.", path + ".powerState.code");
    }
  }
  if (const json::value* settings = properties.if_contains("upgradeSettings");
      settings && !settings->is_null()) {
    if (!settings->is_object())
      return Invalid("upgradeSettings must be an object.", path + ".upgradeSettings");
    if (const json::value* surge = settings->get_object().if_contains("maxSurge");
        surge && !surge->is_null() && !surge->is_string()) {
      return Invalid("upgradeSettings.maxSurge must be a string such as \"33%\" or \"3\".",
                     path + ".upgradeSettings.maxSurge");
    }
    if (auto surge = controller::SurgeOf(properties, 100); !surge) {
      return Invalid(surge.error().message + ".", path + ".upgradeSettings.maxSurge");
    }
  }
  return std::nullopt;
}

}  // namespace gangplank::api
