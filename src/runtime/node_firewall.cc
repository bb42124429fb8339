// nftables rules of a node network: an inet table for what reaches the host, a bridge table for
// what passes between nodes, and per node one map entry (address → its cluster's mark) and one
// set entry (address . mark).
#include "runtime/node_firewall.h"

#include <cstdint>
#include <cstdio>
#include <filesystem>

#include "common/file_io.h"
#include "common/process.h"
#include "store/store.h"

namespace gangplank::runtime {
namespace {

constexpr const char* kNft = "/usr/sbin/nft";

Status Nft(const std::vector<std::string>& arguments, const std::string& what) {
  std::vector<std::string> argv = {kNft};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return RunOrFail(argv, "NodeFirewallFailed", what);
}

std::string Table(const NodeNetwork& network) { return "gangplank_" + network.bridge.substr(8); }

// The cluster's mark: 32 bits of FNV-1a over its lowercased id (never 0, the mark of nothing).
std::string MarkOf(const std::string& cluster_id) {
  std::uint32_t hash = 2166136261u;
  for (const char c : store::IdKey(cluster_id)) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 16777619u;
  }
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", hash == 0 ? 1u : hash);
  return text;
}

// Host side: from the bridge, only answers to what the host started. Between nodes: an IPv4
// packet passes when its destination is a node of the source's cluster (the source's mark, looked
// up by its address, must pair with the destination in `peers`); ARP and the like pass.
std::string Ruleset(const NodeNetwork& network) {
  const std::string table = Table(network), bridge = network.bridge;
  return "table inet " + table + " {\n"
         "  chain input {\n"
         "    type filter hook input priority filter; policy accept;\n"
         "    iifname \"" + bridge + "\" ct state established,related accept\n"
         "    iifname \"" + bridge + "\" drop\n"
         "  }\n"
         "  chain forward {\n"
         "    type filter hook forward priority filter; policy accept;\n"
         // Between nodes (bridged, seen here too where br_netfilter is loaded): the bridge
         // table decides. Out of the node network: never.
         "    iifname \"" + bridge + "\" oifname \"" + bridge + "\" accept\n"
         "    iifname \"" + bridge + "\" drop\n"
         "    oifname \"" + bridge + "\" ct state != established,related drop\n"
         "  }\n"
         "}\n"
         "table bridge " + table + " {\n"
         "  map cluster_of { type ipv4_addr : mark; }\n"
         "  set peers { type ipv4_addr . mark; }\n"
         "  chain forward {\n"
         "    type filter hook forward priority filter; policy accept;\n"
         // Every bridge's packets pass every bridge table: this one judges its own network's.
         "    ether type != ip accept\n"
         "    ip saddr != " + network.Cidr() + " accept\n"
         "    meta mark set ip saddr map @cluster_of\n"
         "    ip daddr . meta mark @peers accept\n"
         "    drop\n"
         "  }\n"
         "}\n";
}

}  // namespace

std::string ClusterOfMachine(const std::string& machine_id) {
  const std::string key = store::IdKey(machine_id);
  const std::size_t pools = key.find("/agentpools/");
  return pools == std::string::npos ? key : key.substr(0, pools);
}

Status EnsureNodeFirewall(const NodeNetwork& network, bool fresh) {
  std::string ignored;
  if (!fresh && RunCapturing({kNft, "list", "table", "bridge", Table(network)}, ignored) == 0 &&
      RunCapturing({kNft, "list", "table", "inet", Table(network)}, ignored) == 0)
    return OkStatus();
  (void)RemoveNodeFirewall(network);  // half of it (a crash between the two): made again whole
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("gangplank-" + Table(network) + ".nft");
  if (Status written = WriteFileAtomically(file, Ruleset(network), 0600, IfExists::kReplace);
      !written.ok())
    return written;
  Status loaded = Nft({"-f", file.string()}, "setting up the node network's firewall");
  std::error_code ec;
  std::filesystem::remove(file, ec);
  return loaded;
}

Status RemoveNodeFirewall(const NodeNetwork& network) {
  std::string ignored;
  for (const char* family : {"inet", "bridge"}) {
    if (RunCapturing({kNft, "list", "table", family, Table(network)}, ignored) == 0)
      RunCapturing({kNft, "delete", "table", family, Table(network)}, ignored);
  }
  return OkStatus();
}

Status AdmitNode(const NodeNetwork& network, const std::string& address,
                 const std::string& cluster_id) {
  const std::string mark = MarkOf(cluster_id);
  // The address may have been another cluster's node's before (one that went without being
  // forgotten): its old pairing goes first. Admitting the same node twice is harmless.
  std::string found;
  if (RunCapturing({kNft, "get", "element", "bridge", Table(network), "cluster_of",
                    "{ " + address + " }"},
                   found) == 0) {
    const std::size_t at = found.find(address + " : ");
    const std::string old_mark =
        at == std::string::npos ? "" : found.substr(at + address.size() + 3, 10);
    if (!old_mark.empty() && old_mark != mark) ForgetNode(network, address, old_mark, true);
  }
  // Both entries in one transaction (and one nft process).
  return Nft({"add", "element", "bridge", Table(network), "cluster_of",
              "{ " + address + " : " + mark + " };", "add", "element", "bridge", Table(network),
              "peers", "{ " + address + " . " + mark + " }"},
             "admitting the node " + address);
}

void ForgetNode(const NodeNetwork& network, const std::string& address,
                const std::string& cluster_id, bool is_mark) {
  const std::string mark = is_mark ? cluster_id : MarkOf(cluster_id);
  std::string ignored;
  RunCapturing({kNft, "delete", "element", "bridge", Table(network), "cluster_of",
                "{ " + address + " }"},
               ignored);
  RunCapturing({kNft, "delete", "element", "bridge", Table(network), "peers",
                "{ " + address + " . " + mark + " }"},
               ignored);
}

}  // namespace gangplank::runtime
