// Entry point of the `gangplank` CLI.
#include <unistd.h>

#include <cstdio>
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
  const int exit_code = gangplank::cli::RunGangplank(argc, argv, context);
#if defined(GANGPLANK_SANITIZED)
  return exit_code;  // the sanitizers' checks run at exit
#else
  // Everything the command writes is written by now (files closed, the session saved when its
  // client went): skip the destructors and OpenSSL's cleanup, a tenth of a short command's time.
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  std::_Exit(exit_code);
#endif
}
