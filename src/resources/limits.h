// Every size and count limit of the API in one place: AKS's own, and Gangplank's where AKS has
// none that a client could rely on. A request over one gets 400 QuotaExceeded naming it.
#pragma once

#include <cstddef>

namespace gangplank::resources::limits {

// AKS's documented limits.
inline constexpr std::size_t kPoolsPerCluster = 100;
inline constexpr std::size_t kNodesPerPool = 1000;
inline constexpr std::size_t kPublicKeysPerCluster = 10;

// Gangplank's: a keyData line (an RSA key of 16,384 bits with a full comment fits), its comment.
inline constexpr std::size_t kKeyDataBytes = 8192;
inline constexpr std::size_t kKeyCommentBytes = 1024;
// Local nodes are containers on one host (about 3.3 MiB each when idle): one control plane runs
// at most this many. Simulated nodes are records, bounded like any other resource.
inline constexpr std::size_t kLocalNodesPerControlPlane = 2000;
// What a node's report may carry is bounded where reports are parsed (protocol/node_protocol.h).

}  // namespace gangplank::resources::limits
