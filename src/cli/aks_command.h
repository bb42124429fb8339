// `gangplank login` and `gangplank aks …` (create, update, show, nodepool upgrade, machine list,
// ssh): what the seed page does with `az aks`, against gangplankd.
#pragma once

#include <CLI/App.hpp>
#include <memory>

#include "cli/cli_context.h"

namespace gangplank::cli {

struct AksCommandState;

// Adds the commands to `app`; the returned state owns the parsed flags and must outlive parsing.
std::shared_ptr<AksCommandState> RegisterAksCommands(CLI::App& app, CliContext& context,
                                                     int& exit_code);

// `gangplank login --data-dir DATA_DIR`, for `local up`.
int LoginToDataDir(CliContext& context, const std::string& data_dir);

}  // namespace gangplank::cli
