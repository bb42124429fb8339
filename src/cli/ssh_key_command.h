// `gangplank ssh-key show|generate`: inspect and create OpenSSH keys.
#pragma once

#include <CLI/App.hpp>
#include <memory>

#include "cli/cli_context.h"

namespace gangplank::cli {

struct SshKeyCommandState;

// Adds the command group to `app`; the returned state owns the parsed flags and must outlive
// parsing. The command's exit code is written to `exit_code`.
std::shared_ptr<SshKeyCommandState> RegisterSshKeyCommands(CLI::App& app, CliContext& context,
                                                           int& exit_code);

}  // namespace gangplank::cli
