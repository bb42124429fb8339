// Builds the CLI11 command tree from the command groups and maps parse errors to exit codes.
#include "cli/app.h"

#include <CLI/CLI.hpp>
#include <memory>

#include "cli/aks_command.h"
#include "cli/local_command.h"
#include "cli/ssh_key_command.h"

namespace gangplank::cli {

int RunGangplank(int argc, const char* const* argv, CliContext& context) {
  CLI::App app{"Gangplank: AKS-compatible node pools and SSH access to their nodes.", "gangplank"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "gangplank 0.1.0");
  int exit_code = kExitOk;
  auto ssh_key = RegisterSshKeyCommands(app, context, exit_code);
  auto aks = RegisterAksCommands(app, context, exit_code);
  auto local = RegisterLocalCommands(app, context, exit_code, [&context](const std::string& dir) {
    return LoginToDataDir(context, dir);
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error, context.out, context.err);
    return code == 0 ? kExitOk : kExitUsage;
  }
  return exit_code;
}

}  // namespace gangplank::cli
