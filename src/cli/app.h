// The `gangplank` command tree: parses the command line and runs one command.
#pragma once

#include "cli/cli_context.h"

namespace gangplank::cli {

int RunGangplank(int argc, const char* const* argv, CliContext& context);

}  // namespace gangplank::cli
