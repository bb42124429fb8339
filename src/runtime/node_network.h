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

struct NodeNetwork {
  std::string prefix;  // "10.224": nodes get PREFIX.H.L
  std::string bridge;  // "gp-node-224"

  std::string Gateway() const { return prefix + ".0.1"; }
  std::string Cidr() const { return prefix + ".0.0/16"; }
};

// `requested` is "auto" (the store's choice, or the first free /16 of 10.224.0.0/12) or an
// explicit "10.N.0.0/16". Makes the bridge and its address when they are missing. FailedPrecondition
// when the /16 is in use on the host by something else (named in the message).
Result<NodeNetwork> EnsureNodeNetwork(store::Store& store, const std::string& requested);

// The network recorded in the store, if any (without touching the host).
Result<std::optional<NodeNetwork>> RecordedNodeNetwork(store::Store& store);

// Deletes the bridge (gangplankd stop-nodes --remove, after the last node).
Status RemoveNodeBridge(const NodeNetwork& network);

}  // namespace gangplank::runtime
