// Accounts for the identities that may log into an EntraId node: kept in libnss-extrausers'
// files (useradd takes neither '@' nor 36-character names), with a principals file each for sshd
// and passwordless sudo through one group for the administrators.
#pragma once

#include <filesystem>
#include <vector>

#include "common/error.h"
#include "protocol/node_protocol.h"

namespace gangplank::node {

struct IdentityAccountPaths {
  std::filesystem::path extrausers = "/var/lib/extrausers";  // passwd, group, shadow
  std::filesystem::path homes = "/home";
  std::filesystem::path sudoers = "/etc/sudoers.d/91-gangplank-identity-admins";
  std::filesystem::path principals;  // NodeLayout::principals_dir()
  // Each account must resolve through NSS before its principals file is written (a node image
  // without extrausers in nsswitch.conf fails clearly instead of refusing every login); tests
  // that write into a scratch directory turn it off.
  bool check_resolution = true;
};

// The first uid (and the gids of the two groups) identities get: above what Debian gives local
// users (1000-59999) and below nobody (65534) is too narrow, so from 100000 on.
inline constexpr unsigned kFirstIdentityUid = 100000;
inline constexpr const char* kIdentityGroup = "gangplank-identities";
inline constexpr const char* kIdentityAdminGroup = "gangplank-identity-admins";

// Makes the node match `logins`: every identity in it has an account (its uid kept from the
// first time it was seen, a home made then), a principals file naming it, and membership of the
// admin group exactly when it is an admin. An identity no longer in it loses its principals file
// and its sudo at once (sshd refuses it at its next login); its account and home stay, so its
// files keep their owner if it comes back.
Status WriteIdentityAccounts(const std::vector<protocol::IdentityLogin>& logins,
                             const IdentityAccountPaths& paths);

// Removes every principals file and the admins' sudo: the node is no longer an EntraId node.
Status RemoveIdentityLogins(const IdentityAccountPaths& paths);

}  // namespace gangplank::node
