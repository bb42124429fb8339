// Checks a command line against the command tree before CLI11 parses it, so that an unknown
// command or flag gets "did you mean …" and a group without its command lists the commands.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace gangplank::cli {

// The candidates closest to `word` (edit distance, or `word` a prefix of them), best first.
std::vector<std::string> ClosestNames(std::string_view word,
                                      const std::vector<std::string>& candidates);

// InvalidArgument with the message to print (exit 2) when `args` (argv without argv[0]) names a
// command or flag the tree does not have, or stops at a group that needs a command.
Status CheckCommandLine(const CLI::App& root, const std::vector<std::string>& args);

// Whether an argument may be quoted back in an error: short, one plain word. Anything else (a
// key pasted in the wrong place, a phrase) may be a secret and is never printed.
bool SafeToEcho(std::string_view argument);

// `message` with every argument that is not SafeToEcho replaced by "<value not shown>": for
// CLI11's own messages, which quote what they did not expect.
std::string RedactArguments(std::string message, const std::vector<std::string>& args);

}  // namespace gangplank::cli
