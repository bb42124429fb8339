// The node bridge and its /16: chosen against the host's routes, recorded in the store.
#include "runtime/node_network.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <vector>

#include "common/file_io.h"
#include "common/file_lock.h"
#include "common/process.h"
#include "runtime/node_firewall.h"

namespace gangplank::runtime {
namespace json = boost::json;

namespace {

// True when some host interface holds `address`, found by listing every interface: what
// HeldOnHost falls back to where the kernel lets any address be bound.
bool ListedOnHost(const std::string& address) {
  ifaddrs* interfaces = nullptr;
  if (::getifaddrs(&interfaces) != 0) return false;
  bool held = false;
  for (const ifaddrs* entry = interfaces; entry != nullptr && !held; entry = entry->ifa_next) {
    if (entry->ifa_addr == nullptr || entry->ifa_addr->sa_family != AF_INET) continue;
    char text[INET_ADDRSTRLEN] = {};
    const auto* inet = reinterpret_cast<const sockaddr_in*>(entry->ifa_addr);
    ::inet_ntop(AF_INET, &inet->sin_addr, text, sizeof text);
    held = address == text;
  }
  ::freeifaddrs(interfaces);
  return held;
}

// The links between the main bridge and its segments: gpuN-K on the main bridge BRIDGE = gp-node-N,
// its peer gpdN-K on segment BRIDGE-K. UplinkPrefix("gp-node-224", 'u') is "gpu224-".
std::string UplinkPrefix(const std::string& bridge, char end) {
  return std::string("gp") + end + bridge.substr(bridge.rfind('-') + 1) + "-";
}

// True when the link `name` exists and is up (IFF_UP).
bool LinkUp(const std::string& name) {
  auto flags = ReadFile(std::filesystem::path("/sys/class/net") / name / "flags", 64);
  return flags && (std::strtoul(flags->c_str(), nullptr, 16) & 0x1) != 0;
}

constexpr std::string_view kNetworkKind = "nodeNetwork";
constexpr std::string_view kNetworkId = "/gangplank/nodeNetwork";
constexpr int kFirstOctet2 = 224, kLastOctet2 = 239;  // 10.224.0.0/12
// BRIDGE-K stays within IFNAMSIZ ("gp-node-239-999" is 15 characters).
constexpr std::uint32_t kMaxSegments = 999;

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
    if (part.empty() || part.size() > 3 ||
        part.find_first_not_of("0123456789") != std::string::npos)
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
    if (bits.empty() || bits.size() > 2 ||
        bits.find_first_not_of("0123456789") != std::string::npos)
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
  static const std::vector<std::string> kTypes = {
      "local",     "broadcast",   "unicast",  "multicast", "anycast",
      "blackhole", "unreachable", "prohibit", "throw",     "nat"};
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
    return MakeError(StatusCode::kInternal, "CorruptNodeNetwork",
                     "the stored node network is unreadable");
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
    auto written =
        store.Put(store::Resource{std::string(kNetworkKind), std::string(kNetworkId), "", body, 0},
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
  // The segments and their links first (deleting one end of a veth pair deletes both).
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/sys/class/net", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(network.bridge + "-") ||
        name.starts_with(UplinkPrefix(network.bridge, 'u'))) {
      if (Status removed = Ip({"link", "del", name}); !removed.ok()) return removed;
    }
  }
  if (!std::filesystem::exists("/sys/class/net/" + network.bridge)) return OkStatus();
  return Ip({"link", "del", network.bridge});
}

Result<std::string> NodeNetwork::BridgeFor(const std::string& address) const {
  const auto parsed = ParseIpv4(address);
  if (!parsed || nodes_per_bridge <= 0) {
    return MakeError(StatusCode::kInvalidArgument, "InvalidNodeAddress",
                     "'" + address.substr(0, 40) + "' is not a node address of " + Cidr());
  }
  const std::uint32_t index = *parsed & 0xffff;
  const std::uint32_t segment = index / static_cast<std::uint32_t>(nodes_per_bridge);
  if (segment == 0) return bridge;
  if (segment > kMaxSegments) {
    return MakeError(StatusCode::kFailedPrecondition, "NodeNetworkFull",
                     "the node address " + address + " would need bridge segment " +
                         std::to_string(segment) + " of at most " + std::to_string(kMaxSegments) +
                         "; give gangplankd a larger --node-bridge-ports");
  }
  return bridge + "-" + std::to_string(segment);
}

bool AttachedToBridge(const std::string& name, const std::string& bridge) {
  std::error_code ec;
  const std::filesystem::path master =
      std::filesystem::read_symlink(std::filesystem::path("/sys/class/net") / name / "master", ec);
  return !ec && master.filename() == bridge && LinkUp(name);
}

Status EnsureBridgeSegment(const NodeNetwork& network, const std::string& segment) {
  if (segment == network.bridge) return OkStatus();
  const std::string number = segment.substr(segment.rfind('-') + 1);
  const std::string up = UplinkPrefix(network.bridge, 'u') + number,
                    down = UplinkPrefix(network.bridge, 'd') + number;
  const auto whole = [&] {
    return AttachedToBridge(up, network.bridge) && AttachedToBridge(down, segment) &&
           LinkUp(segment);
  };
  if (whole()) return OkStatus();
  static std::mutex mutex;  // nodes start side by side; the first of a segment makes it
  std::lock_guard lock(mutex);
  if (whole()) return OkStatus();
  std::error_code ec;
  if (!std::filesystem::exists("/sys/class/net/" + segment, ec)) {
    GP_RETURN_IF_ERROR(Ip({"link", "add", segment, "type", "bridge"}));
  }
  if (!std::filesystem::exists("/sys/class/net/" + up, ec)) {
    (void)Ip({"link", "del", down});  // half a pair is no pair: made again
    GP_RETURN_IF_ERROR(Ip({"link", "add", up, "type", "veth", "peer", "name", down}));
  }
  GP_RETURN_IF_ERROR(Ip({"link", "set", down, "master", segment, "up"}));
  GP_RETURN_IF_ERROR(Ip({"link", "set", up, "master", network.bridge, "up"}));
  return Ip({"link", "set", segment, "up"});
}

// An address some host interface holds (another network, a leftover), or the broadcast address
// of one: never given to a node. The kernel is asked about this one address (a socket binds only
// to an address of this host) instead of listing every interface: with a veth per node, the
// listing made each start cost as much as the nodes already running, and a pool of 1,000 nodes
// spent most of its creation there. Where net.ipv4.ip_nonlocal_bind lets any address be bound,
// the interfaces are listed.
bool HeldOnHost(const std::string& address) {
  sockaddr_in in{};
  in.sin_family = AF_INET;
  if (::inet_pton(AF_INET, address.c_str(), &in.sin_addr) != 1) return false;
  const auto nonlocal = ReadFile("/proc/sys/net/ipv4/ip_nonlocal_bind", 16);
  if (!nonlocal || !nonlocal->starts_with("0")) return ListedOnHost(address);
  const int probe = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (probe < 0) return ListedOnHost(address);
  const bool bound = ::bind(probe, reinterpret_cast<const sockaddr*>(&in), sizeof in) == 0;
  const int error = errno;
  ::close(probe);
  return bound || error != EADDRNOTAVAIL;
}

}  // namespace gangplank::runtime
