// How the words of az's `aks` flags (az_flag_table.cc) become the ARM body, and their help.
#include "cli/az_flags.h"

#include <algorithm>
#include <cctype>
#include <sstream>

#include "common/base64.h"
#include "common/file_io.h"
#include "common/paths.h"

namespace gangplank::cli {
namespace json = boost::json;

std::string_view LongName(const AzFlag& flag) {
  const std::size_t at = flag.names.find("--");
  std::string_view rest = flag.names.substr(at);
  return rest.substr(0, rest.find(','));
}

namespace {

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  while (!text.empty()) {
    const std::size_t at = text.find(separator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) break;
    text = text.substr(at + 1);
  }
  return parts;
}

Error BadValue(const AzFlag& flag, const std::string& why) {
  return MakeError(StatusCode::kInvalidArgument, "InvalidArgumentValue",
                   "argument " + std::string(LongName(flag)) + ": " + why);
}

// az's choices are case-insensitive; the body gets the choice as az spells it (or, for a
// "given=sent" pair, what is sent).
Result<std::string> Choose(const AzFlag& flag, const std::string& word) {
  if (flag.choices.empty()) return word;
  std::string listed;
  for (std::string_view choice : Split(flag.choices, ',')) {
    const std::string_view given = choice.substr(0, choice.find('='));
    const std::string_view sent =
        choice.find('=') == std::string_view::npos ? choice : choice.substr(choice.find('=') + 1);
    if (word.size() == given.size() &&
        std::equal(word.begin(), word.end(), given.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        }))
      return std::string(sent);
    listed += (listed.empty() ? "'" : ", '") + std::string(given) + "'";
  }
  return BadValue(flag, "invalid choice: '" + word.substr(0, 80) + "' (choose from " + listed + ")");
}

// az's addon names → the addonProfiles key. Monitoring needs Log Analytics.
Result<json::object> Addons(const AzFlag& flag, const std::string& list) {
  static const std::map<std::string, std::string> kAddonKeys = {
      {"http_application_routing", "httpApplicationRouting"},
      {"virtual-node", "aciConnectorLinux"},
      {"azure-policy", "azurepolicy"},
      {"ingress-appgw", "ingressApplicationGateway"},
      {"confcom", "ACCSGXDevicePlugin"},
      {"open-service-mesh", "openServiceMesh"},
      {"azure-keyvault-secrets-provider", "azureKeyvaultSecretsProvider"}};
  json::object addons;
  for (std::string_view name : Split(list, ',')) {
    if (name == "monitoring") {
      return MakeError(StatusCode::kInvalidArgument, "RefusedArgument",
                       "--enable-addons monitoring is not supported here: " +
                           std::string(kNeedsLogAnalytics));
    }
    const auto found = kAddonKeys.find(std::string(name));
    if (found == kAddonKeys.end()) {
      std::string known = "monitoring";
      for (const auto& [key, unused] : kAddonKeys) known += ", " + key;
      return BadValue(flag, "'" + std::string(name.substr(0, 60)) + "' is not an addon (" + known +
                                ")");
    }
    addons[found->second] = json::object{{"enabled", true}};
  }
  return addons;
}

Result<json::object> Pairs(const std::vector<std::string>& words, char separator) {
  json::object pairs;
  for (const std::string& word : words) {
    for (std::string_view pair : Split(word, separator)) {
      if (pair.empty()) continue;  // '' clears
      const std::size_t equals = pair.find('=');
      pairs[pair.substr(0, equals)] =
          equals == std::string_view::npos ? "" : std::string(pair.substr(equals + 1));
    }
  }
  return pairs;
}

// A text file as az sends it: the message of the day in base64, or the certificates of a CA
// trust file (blank-line separated, at most 10) each in base64.
Result<json::value> FileValue(const AzFlag& flag, const std::string& path) {
  auto text = ReadFile(path, 1 << 20);
  if (!text) return BadValue(flag, "cannot read '" + path + "': " + text.error().message);
  if (flag.value == AzValue::kFileBase64) return json::value(Base64Encode(*text));
  json::array certificates;
  std::string current;
  std::istringstream lines(*text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) {
      if (!current.empty()) certificates.emplace_back(Base64Encode(current));
      current.clear();
    } else {
      current += line + "\n";
    }
  }
  if (!current.empty()) certificates.emplace_back(Base64Encode(current));
  if (certificates.empty() || certificates.size() > 10)
    return BadValue(flag, "'" + path + "' must hold 1 to 10 certificates, separated by blank lines");
  return json::value(std::move(certificates));
}

// az's host port ranges: PORT[-PORT]/PROTOCOL, comma-separated.
Result<json::value> PortRanges(const AzFlag& flag, const std::string& list) {
  json::array ranges;
  for (std::string_view range : Split(list, ',')) {
    if (range.empty()) continue;
    const std::size_t slash = range.find('/');
    const std::string_view ports = range.substr(0, slash);
    const std::string protocol = slash == std::string_view::npos
                                     ? ""
                                     : std::string(range.substr(slash + 1));
    const std::size_t dash = ports.find('-');
    const auto port = [](std::string_view text) {  // -1 when not a port number
      if (text.empty() || text.size() > 5 ||
          text.find_first_not_of("0123456789") != std::string_view::npos)
        return -1;
      return std::stoi(std::string(text));
    };
    const int start = port(ports.substr(0, dash));
    const int end = dash == std::string_view::npos ? start : port(ports.substr(dash + 1));
    std::string upper = protocol;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (start < 1 || end > 65535 || end < start || (upper != "TCP" && upper != "UDP"))
      return BadValue(flag, "'" + std::string(range.substr(0, 60)) +
                                "' is not PORT[-PORT]/tcp|udp (e.g. 80/tcp,4000-4100/udp)");
    ranges.emplace_back(json::object{{"portStart", start}, {"portEnd", end}, {"protocol", upper}});
  }
  return json::value(std::move(ranges));
}

// The JSON a given flag stands for.
Result<json::value> ValueOf(const AzFlag& flag, const std::vector<std::string>& words,
                            const std::string& home) {
  const std::string word = words.empty() ? "" : words.front();
  switch (flag.value) {
    case AzValue::kSwitch:
      return json::parse(flag.set_to.empty() ? "true" : flag.set_to);
    case AzValue::kText: {
      auto chosen = Choose(flag, word);
      if (!chosen) return chosen.error();
      return json::value(*chosen);
    }
    case AzValue::kInt: {
      std::size_t used = 0;
      long long number = 0;
      try {
        number = std::stoll(word, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != word.size())
        return BadValue(flag, "invalid int value: '" + word.substr(0, 40) + "'");
      return json::value(number);
    }
    case AzValue::kNumber: {
      std::size_t used = 0;
      double number = 0;
      try {
        number = std::stod(word, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != word.size())
        return BadValue(flag, "invalid float value: '" + word.substr(0, 40) + "'");
      return json::value(number);
    }
    case AzValue::kWords: {
      json::array array;
      for (const std::string& each : words) {
        auto chosen = Choose(flag, each);
        if (!chosen) return chosen.error();
        array.emplace_back(*chosen);
      }
      return json::value(std::move(array));
    }
    case AzValue::kPairs: {
      auto pairs = Pairs(words, ' ');
      if (!pairs) return pairs.error();
      return json::value(std::move(*pairs));
    }
    case AzValue::kCommaPairs: {
      auto pairs = Pairs(words, ',');
      if (!pairs) return pairs.error();
      return json::value(std::move(*pairs));
    }
    case AzValue::kCommaList:
    case AzValue::kIdList: {
      json::array array;
      for (std::string_view part : Split(word, ',')) {
        if (part.empty()) continue;
        if (flag.value == AzValue::kIdList)
          array.emplace_back(json::object{{"id", part}});
        else
          array.emplace_back(part);
      }
      return json::value(std::move(array));
    }
    case AzValue::kJsonFile: {
      const std::string path = ExpandUser(word, home);
      auto text = ReadFile(path, 1 << 20);
      if (!text) return BadValue(flag, "cannot read '" + path + "': " + text.error().message);
      boost::system::error_code ec;
      json::value doc = json::parse(*text, ec);
      if (ec || !doc.is_object())
        return BadValue(flag, "'" + path + "' is not a JSON object (" + ec.message() + ")");
      return doc;
    }
    case AzValue::kAddons: {
      auto addons = Addons(flag, word);
      if (!addons) return addons.error();
      return json::value(std::move(*addons));
    }
    case AzValue::kBool: {
      std::string lower = word;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower.empty() || lower == "true") return json::value(true);
      if (lower == "false") return json::value(false);
      return BadValue(flag, "invalid boolean value: '" + word.substr(0, 40) + "' (true or false)");
    }
    case AzValue::kFileBase64:
    case AzValue::kCertsFile:
      return FileValue(flag, ExpandUser(word, home));
    case AzValue::kPortRanges:
      return PortRanges(flag, word);
    case AzValue::kIpTags: {
      json::array tags;
      for (const std::string& each : words) {
        const std::size_t equals = each.find('=');
        if (equals == std::string::npos || equals == 0)
          return BadValue(flag, "'" + each.substr(0, 60) + "' is not TYPE=TAG (e.g. RoutingPreference=Internet)");
        tags.emplace_back(json::object{{"ipTagType", each.substr(0, equals)},
                                       {"tag", each.substr(equals + 1)}});
      }
      return json::value(std::move(tags));
    }
  }
  return BadValue(flag, "unknown value kind");
}

// The object at `path` (dot-separated keys) under `root`, made (or made an object) when missing.
json::object& ObjectAt(json::object& root, std::string_view path) {
  json::object* at = &root;
  for (std::string_view key : Split(path, '.')) {
    json::value& next = (*at)[key];
    if (!next.is_object()) next = json::object();
    at = &next.as_object();
  }
  return *at;
}

// Sets `value` at a dotted path. With `merge`, an object joins one already there (addons that
// other flags configured); otherwise it replaces it (--labels names every label, as in az).
void SetAt(json::object& root, std::string_view path, json::value value, bool merge = false) {
  const std::size_t last_dot = path.rfind('.');
  json::object& parent =
      last_dot == std::string_view::npos ? root : ObjectAt(root, path.substr(0, last_dot));
  json::value& slot = parent[path.substr(last_dot == std::string_view::npos ? 0 : last_dot + 1)];
  if (merge && slot.is_object() && value.is_object()) {
    for (auto& [name, member] : value.as_object()) slot.as_object()[name] = member;
  } else {
    slot = std::move(value);
  }
}

// The pools a target writes to: the pool resource's properties, the first pool of a cluster
// body, or (pools.) every pool of it.
std::vector<json::object*> PoolsOf(json::object& body, AzBody kind, bool every) {
  if (kind == AzBody::kPool) return {&ObjectAt(body, "properties")};
  json::value& pools = ObjectAt(body, "properties")["agentPoolProfiles"];
  if (!pools.is_array() || pools.as_array().empty()) pools = json::array{json::object()};
  std::vector<json::object*> found;
  for (json::value& pool : pools.as_array()) {
    if (!pool.is_object()) pool = json::object();
    found.push_back(&pool.as_object());
    if (!every) break;
  }
  return found;
}

}  // namespace

namespace {

// The help groups, as az groups its arguments: the first row whose prefix starts a flag's first
// field (or, for "ssh", whose word is in its name) names its group.
struct HelpGroup {
  std::string_view prefix;
  std::string_view group;
};
constexpr HelpGroup kHelpGroups[] = {
    {"ssh", "SSH Arguments"},
    {"pool.vnetSubnetID", "Network Arguments"},
    {"pool.podSubnetID", "Network Arguments"},
    {"pool.enableNodePublicIP", "Network Arguments"},
    {"pool.nodePublicIPPrefixID", "Network Arguments"},
    {"props.networkProfile", "Network Arguments"},
    {"props.apiServerAccessProfile", "Network Arguments"},
    {"props.httpProxyConfig", "Network Arguments"},
    {"props.fqdnSubdomain", "Network Arguments"},
    {"props.ingressProfile", "Network Arguments"},
    {"pool.", "Node Pool Arguments"},
    {"top.identity", "Identity and Security Arguments"},
    {"props.aadProfile", "Identity and Security Arguments"},
    {"props.securityProfile", "Identity and Security Arguments"},
    {"props.servicePrincipalProfile", "Identity and Security Arguments"},
    {"props.disableLocalAccounts", "Identity and Security Arguments"},
    {"props.enableRBAC", "Identity and Security Arguments"},
    {"props.oidcIssuerProfile", "Identity and Security Arguments"},
    {"props.podIdentityProfile", "Identity and Security Arguments"},
    {"props.addonProfiles", "Add-on Arguments"},
    {"props.azureMonitorProfile", "Add-on Arguments"},
    {"props.workloadAutoScalerProfile", "Add-on Arguments"},
    {"props.serviceMeshProfile", "Add-on Arguments"},
};

constexpr std::string_view kRefusedGroup =
    "Arguments refused here (why, and what to do instead: docs/az-compatibility.md)";

std::string_view GroupOf(const AzFlag& flag) {
  if (!flag.refused.empty()) return kRefusedGroup;
  for (const HelpGroup& row : kHelpGroups) {
    const bool matches = row.prefix == "ssh" ? flag.names.find("ssh") != std::string_view::npos
                                             : flag.fields.starts_with(row.prefix);
    if (matches) return row.group;
  }
  return "Arguments";
}

}  // namespace

void AzFlagSet::Register(CLI::App& app, AzCommand command) {
  for (const AzFlag& flag : AzFlags()) {
    if ((flag.commands & command) == 0) continue;
    std::string help(flag.help);
    if (!flag.refused.empty()) help = "Refused: " + std::string(flag.refused);
    if (!flag.choices.empty() && flag.value != AzValue::kSwitch) {
      std::string shown;
      for (std::string_view choice : Split(flag.choices, ','))
        shown += (shown.empty() ? "" : ", ") + std::string(choice.substr(0, choice.find('=')));
      help += " (" + shown + ")";
    }
    CLI::Option* option = nullptr;
    if (flag.value == AzValue::kSwitch) {
      option = app.add_flag(std::string(flag.names));
    } else {
      option = app.add_option(std::string(flag.names));
      if (flag.value == AzValue::kWords || flag.value == AzValue::kPairs ||
          flag.value == AzValue::kIpTags)
        option->expected(CLI::detail::expected_max_vector_size);  // one or more words
      else if (flag.value == AzValue::kBool)
        option->expected(0, 1);
      else
        option->expected(1);
      option->type_name(flag.value == AzValue::kInt      ? "INT"
                        : flag.value == AzValue::kNumber ? "FLOAT"
                                                         : "TEXT");
    }
    option->description(help);
    option->group(std::string(GroupOf(flag)));
    options_.emplace_back(&flag, option);
  }
}

bool AzFlagSet::Given(std::string_view long_name) const {
  for (const auto& [flag, option] : options_)
    if (LongName(*flag) == long_name && option->count() > 0) return true;
  return false;
}

std::vector<std::string> AzFlagSet::Words(std::string_view long_name) const {
  for (const auto& [flag, option] : options_)
    if (LongName(*flag) == long_name && option->count() > 0) return option->results();
  return {};
}

bool AzFlagSet::SetsPoolFields() const {
  for (const auto& [flag, option] : options_) {
    if (option->count() == 0) continue;
    for (std::string_view target : Split(flag->fields, ';'))
      if (target.starts_with("pool.")) return true;
  }
  return false;
}

Status AzFlagSet::Check(AzBody kind, const std::string& home) const {
  json::object scratch;
  AzRequestExtras extras;
  return Apply(scratch, kind, home, extras);
}

Status AzFlagSet::Apply(json::object& body, AzBody kind, const std::string& home,
                        AzRequestExtras& extras) const {
  for (const auto& [flag, option] : options_) {
    if (option->count() == 0) continue;
    if (!flag->refused.empty()) {
      return MakeError(StatusCode::kInvalidArgument, "RefusedArgument",
                       std::string(LongName(*flag)) + " is not supported here: " +
                           std::string(flag->refused));
    }
    auto value = ValueOf(*flag, option->results(), home);
    if (!value) return value.error();
    for (std::string_view target : Split(flag->fields, ';')) {
      if (target.empty()) continue;
      json::value this_value = *value;
      if (const std::size_t equals = target.find('='); equals != std::string_view::npos) {
        this_value = json::parse(target.substr(equals + 1));
        target = target.substr(0, equals);
      }
      if (target == "header") {
        for (const auto& [name, header] : value->as_object())
          extras.headers[std::string(name)] = std::string(header.as_string());
        continue;
      }
      if (target.starts_with("query.")) {
        extras.query.emplace_back(target.substr(6), this_value.is_string()
                                                        ? std::string(this_value.as_string())
                                                        : json::serialize(this_value));
        continue;
      }
      if (target == "top.identity.userAssignedIdentities") {  // the ID is a key
        this_value = json::object{{std::string(value->as_string()), json::object()}};
      }
      const std::size_t dot = target.find('.');
      const std::string_view root = target.substr(0, dot), rest = target.substr(dot + 1);
      if (root == "top") {
        SetAt(body, rest, std::move(this_value));
      } else if (root == "props") {
        SetAt(ObjectAt(body, "properties"), rest, std::move(this_value),
              flag->value == AzValue::kAddons);
      } else {
        for (json::object* pool : PoolsOf(body, kind, root == "pools"))
          SetAt(*pool, rest, this_value);
      }
    }
  }
  return OkStatus();
}

}  // namespace gangplank::cli
