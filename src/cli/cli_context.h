// What every command needs from its surroundings, injectable so commands run in-process in tests.
#pragma once

#include <iosfwd>
#include <string>

namespace gangplank::cli {

struct CliContext {
  std::ostream& out;
  std::ostream& err;
  std::istream& in;
  std::string home;  // for ~ expansion and ~/.ssh defaults
};

// Exit codes, documented in the README.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the command ran and failed (bad key, file error, …)
inline constexpr int kExitUsage = 2;    // the command line itself is wrong

}  // namespace gangplank::cli
