// Which SSH public key a create/update request sends, from --ssh-key-value, --generate-ssh-keys
// and --no-ssh-key, exactly as DESIGN.md §2 (and `az aks create`) define it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "sshkey/algorithms.h"
#include "sshkey/public_key.h"

namespace gangplank::sshkey {

struct SshKeyFlags {
  std::optional<std::string> ssh_key_value;  // a path (with ~) or the key itself
  bool generate_ssh_keys = false;
  bool no_ssh_key = false;
};

struct ResolveEnvironment {
  std::string home;  // for ~ and the default ~/.ssh/id_rsa.pub
  ParsePolicy policy;
};

struct ResolvedKey {
  std::optional<PublicKey> key;      // empty: send no linux profile (--no-ssh-key)
  std::string source;                // where the key came from, for the user
  std::vector<std::string> notices;  // things the user must be told (files generated or written)
};

// True when a command-line value that names no existing file is key text rather than a file
// name: several lines, an armour line, key data, or "[options] type base64 …".
bool LooksLikeKeyText(std::string_view value);

// True when a value is shaped like a path (starts with ~, / or .), so it may be repeated in
// messages; other values might be pasted key material and are not echoed.
bool LooksLikePath(std::string_view value);

// The default public key path, ~/.ssh/id_rsa.pub.
std::string DefaultPublicKeyPath(const std::string& home);

// Never sends or writes anything on error; a private key given by value or path is refused
// without being echoed.
Result<ResolvedKey> ResolveSshKey(const SshKeyFlags& flags, const ResolveEnvironment& environment);

}  // namespace gangplank::sshkey
