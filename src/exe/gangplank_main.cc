// Entry point of the `gangplank` CLI.
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "cli/app.h"
#include "common/file_io.h"
#include "common/paths.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  gangplank::cli::CliContext context{std::cout,
                                     std::cerr,
                                     [](std::size_t max_bytes) {
                                       return gangplank::ReadSecretStream(
                                           STDIN_FILENO, "standard input", max_bytes);
                                     },
                                     gangplank::HomeDirectory(),
                                     "",
                                     false};
  if (const char* dir = std::getenv("GANGPLANK_CONFIG_DIR"); dir && *dir) context.config_dir = dir;
  context.interactive = ::isatty(STDERR_FILENO) == 1;
  return gangplank::cli::RunGangplank(argc, argv, context);
}
