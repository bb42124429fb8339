// Region names: letters and digits only, so a location can never carry a header, a path or markup
// into the operation URLs built from it.
#include "resources/location.h"

#include "common/text.h"

namespace gangplank::resources {

Result<std::string> NormalizeLocation(std::string_view given, std::string_view error_code) {
  constexpr std::size_t kMaxLength = 64;
  std::string region;
  bool valid = !given.empty() && given.size() <= 2 * kMaxLength;
  for (const char c : given) {
    if (!valid) break;
    if (c == ' ') continue;
    if (c >= 'A' && c <= 'Z') {
      region += static_cast<char>(c - 'A' + 'a');
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      region += c;
    } else {
      valid = false;
    }
  }
  if (valid && !region.empty() && region.size() <= kMaxLength && region[0] >= 'a') return region;
  return MakeError(StatusCode::kInvalidArgument, std::string(error_code),
                   "The location '" + TerminalSafe(given.substr(0, kMaxLength)) +
                       "' is not a region name: a region name is letters and digits, such as "
                       "'westus2' (a display name such as 'West US 2' is taken too).");
}

}  // namespace gangplank::resources
