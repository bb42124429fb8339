// What every command needs from its surroundings, injectable so commands run in-process in tests.
#pragma once

#include <cstddef>
#include <functional>
#include <iosfwd>
#include <string>

#include <ostream>
#include <string_view>

#include "common/error.h"
#include "common/secure_buffer.h"
#include "common/text.h"

namespace gangplank::cli {

struct CliContext {
  std::ostream& out;
  std::ostream& err;
  // Reads all of standard input, at most `max_bytes`, into wiped memory (it may be a private key).
  std::function<Result<SecureString>(std::size_t max_bytes)> read_stdin;
  std::string home;          // for ~ expansion and ~/.ssh defaults
  std::string config_dir;    // empty: $HOME/.config/gangplank (main() honours GANGPLANK_CONFIG_DIR)
  bool interactive = false;  // standard error is a terminal: show progress there
  int verbosity = 0;         // 1: --verbose (requests, progress, timing), 2: --debug (+ headers, bodies)
  std::string subscription{};  // --subscription: instead of the login's
};

// Exit codes, documented in the README.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the command ran and failed (bad key, file error, …)
inline constexpr int kExitUsage = 2;    // the command line itself is wrong
inline constexpr int kExitNotRunning = 3;  // `local status`: no control plane runs

// "error: MESSAGE" on standard error, escaped: messages quote what servers, nodes and users
// sent. Returns kExitFailure.
inline int PrintError(CliContext& context, std::string_view message) {
  context.err << "error: " << TerminalSafe(message) << "\n";
  return kExitFailure;
}

}  // namespace gangplank::cli
