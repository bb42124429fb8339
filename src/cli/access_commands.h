// `gangplank ad`, `gangplank role` and `gangplank monitor activity-log`: the access-control and
// audit commands, with az's names and outputs.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/aks_support.h"
#include "cli/cli_context.h"

namespace gangplank::cli {

void RegisterAccessCommands(CLI::App& app, AksCommandState& state, CliContext& context,
                            int& exit_code);

}  // namespace gangplank::cli
