// Entry point of the `gangplank` CLI.
#include <iostream>

#include "cli/app.h"
#include "common/paths.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  gangplank::cli::CliContext context{std::cout, std::cerr, std::cin, gangplank::HomeDirectory()};
  return gangplank::cli::RunGangplank(argc, argv, context);
}
