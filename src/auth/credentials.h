// The admin client credentials a first start writes to DIR/credentials.json (DESIGN.md §3).
#pragma once

#include <filesystem>
#include <string>

#include "common/error.h"

namespace gangplank::auth {

struct AdminCredentials {
  std::string server;   // https://HOST:PORT/ (the resource manager endpoint)
  std::string ca_file;  // the local CA clients must trust
  std::string tenant = "adfs";
  std::string client_id;
  std::string client_secret;  // only in the 0600 file; never logged
  std::string subscription_id;
};

// Loads DIR/credentials.json, or creates it (mode 0600) with a new client and subscription.
// `server` and `ca_file` are refreshed on every start (the listen address may change).
Result<AdminCredentials> EnsureAdminCredentials(const std::filesystem::path& data_dir,
                                                const std::string& server,
                                                const std::string& ca_file);

}  // namespace gangplank::auth
