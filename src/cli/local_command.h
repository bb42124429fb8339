// `gangplank local up|down|status`: a gangplankd on this machine, in the background.
#pragma once

#include <CLI/App.hpp>
#include <functional>
#include <memory>
#include <string>

#include "cli/cli_context.h"

namespace gangplank::cli {

struct LocalCommandState;
using LoginFn = std::function<int(const std::string& data_dir)>;

// `login` logs the CLI in to the data dir's control plane once it answers.
std::shared_ptr<LocalCommandState> RegisterLocalCommands(CLI::App& app, CliContext& context,
                                                         int& exit_code, LoginFn login);

}  // namespace gangplank::cli
