// The local certificate authority and serving certificate a first start creates (DESIGN.md §3).
#pragma once

#include <filesystem>
#include <string>

#include "common/error.h"

namespace gangplank::auth {

struct TlsFiles {
  std::string ca_cert;      // DIR/tls/ca.crt: what clients trust (REQUESTS_CA_BUNDLE)
  std::string server_cert;  // DIR/tls/server.crt: for 127.0.0.1 and localhost
  std::string server_key;   // DIR/tls/server.key (0600)
};

// Creates the CA and a serving certificate signed by it on first start (keys 0600, directory
// 0700); later starts reuse them. The CA's private key stays in DIR/tls/ca.key (0600).
Result<TlsFiles> EnsureLocalTls(const std::filesystem::path& data_dir);

}  // namespace gangplank::auth
