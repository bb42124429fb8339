// Node credentials: each node agent proves which machine it is with a token derived from a key
// only gangplankd holds (HMAC-SHA256 over the machine's id and its per-provisioning uid), so the
// store keeps no node secret and a token dies with its machine record. The kubeconfig credentials
// of a cluster's read-only Kubernetes view are made the same way (cluster id and uid) with a key
// of their own. Node tokens expire (a day after they are issued); an agent renews its token over
// the node protocol, and the node controller refreshes the token file of every node it runs, so
// a node that was cut off longer than a day gets back in. Kubeconfig credentials do not expire.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/error.h"
#include "common/secure_buffer.h"

namespace gangplank::auth {

struct NodeIdentity {
  std::string machine_id;    // the ARM id of the machine
  std::string uid;           // changes whenever the machine record is created anew
  long long expires_at = 0;  // Unix seconds; 0: the token does not expire
};

// How long a node token is good for.
inline constexpr std::chrono::seconds kNodeTokenLifetime{24 * 3600};

class NodeTokens {
 public:
  // Loads DATA_DIR/auth/KEY_FILE (0600), creating it on first start. With a `clock`, tokens
  // expire `lifetime` after they are issued; without one they never do.
  static Result<NodeTokens> Open(const std::filesystem::path& data_dir,
                                 std::string_view key_file = "node-token.key",
                                 const Clock* clock = nullptr,
                                 std::chrono::seconds lifetime = kNodeTokenLifetime);

  // A token for `identity` (its expires_at is set from the clock, not taken from the caller).
  std::string Issue(const NodeIdentity& identity) const;
  // The identity a token names, if gangplankd issued it (compared in constant time) and it has
  // not expired.
  Result<NodeIdentity> Verify(std::string_view token) const;

 private:
  struct KeyedMac;  // HMAC-SHA256 with the key set up once
  NodeTokens(std::shared_ptr<const KeyedMac> mac, const Clock* clock, std::chrono::seconds lifetime)
      : mac_(std::move(mac)), clock_(clock), lifetime_(lifetime) {}
  std::string Mac(const NodeIdentity& identity) const;

  std::shared_ptr<const KeyedMac> mac_;
  const Clock* clock_;
  std::chrono::seconds lifetime_;
};

}  // namespace gangplank::auth
