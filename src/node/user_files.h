// Writes a user's ~/.ssh/authorized_keys as root without following any link the user controls.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string_view>

#include "common/error.h"

namespace gangplank::node {

struct UserAccount {
  uid_t uid = 0;
  gid_t gid = 0;
  std::filesystem::path home;
};

// HOME/.ssh (0700) and HOME/.ssh/authorized_keys (0600), both owned by the user, as sshd's
// StrictModes wants them. The home is opened with O_NOFOLLOW and everything below it through
// descriptors (mkdirat, openat, fchown, renameat), so a symlinked ~/.ssh or authorized_keys never
// makes root write or chown a file the user does not own: a symlinked ~/.ssh is refused with an
// error that says so. `make_home` creates a missing home (0755, the user's) first.
Status WriteAuthorizedKeys(const UserAccount& user, std::string_view contents, bool make_home);

}  // namespace gangplank::node
