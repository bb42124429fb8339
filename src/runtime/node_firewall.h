// The node network's firewall (nftables, one pair of tables per node bridge): a node reaches the
// nodes of its own cluster and answers what the host asks, and nothing else — not the host's
// services (through the gateway address or any other), not another cluster's nodes. Root inside a
// node cannot change it: the node has no CAP_NET_ADMIN and its own network namespace.
#pragma once

#include <string>

#include "common/error.h"
#include "runtime/node_network.h"

namespace gangplank::runtime {

// Makes the tables of `network` unless they exist (their sets keep the nodes already admitted);
// `fresh` (the bridge was just made) replaces whatever an earlier control plane on the same /16
// left.
Status EnsureNodeFirewall(const NodeNetwork& network, bool fresh);
// Removes them, with the bridge (nothing of a node network stays on the host).
Status RemoveNodeFirewall(const NodeNetwork& network);
// Lets the node at `address` reach the other nodes of the cluster `cluster_id` (and be reached by
// them), and forgets it again. `cluster_id` is the ARM id of its managed cluster.
Status AdmitNode(const NodeNetwork& network, const std::string& address,
                 const std::string& cluster_id);
void ForgetNode(const NodeNetwork& network, const std::string& address,
                const std::string& cluster_id, bool is_mark = false);
// The cluster a machine belongs to: its ARM id up to the agent pool.
std::string ClusterOfMachine(const std::string& machine_id);

}  // namespace gangplank::runtime
