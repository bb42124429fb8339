// Home-directory lookup and `~` expansion, as a shell (and the az CLI) would do it.
#pragma once

#include <string>
#include <string_view>

namespace gangplank {

// $HOME, else the passwd entry of the current user, else "/".
std::string HomeDirectory();

// "~" and "~/x" expand against `home`; "~user/x" against that user's passwd entry; other paths
// are returned unchanged.
std::string ExpandUser(std::string_view path, std::string_view home);

}  // namespace gangplank
