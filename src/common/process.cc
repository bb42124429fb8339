// ExecInChild: close_range, then execv.
#include "common/process.h"

#include <unistd.h>

namespace gangplank {

void ExecInChild(const std::vector<std::string>& argv) {
  ::close_range(3, ~0U, 0);
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  ::execv(args[0], args.data());
  ::_exit(127);
}

}  // namespace gangplank
