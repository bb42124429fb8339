// Home-directory lookup and `~` expansion.
#include "common/paths.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

namespace gangplank {

std::string HomeDirectory() {
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') return home;
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  if (getpwuid_r(getuid(), &entry, buffer.data(), buffer.size(), &found) == 0 && found != nullptr) {
    return found->pw_dir;
  }
  return "/";
}

std::string ExpandUser(std::string_view path, std::string_view home) {
  if (path.empty() || path[0] != '~') return std::string(path);
  const std::size_t slash = path.find('/');
  const std::string_view user =
      path.substr(1, slash == std::string_view::npos ? path.npos : slash - 1);
  const std::string_view rest =
      slash == std::string_view::npos ? std::string_view() : path.substr(slash);
  if (user.empty()) return std::string(home) + std::string(rest);
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  const std::string name(user);
  if (getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) == 0 &&
      found != nullptr) {
    return std::string(found->pw_dir) + std::string(rest);
  }
  return std::string(path);  // unknown user: leave as typed, the caller reports "not found"
}

}  // namespace gangplank
