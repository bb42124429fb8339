// The node agents' listener: a Unix socket in the nodes directory (bind-mounted into every node),
// plain HTTP/1.1 for the node protocol only. A GET of the desired state that names the state the
// agent has (If-None-Match) and asks to wait (?wait=SECONDS) is held until the machine's row
// changes in the store, or the wait ends (304): agents learn of a change at once and cost nothing
// while idle. Each connection belongs to the node its peer process runs in (the kernel says which
// process, its cgroup says which node): a node holds a few connections at most and speaks only as
// itself, whatever token root inside it presents.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>

#include "api/https_server.h"
#include "auth/node_tokens.h"
#include "store/store.h"

namespace gangplank::server {

struct NodeGatewayOptions {
  std::chrono::seconds max_wait{120};          // the longest wait a request may ask for
  // A connection with no whole request for this long closes. Longer than an agent's heartbeat
  // (240 s): its report connection stays open between reports, where a new one would cost an
  // accept and a read of the peer's cgroup each time. Nodes are capped in connections anyway.
  std::chrono::seconds idle_timeout{300};
  std::size_t max_body_bytes = 1 << 20;        // a node report is far smaller
  std::size_t max_connections = 20000;         // beyond this, new connections are closed at once
  // Connections one node may hold at once (its agent needs two: a long poll and a report); more
  // are closed at once, so root flooding the socket from one node costs the others nothing.
  std::size_t max_connections_per_node = 8;
  // Called on the gateway's watcher thread every `flush_every`, and once more when the gateway
  // stops: writes what the agents' requests left to be written together (their heartbeats).
  std::function<void()> flush;
  std::chrono::seconds flush_every{15};
};

class NodeGateway {
 public:
  // `handler` answers one request (the API service; only /gangplank/node/v1/… reaches it).
  NodeGateway(store::Store& store, const auth::NodeTokens& tokens, api::RequestHandler handler,
              NodeGatewayOptions options = {});
  ~NodeGateway();
  NodeGateway(const NodeGateway&) = delete;
  NodeGateway& operator=(const NodeGateway&) = delete;

  // Binds `socket` (a stale socket there is replaced atomically) and serves on its own thread.
  Status Start(const std::filesystem::path& socket);
  // Stops accepting, closes every connection and joins the thread; Start may follow again.
  void Stop();
  bool Serving() const;
  // Requests held waiting for a change (tests and benchmarks look).
  std::size_t Waiting() const;

  struct Impl;  // defined in node_gateway.cc, where its sessions use it

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace gangplank::server
