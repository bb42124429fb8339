// Node credentials: each node agent proves which machine it is with a token derived from a key
// only gangplankd holds (HMAC-SHA256 over the machine's id and its per-provisioning uid), so the
// store keeps no node secret and a token dies with its machine record. The kubeconfig credentials
// of a cluster's read-only Kubernetes view are made the same way (cluster id and uid) with a key
// of their own.
#pragma once

#include <filesystem>
#include <string>

#include "common/error.h"
#include "common/secure_buffer.h"

namespace gangplank::auth {

struct NodeIdentity {
  std::string machine_id;  // the ARM id of the machine
  std::string uid;         // changes whenever the machine record is created anew
};

class NodeTokens {
 public:
  // Loads DATA_DIR/auth/KEY_FILE (0600), creating it on first start.
  static Result<NodeTokens> Open(const std::filesystem::path& data_dir,
                                 std::string_view key_file = "node-token.key");

  std::string Issue(const NodeIdentity& identity) const;
  // The identity a token names, if gangplankd issued it (compared in constant time).
  Result<NodeIdentity> Verify(std::string_view token) const;

 private:
  explicit NodeTokens(SecureString key) : key_(std::move(key)) {}
  std::string Mac(const NodeIdentity& identity) const;

  SecureString key_;
};

}  // namespace gangplank::auth
