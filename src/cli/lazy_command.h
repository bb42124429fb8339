// Commands whose options are added only when the command line reaches them.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace gangplank::cli {

// Adds the command's options and callback. A process runs one command, and CLI11 compares every
// new option with all of its command's options: building the whole tree cost more instructions
// than the TLS request a command sends. The rest of the tree keeps its names and descriptions,
// which is all that help listings and "did you mean" need.
using PopulateCommand = std::function<void(CLI::App* command)>;

// Adds `name` under `parent`. `populate` runs the first time the command is reached: by
// ReachCommand (the walk of the command line before parsing) or by CLI11 entering it.
CLI::App* AddCommand(CLI::App* parent, std::string name, std::string description,
                     PopulateCommand populate);

// Populates `command` if it was added by AddCommand and has not been populated yet.
void ReachCommand(CLI::App& command);

}  // namespace gangplank::cli
