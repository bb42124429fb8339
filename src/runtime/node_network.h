// The node network of a control plane: a Linux bridge it owns, holding the gateway address
// PREFIX.0.1 of a /16 that no route or address of the host overlaps (from 10.224.0.0/12, AKS's
// default node range). The choice is made once, kept in the store (replicas agree on it), and
// never collides with another control plane on the host: it is made under a host-wide lock and
// the bridge, whose route marks the /16 as taken, exists before the lock is released.
#pragma once

#include <string>

#include "common/error.h"
#include "store/store.h"

namespace gangplank::runtime {

// A Linux bridge holds at most 1,023 ports. Nodes are spread over bridges by address: the first
// `nodes_per_bridge` addresses of the /16 are on the main bridge (which holds the gateway), each
// further block of as many on a bridge of its own, BRIDGE-K, linked to the main bridge by a veth
// pair (gpuN-K on the main bridge, gpdN-K on BRIDGE-K): one Ethernet segment, as before.
inline constexpr int kDefaultNodesPerBridge = 900;

struct NodeNetwork {
  std::string prefix;  // "10.224": nodes get PREFIX.H.L
  std::string bridge;  // "gp-node-224"
  int nodes_per_bridge = kDefaultNodesPerBridge;

  std::string Gateway() const { return prefix + ".0.1"; }
  std::string Cidr() const { return prefix + ".0.0/16"; }
  // The bridge the node at `address` (PREFIX.H.L) is attached to: `bridge` or BRIDGE-K.
  Result<std::string> BridgeFor(const std::string& address) const;
};

// Makes `segment` (a BridgeFor answer) and its link to the main bridge unless they are there;
// nothing for the main bridge itself, which EnsureNodeNetwork makes.
Status EnsureBridgeSegment(const NodeNetwork& network, const std::string& segment);

// True when the link `name` is up and attached to `bridge`.
bool AttachedToBridge(const std::string& name, const std::string& bridge);

// `requested` is "auto" (the store's choice, or the first free /16 of 10.224.0.0/12) or an
// explicit "10.N.0.0/16". Makes the bridge and its address when they are missing.
// FailedPrecondition when the /16 is in use on the host by something else (named in the message).
Result<NodeNetwork> EnsureNodeNetwork(store::Store& store, const std::string& requested);

// The network recorded in the store, if any (without touching the host).
Result<std::optional<NodeNetwork>> RecordedNodeNetwork(store::Store& store);

// True when an interface of this host holds `address` (an IPv4 address in text), or it is the
// broadcast address of one: such an address is never given to a node. Costs the same however
// many interfaces (node veths) the host has.
bool HeldOnHost(const std::string& address);

// Deletes the bridge, its segments and their links (gangplankd stop-nodes --remove, after the
// last node).
Status RemoveNodeBridge(const NodeNetwork& network);

}  // namespace gangplank::runtime
