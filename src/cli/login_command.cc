// `gangplank login`: a local gangplankd's data dir, or a server with a client id and secret;
// the login is kept for the commands after it (cli_config.h).
#include <boost/json.hpp>

#include "cli/aks_command.h"
#include "cli/aks_support.h"
#include "cli/arm_client.h"
#include "cli/cli_config.h"
#include "cli/lazy_command.h"
#include "common/file_io.h"
#include "common/paths.h"

namespace gangplank::cli {
namespace json = boost::json;

namespace {

// An az configuration directory whose active cloud points at `server`: registered as
// "azurecloud" (lower case, beside az's built-in AzureCloud), because the az ssh extension asks
// for certificates only in clouds named like Azure's and refuses any other name. The endpoints are
// what `az cloud register --endpoint-resource-manager` reads from the server's metadata, with
// Microsoft Graph at the server too.
Status WriteAzCloud(const std::string& dir, const CliConfig& config) {
  const std::string& base = config.server;
  std::string clouds = "[azurecloud]\nprofile = latest\n";
  for (const auto& [key, value] :
       std::initializer_list<std::pair<const char*, std::string>>{
           {"management", base},
           {"resource_manager", base},
           {"active_directory", base + "adfs"},
           {"active_directory_resource_id", base},
           {"active_directory_graph_resource_id", base + "graph/"},
           {"microsoft_graph_resource_id", base},
           {"gallery", base},
           {"portal", base}})
    clouds += std::string("endpoint_") + key + " = " + value + "\n";
  GP_RETURN_IF_ERROR(EnsureDirectory(dir, 0700));
  GP_RETURN_IF_ERROR(WriteFileAtomically(dir + "/clouds.config", clouds, 0600, IfExists::kReplace));
  // az reads the active cloud's name from here (AZURE_CLOUD_NAME=azurecloud does the same).
  return WriteFileAtomically(dir + "/config", "[cloud]\nname = azurecloud\n\n", 0600,
                             IfExists::kReplace);
}

int RunLogin(AksCommandState& state, CliContext& context) {
  Result<CliConfig> config = CliConfig{};
  if (!state.login_data_dir.empty()) {
    config = ConfigFromDataDir(ExpandUser(state.login_data_dir, context.home));
  } else {
    if (state.login_server.empty() || state.login_client_id.empty() ||
        state.login_client_secret.empty() || state.login_ca_file.empty()) {
      context.err << "error: give --data-dir DIR (a local gangplankd), or --server, --client-id, "
                     "--client-secret and --ca-file\n";
      return kExitUsage;
    }
    CliConfig given;
    given.server = state.login_server;
    if (!given.server.ends_with('/')) given.server += '/';
    given.ca_file = ExpandUser(state.login_ca_file, context.home);
    given.client_id = state.login_client_id;
    given.client_secret = state.login_client_secret;
    if (given.client_secret == "-") {
      // From standard input, so that the secret shows in no process list or shell history.
      auto secret = context.read_stdin(4096);
      if (!secret) return Fail(context, secret.error());
      given.client_secret.assign(secret->data(), secret->size());
      while (!given.client_secret.empty() &&
             (given.client_secret.back() == '\n' || given.client_secret.back() == '\r'))
        given.client_secret.pop_back();
    }
    given.subscription_id = state.login_subscription;
    config = given;
  }
  if (!config) return Fail(context, config.error());
  auto client = Connect(context, *config, /*cached=*/false);
  if (!client) return Fail(context, client.error());
  // The login proves itself: a token, then the subscription it can see.
  auto subscriptions = client->Call("GET", "/subscriptions?api-version=2020-01-01");
  if (!subscriptions) return Fail(context, subscriptions.error());
  if (config->subscription_id.empty()) {
    const auto& list = subscriptions->body.at("value").as_array();
    if (list.empty())
      return Fail(context, MakeError(StatusCode::kNotFound, "NoSubscription",
                                     "the login sees no subscription"));
    config->subscription_id = std::string(list.at(0).at("subscriptionId").as_string());
  }
  if (Status saved = SaveCliConfig(context, *config); !saved.ok())
    return Fail(context, saved.error());
  // Another login: nothing of the last one's token or TLS session is used again.
  std::error_code ignored;
  for (const char* cache : {"/tokens.json", "/tls-session"})
    std::filesystem::remove(ConfigDir(context) + cache, ignored);
  context.err << "Logged in to " << config->server << " (subscription " << config->subscription_id
              << "); the credentials are in " << ConfigDir(context) << "/config.json (0600)\n";
  if (state.login_az_cloud) {
    const std::string dir = ConfigDir(context) + "/az";
    if (Status written = WriteAzCloud(dir, *config); !written.ok())
      return Fail(context, written.error());
    // The secret is not repeated here: it is where the login read it from.
    context.err << "An az configuration for " << config->server << " (cloud azurecloud, which "
                << "az ssh takes) is in " << dir << ". Use it with:\n  export AZURE_CONFIG_DIR="
                << dir << " REQUESTS_CA_BUNDLE=" << config->ca_file
                << "\n  az login --service-principal -u " << config->client_id
                << " -p SECRET --tenant adfs\n  az ssh vm --ip NODE_ADDRESS\n";
  }
  return kExitOk;
}

}  // namespace

void RegisterLoginCommand(CLI::App& app, AksCommandState& state, CliContext& context,
                          int& exit_code) {
  AddCommand(
      &app, "login",
      "Log in to a control plane.\n\nExamples:\n"
      "  gangplank login --data-dir ~/.local/share/gangplank\n"
      "  gangplank login --server https://127.0.0.1:8443/ --client-id ID --client-secret S "
      "--ca-file ca.crt\n"
      "  pass show gangplank | gangplank login --server https://gp.example:8443/ --client-id ID "
      "--client-secret - --ca-file ca.crt",
      [&state, &context, &exit_code](CLI::App* login) {
        login->add_option("--data-dir", state.login_data_dir,
                          "A local gangplankd's data dir (its credentials.json)");
        login->add_option("--server", state.login_server, "https://HOST:PORT/");
        login->add_option("--client-id", state.login_client_id, "Client id");
        login->add_option("--client-secret", state.login_client_secret,
                          "Client secret, or - to read it from standard input");
        login->add_option("--ca-file", state.login_ca_file, "CA certificate of the server");
        login->add_option("--subscription", state.login_subscription,
                          "Subscription (default: the first the login sees)");
        login->add_flag(
            "--az-cloud", state.login_az_cloud,
            "Also write an az configuration for this server (cloud azurecloud, the name "
            "az ssh requires) and say how to use it");
        login->callback([&state, &context, &exit_code] { exit_code = RunLogin(state, context); });
      });
}

int LoginToDataDir(CliContext& context, const std::string& data_dir) {
  AksCommandState state;
  state.login_data_dir = data_dir;
  return RunLogin(state, context);
}

}  // namespace gangplank::cli
