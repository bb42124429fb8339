// Starting programs from a forked child: nothing of the parent (listening sockets, files) leaks.
#pragma once

#include <string>
#include <vector>

namespace gangplank {

// In a forked child: closes every descriptor above 2 and executes argv[0] (a path) with argv;
// exits with status 127 if that fails. Never returns.
[[noreturn]] void ExecInChild(const std::vector<std::string>& argv);

}  // namespace gangplank
