// The CLI's login: which control plane, its CA, and the client credentials, kept in
// ${GANGPLANK_CONFIG_DIR:-$HOME/.config/gangplank}/config.json (0600, the directory 0700).
#pragma once

#include <string>

#include "cli/cli_context.h"
#include "common/error.h"

namespace gangplank::cli {

struct CliConfig {
  std::string server;  // https://HOST:PORT/
  std::string ca_file;
  std::string tenant = "adfs";
  std::string client_id;
  std::string client_secret;
  std::string subscription_id;
};

std::string ConfigDir(const CliContext& context);
// NotFound with "run gangplank login" when nobody logged in yet.
Result<CliConfig> LoadCliConfig(const CliContext& context);
Status SaveCliConfig(const CliContext& context, const CliConfig& config);
// A control plane's credentials.json (written by gangplankd in its data dir).
Result<CliConfig> ConfigFromDataDir(const std::string& data_dir);

}  // namespace gangplank::cli
