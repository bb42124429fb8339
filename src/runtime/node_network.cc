// The node bridge and its /16: chosen against the host's routes, recorded in the store.
#include "runtime/node_network.h"

#include <unistd.h>

#include <boost/json.hpp>
#include <cstdint>
#include <filesystem>
#include <sstream>
#include <vector>

#include "common/file_lock.h"
#include "common/process.h"
#include "runtime/node_firewall.h"

namespace gangplank::runtime {
namespace json = boost::json;

namespace {

constexpr std::string_view kNetworkKind = "nodeNetwork";
constexpr std::string_view kNetworkId = "/gangplank/nodeNetwork";
constexpr int kFirstOctet2 = 224, kLastOctet2 = 239;  // 10.224.0.0/12

struct Prefix {
  std::uint32_t address = 0;
  int length = 0;
  std::string device;
};

std::optional<std::uint32_t> ParseIpv4(const std::string& text) {
  std::uint32_t value = 0;
  int parts = 0;
  std::istringstream in(text);
  std::string part;
  while (std::getline(in, part, '.')) {
    if (part.empty() || part.size() > 3 || part.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    const int octet = std::stoi(part);
    if (octet > 255) return std::nullopt;
    value = (value << 8) | static_cast<std::uint32_t>(octet);
    ++parts;
  }
  if (parts != 4) return std::nullopt;
  return value;
}

std::optional<Prefix> ParsePrefix(const std::string& text) {
  const std::size_t slash = text.find('/');
  auto address = ParseIpv4(text.substr(0, slash));
  if (!address) return std::nullopt;
  int length = 32;
  if (slash != std::string::npos) {
    const std::string bits = text.substr(slash + 1);
    if (bits.empty() || bits.size() > 2 || bits.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    length = std::stoi(bits);
    if (length > 32) return std::nullopt;
  }
  return Prefix{*address, length, ""};
}

bool Overlap(const Prefix& a, const Prefix& b) {
  const int length = std::min(a.length, b.length);
  const std::uint32_t mask = length == 0 ? 0 : ~std::uint32_t{0} << (32 - length);
  return (a.address & mask) == (b.address & mask);
}

// Every IPv4 route (all tables) and address of the host, with the device that holds it.
std::vector<Prefix> HostPrefixes() {
  std::vector<Prefix> prefixes;
  std::string output;
  static const std::vector<std::string> kTypes = {"local",   "broadcast",   "unicast",
                                                  "multicast", "anycast",   "blackhole",
                                                  "unreachable", "prohibit", "throw", "nat"};
  RunCapturing({"/sbin/ip", "-4", "-o", "route", "show", "table", "all"}, output);
  std::istringstream routes(output);
  std::string line;
  while (std::getline(routes, line)) {
    std::istringstream words(line);
    std::vector<std::string> tokens;
    for (std::string word; words >> word;) tokens.push_back(word);
    if (tokens.empty()) continue;
    std::size_t at = 0;
    if (std::find(kTypes.begin(), kTypes.end(), tokens[0]) != kTypes.end()) at = 1;
    if (at >= tokens.size() || tokens[at] == "default") continue;
    auto prefix = ParsePrefix(tokens[at]);
    if (!prefix) continue;
    for (std::size_t i = 0; i + 1 < tokens.size(); ++i)
      if (tokens[i] == "dev") prefix->device = tokens[i + 1];
    prefixes.push_back(*prefix);
  }
  RunCapturing({"/sbin/ip", "-4", "-o", "addr", "show"}, output);
  std::istringstream addresses(output);
  while (std::getline(addresses, line)) {
    std::istringstream words(line);
    std::string index, device, family, address;
    words >> index >> device >> family >> address;
    if (family != "inet") continue;
    if (auto prefix = ParsePrefix(address)) {
      prefix->length = 32;  // the address itself; its subnet shows up as a route
      prefix->device = device;
      prefixes.push_back(*prefix);
    }
  }
  return prefixes;
}

NodeNetwork NetworkFor(int second_octet) {
  return {"10." + std::to_string(second_octet), "gp-node-" + std::to_string(second_octet)};
}

Prefix PrefixOf(const NodeNetwork& network) {
  return {*ParseIpv4(network.prefix + ".0.0"), 16, network.bridge};
}

// What else on the host uses the network's /16, or "" when nothing but its own bridge does.
std::string UsedBy(const NodeNetwork& network, const std::vector<Prefix>& host) {
  for (const Prefix& prefix : host) {
    if (prefix.device != network.bridge && Overlap(prefix, PrefixOf(network)))
      return prefix.device.empty() ? "a route" : "device " + prefix.device;
  }
  return "";
}

// Control planes on one host choose their networks one at a time.
std::filesystem::path HostLockPath() {
  const char* dir = std::filesystem::is_directory("/run/lock") ? "/run/lock" : "/tmp";
  return std::filesystem::path(dir) / "gangplank-node-networks.lock";
}

Status Ip(const std::vector<std::string>& arguments) {
  std::vector<std::string> argv = {"/sbin/ip"};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return RunOrFail(argv, "NodeNetworkFailed", "changing the node network");
}

Status EnsureBridge(const NodeNetwork& network) {
  const bool fresh = !std::filesystem::exists("/sys/class/net/" + network.bridge);
  if (fresh) {
    if (Status added = Ip({"link", "add", network.bridge, "type", "bridge"}); !added.ok())
      return added;
  }
  std::string addresses;
  RunCapturing({"/sbin/ip", "-4", "-o", "addr", "show", "dev", network.bridge}, addresses);
  if (addresses.find(" " + network.Gateway() + "/16 ") == std::string::npos) {
    if (Status added = Ip({"addr", "add", network.Gateway() + "/16", "dev", network.bridge});
        !added.ok())
      return added;
  }
  if (Status up = Ip({"link", "set", network.bridge, "up"}); !up.ok()) return up;
  // Nodes reach their own cluster's nodes and nothing of the host's (runtime/node_firewall.h).
  Status firewall = EnsureNodeFirewall(network, fresh);
  if (!firewall.ok() && fresh) (void)Ip({"link", "del", network.bridge});  // no half network
  return firewall;
}

Result<NodeNetwork> ParseRequested(const std::string& requested) {
  auto prefix = ParsePrefix(requested);
  const auto invalid = MakeError(StatusCode::kInvalidArgument, "InvalidNodeNetwork",
                                 "--node-network '" + requested.substr(0, 60) +
                                     "' is neither 'auto' nor a /16 of 10.0.0.0/8 such as "
                                     "10.224.0.0/16");
  if (!prefix || prefix->length != 16 || (prefix->address >> 24) != 10 ||
      (prefix->address & 0xffff) != 0)
    return invalid;
  return NetworkFor(static_cast<int>((prefix->address >> 16) & 0xff));
}

}  // namespace

Result<std::optional<NodeNetwork>> RecordedNodeNetwork(store::Store& store) {
  auto row = store.Get(kNetworkKind, kNetworkId);
  if (!row) return row.error();
  if (!row->has_value()) return std::optional<NodeNetwork>();
  boost::system::error_code ec;
  const json::value doc = json::parse((*row)->body, ec);
  if (ec || !doc.is_object() || !doc.as_object().contains("prefix"))
    return MakeError(StatusCode::kInternal, "CorruptNodeNetwork", "the stored node network is unreadable");
  auto network = ParseRequested(std::string(doc.at("prefix").as_string()) + ".0.0/16");
  if (!network) return network.error();
  return std::optional<NodeNetwork>(*network);
}

Result<NodeNetwork> EnsureNodeNetwork(store::Store& store, const std::string& requested) {
  FileLock lock(HostLockPath());
  auto recorded = RecordedNodeNetwork(store);
  if (!recorded) return recorded.error();
  const std::vector<Prefix> host = HostPrefixes();
  std::optional<NodeNetwork> chosen = *recorded;
  if (!chosen && requested != "auto") {
    auto parsed = ParseRequested(requested);
    if (!parsed) return parsed.error();
    chosen = *parsed;
  }
  if (chosen && requested != "auto" && chosen->Cidr() != requested) {
    return MakeError(StatusCode::kFailedPrecondition, "NodeNetworkChanged",
                     "this control plane's nodes are on " + chosen->Cidr() +
                         ", not the --node-network " + requested.substr(0, 60) +
                         " given; drop the flag or remove the nodes first (gangplankd stop-nodes "
                         "--remove)");
  }
  if (!chosen) {
    for (int octet = kFirstOctet2; octet <= kLastOctet2 && !chosen; ++octet) {
      if (UsedBy(NetworkFor(octet), host).empty() &&
          !std::filesystem::exists("/sys/class/net/" + NetworkFor(octet).bridge))
        chosen = NetworkFor(octet);
    }
    if (!chosen) {
      return MakeError(StatusCode::kFailedPrecondition, "NoFreeNodeNetwork",
                       "every /16 of 10.224.0.0/12 is in use on this host; give --node-network "
                       "10.N.0.0/16 with a free N");
    }
  }
  if (const std::string used = UsedBy(*chosen, host); !used.empty()) {
    return MakeError(StatusCode::kFailedPrecondition, "NodeNetworkInUse",
                     "the node network " + chosen->Cidr() + " is in use on this host by " + used +
                         "; give --node-network with another 10.N.0.0/16");
  }
  if (Status bridge = EnsureBridge(*chosen); !bridge.ok()) return bridge.error();
  if (!recorded->has_value()) {
    const std::string body = json::serialize(json::object{{"prefix", chosen->prefix}});
    auto written = store.Put(store::Resource{std::string(kNetworkKind), std::string(kNetworkId), "",
                                             body, 0},
                             store::Precondition::Absent());
    if (!written) {
      // Another replica recorded its choice first: follow it.
      auto again = RecordedNodeNetwork(store);
      if (!again || !again->has_value()) return written.error();
      if ((*again)->bridge != chosen->bridge) (void)RemoveNodeBridge(*chosen);
      if (Status bridge = EnsureBridge(**again); !bridge.ok()) return bridge.error();
      return **again;
    }
  }
  return *chosen;
}

Status RemoveNodeBridge(const NodeNetwork& network) {
  (void)RemoveNodeFirewall(network);
  if (!std::filesystem::exists("/sys/class/net/" + network.bridge)) return OkStatus();
  return Ip({"link", "del", network.bridge});
}

}  // namespace gangplank::runtime
