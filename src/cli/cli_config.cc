// Reading and writing the CLI's config.json.
#include "cli/cli_config.h"

#include <boost/json.hpp>
#include <cstdlib>

#include "common/file_io.h"

namespace gangplank::cli {
namespace json = boost::json;

namespace {

Result<CliConfig> ParseConfig(const std::string& text, const std::string& path) {
  boost::system::error_code ec;
  const json::value doc = json::parse(text, ec);
  const auto field = [&](const char* name) -> std::string {
    if (ec || !doc.is_object()) return "";
    const json::value* value = doc.get_object().if_contains(name);
    return value && value->is_string() ? std::string(value->get_string()) : "";
  };
  CliConfig config{field("server"),   field("caFile"),       field("tenant"),
                   field("clientId"), field("clientSecret"), field("subscriptionId")};
  if (config.server.empty() || config.client_id.empty() || config.client_secret.empty() ||
      config.subscription_id.empty()) {
    return MakeError(StatusCode::kFailedPrecondition, "BadConfig",
                     path + " lacks server, clientId, clientSecret or subscriptionId");
  }
  if (config.tenant.empty()) config.tenant = "adfs";
  return config;
}

}  // namespace

std::string ConfigDir(const CliContext& context) {
  if (!context.config_dir.empty()) return context.config_dir;
  return context.home + "/.config/gangplank";
}

Result<CliConfig> LoadCliConfig(const CliContext& context) {
  const std::string path = ConfigDir(context) + "/config.json";
  auto text = ReadSecretFile(path, 1 << 20);
  if (!text) {
    if (text.error().code == StatusCode::kNotFound) {
      return MakeError(StatusCode::kFailedPrecondition, "NotLoggedIn",
                       "not logged in: run 'gangplank login --data-dir DIR' (a local gangplankd) "
                       "or 'gangplank login --server URL --client-id ID --client-secret SECRET "
                       "--ca-file FILE'");
    }
    return text.error();
  }
  auto config = ParseConfig(std::string(text->data(), text->size()), path);
  if (config && !context.subscription.empty()) config->subscription_id = context.subscription;
  return config;
}

Status SaveCliConfig(const CliContext& context, const CliConfig& config) {
  const std::string dir = ConfigDir(context);
  if (Status made = EnsureDirectory(dir, 0700); !made.ok()) return made;
  const json::object doc{{"server", config.server},
                         {"caFile", config.ca_file},
                         {"tenant", config.tenant},
                         {"clientId", config.client_id},
                         {"clientSecret", config.client_secret},
                         {"subscriptionId", config.subscription_id}};
  return WriteFileAtomically(dir + "/config.json", json::serialize(doc) + "\n", 0600,
                             IfExists::kReplace);
}

Result<CliConfig> ConfigFromDataDir(const std::string& data_dir) {
  const std::string path = data_dir + "/credentials.json";
  auto text = ReadSecretFile(path, 1 << 20);
  if (!text) {
    return MakeError(text.error().code, text.error().reason,
                     text.error().message + " (is " + data_dir + " a gangplankd data dir?)");
  }
  return ParseConfig(std::string(text->data(), text->size()), path);
}

}  // namespace gangplank::cli
