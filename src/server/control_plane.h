// Wires gangplankd together: data dir, TLS, credentials, tokens, store, API, listener, signals.
#pragma once

#include <iosfwd>
#include <string>

#include "runtime/node_network.h"

namespace gangplank::server {

struct ControlPlaneOptions {
  std::string data_dir;  // empty: $GANGPLANK_DATA_DIR or ~/.local/share/gangplank
  std::string listen = "127.0.0.1:8443";
  std::string metrics_listen;  // HOST:PORT for plain-HTTP GET /metrics without a token; empty: none
  std::string store_url;  // empty: sqlite:DATA_DIR/gangplank.db; postgresql://…: replicas
  std::string store_key;  // with a shared store: the file whose key seals the shared secrets
  std::string public_url;  // empty: this process's own https://HOST:PORT/
  int threads = 0;        // 0: the number of cores
  int max_connections = 1000;  // at most half the open-file limit; beyond: 503 Retry-After
  std::string tls_cert;
  std::string tls_key;
  std::string nodes;       // "local" | "simulated"; empty: local as root, simulated otherwise
  std::string nodes_dir;   // empty: /var/lib/gangplank/nodes/<hash of the data dir>
  std::string node_agent;  // empty: gangplank-node beside the gangplankd binary
  int node_timeout_seconds = 120;
  // The largest disk a local node gets ("256M", "8G"): a pool's osDiskSizeGB above it is cut.
  std::string node_disk_max = "8G";
  // Local nodes: "auto" (a free /16 of 10.224.0.0/12, kept in the store) or 10.N.0.0/16.
  // Simulated nodes: "auto" is 127.42.0.0/16.
  std::string node_network = "auto";
  int nodes_per_bridge = runtime::kDefaultNodesPerBridge;  // --node-bridge-ports
};

// `gangplankd stop-nodes`: stops the local nodes of options.data_dir (or options.nodes_dir).
int StopLocalNodes(const ControlPlaneOptions& options, bool remove, std::ostream& out,
                   std::ostream& err);

// `gangplankd node-image publish|list`: the node image catalog of options.data_dir.
int PublishNodeImage(const ControlPlaneOptions& options, const std::string& os_sku,
                     const std::string& version, std::ostream& out, std::ostream& err);
int ListNodeImages(const ControlPlaneOptions& options, std::ostream& out);
// `gangplankd node-image build`: the root file system of a version, in options.data_dir.
int BuildNodeImage(const ControlPlaneOptions& options, const std::string& version,
                   std::ostream& out, std::ostream& err);

// Runs until SIGINT or SIGTERM; returns the process exit code.
int RunControlPlane(const ControlPlaneOptions& options, std::ostream& out, std::ostream& err);

}  // namespace gangplank::server
