// nftables rules of a node network: an inet table for what reaches the host, a bridge table for
// what passes between nodes, and per node one map entry (address → its cluster's mark) and one
// set entry (address . mark).
#include "runtime/node_firewall.h"

#include <nftables/libnftables.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>

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
  if (!fresh && RunNft("list table bridge " + Table(network)) &&
      RunNft("list table inet " + Table(network)))
    return OkStatus();
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
