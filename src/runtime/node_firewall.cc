// nftables rules of a node network: an inet table for what reaches the host, a bridge table for
// what passes between nodes, and per node one map entry (address → its cluster's mark) and one
// set entry (address . mark).
#include "runtime/node_firewall.h"

#include <nftables/libnftables.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/store.h"

namespace gangplank::runtime {
namespace {

// What `nft COMMANDS` does, in this process (libnftables): a node start changes the firewall
// twice, and an nft process each time cost more than the change. One context, one caller at a
// time (a context is not safe to share; the kernel serializes the changes anyway).
Result<std::string> RunNft(const std::string& commands) {
  static std::mutex mutex;
  static const std::unique_ptr<nft_ctx, decltype(&nft_ctx_free)> context = [] {
    std::unique_ptr<nft_ctx, decltype(&nft_ctx_free)> made(nft_ctx_new(NFT_CTX_DEFAULT),
                                                           &nft_ctx_free);
    if (made) {
      nft_ctx_buffer_output(made.get());
      nft_ctx_buffer_error(made.get());
    }
    return made;
  }();
  std::lock_guard lock(mutex);
  if (!context) {
    return MakeError(StatusCode::kUnavailable, "NodeFirewallFailed",
                     "cannot start libnftables (out of memory)");
  }
  if (nft_run_cmd_from_buffer(context.get(), commands.c_str()) != 0) {
    std::string why = nft_ctx_get_error_buffer(context.get());
    while (!why.empty() && why.back() == '\n') why.pop_back();
    return MakeError(StatusCode::kUnavailable, "NodeFirewallFailed", why);
  }
  // Read once the command succeeded: the error buffer is emptied by reading it, too.
  (void)nft_ctx_get_error_buffer(context.get());
  return std::string(nft_ctx_get_output_buffer(context.get()));
}

Status Nft(const std::string& commands, const std::string& what) {
  auto ran = RunNft(commands);
  if (!ran) {
    Error error = ran.error();
    error.message = what + " failed (nftables): " + error.message;
    return error;
  }
  return OkStatus();
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

// Host side: from the node bridges (the main one and its segments, BRIDGE-K: a packet a node
// sends to the host comes in on the bridge the node is on), only answers to what the host started.
std::string HostTable(const NodeNetwork& network) {
  const std::string table = Table(network), bridge = network.bridge + "*";
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
         "}\n";
}

// Between nodes, the rules of the bridge table's forward chain: an IPv4 packet passes when its
// destination is a node of the source's cluster (the source's mark, looked up by its address,
// must pair with the destination in `peers`); ARP and the like pass. Packets between the host
// (the gateway) and a node on a segment are forwarded on their way too: they pass here, and the
// host side above judges what reaches the host.
std::vector<std::string> BetweenNodesRules(const NodeNetwork& network) {
  return {// Every bridge's packets pass every bridge table: this one judges its own network's.
          "ether type != ip accept",
          "ip saddr != " + network.Cidr() + " accept",
          "ip saddr " + network.Gateway() + " accept",
          "ip daddr " + network.Gateway() + " accept",
          "meta mark set ip saddr map @cluster_of",
          "ip daddr . meta mark @peers accept",
          "drop"};
}

std::string Ruleset(const NodeNetwork& network) {
  std::string rules;
  for (const std::string& rule : BetweenNodesRules(network)) rules += "    " + rule + "\n";
  return HostTable(network) + "table bridge " + Table(network) + " {\n"
         "  map cluster_of { type ipv4_addr : mark; }\n"
         "  set peers { type ipv4_addr . mark; }\n"
         "  chain forward {\n"
         "    type filter hook forward priority filter; policy accept;\n" + rules +
         "  }\n"
         "}\n";
}

// Tables made before bridges had segments: the host side names the main bridge only, and the
// bridge table drops what passes between the host and a segment.
bool Current(const std::string& host_side, const std::string& between_nodes,
             const NodeNetwork& network) {
  return host_side.find("\"" + network.bridge + "*\"") != std::string::npos &&
         between_nodes.find("ip saddr " + network.Gateway() + " accept") != std::string::npos;
}

}  // namespace

std::string ClusterOfMachine(const std::string& machine_id) {
  const std::string key = store::IdKey(machine_id);
  const std::size_t pools = key.find("/agentpools/");
  return pools == std::string::npos ? key : key.substr(0, pools);
}

Status EnsureNodeFirewall(const NodeNetwork& network, bool fresh) {
  const auto host_side = RunNft("list table inet " + Table(network));
  const auto between_nodes = RunNft("list table bridge " + Table(network));
  if (!fresh && host_side && between_nodes) {
    if (Current(*host_side, *between_nodes, network)) return OkStatus();
    // Brought up to date in one transaction (the host is never without its rules), keeping the
    // bridge table's map and set: the nodes already admitted stay admitted.
    std::string update = "delete table inet " + Table(network) + "\n" + HostTable(network) +
                         "flush chain bridge " + Table(network) + " forward\n";
    for (const std::string& rule : BetweenNodesRules(network))
      update += "add rule bridge " + Table(network) + " forward " + rule + "\n";
    return Nft(update, "updating the node network's firewall");
  }
  (void)RemoveNodeFirewall(network);  // half of it (a crash between the two): made again whole
  return Nft(Ruleset(network), "setting up the node network's firewall");
}

Status RemoveNodeFirewall(const NodeNetwork& network) {
  for (const char* family : {"inet", "bridge"}) {
    (void)RunNft("delete table " + std::string(family) + " " + Table(network));  // absent: fine
  }
  return OkStatus();
}

Status AdmitNode(const NodeNetwork& network, const std::string& address,
                 const std::string& cluster_id) {
  const std::string mark = MarkOf(cluster_id);
  const std::string table = "bridge " + Table(network);
  // The address may have been another cluster's node's before (one that went without being
  // forgotten): its old pairing goes first. Admitting the same node twice is harmless.
  if (auto found = RunNft("get element " + table + " cluster_of { " + address + " }")) {
    const std::size_t at = found->find(address + " : ");
    const std::string old_mark =
        at == std::string::npos ? "" : found->substr(at + address.size() + 3, 10);
    if (!old_mark.empty() && old_mark != mark) ForgetNode(network, address, old_mark, true);
  }
  // Both entries in one transaction.
  return Nft("add element " + table + " cluster_of { " + address + " : " + mark + " }\n" +
                 "add element " + table + " peers { " + address + " . " + mark + " }\n",
             "admitting the node " + address);
}

void ForgetNode(const NodeNetwork& network, const std::string& address,
                const std::string& cluster_id, bool is_mark) {
  const std::string mark = is_mark ? cluster_id : MarkOf(cluster_id);
  const std::string table = "bridge " + Table(network);
  // Each on its own: either may be gone already.
  (void)RunNft("delete element " + table + " cluster_of { " + address + " }");
  (void)RunNft("delete element " + table + " peers { " + address + " . " + mark + " }");
}

}  // namespace gangplank::runtime
