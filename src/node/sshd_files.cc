// Rendering and writing a node's sshd files; host key generation with the sshkey library.
#include "node/sshd_files.h"

#include <sys/stat.h>
#include <unistd.h>

#include "common/file_io.h"
#include "sshkey/fingerprint.h"
#include "sshkey/generate.h"
#include "sshkey/parse.h"

namespace gangplank::node {
namespace fs = std::filesystem;

namespace {

struct HostKeyType {
  std::string_view file_type;  // as in ssh_host_<type>_key
  sshkey::KeyKind kind;
};
constexpr HostKeyType kHostKeyTypes[] = {{"ed25519", sshkey::KeyKind::kEd25519},
                                         {"ecdsa", sshkey::KeyKind::kEcdsa}};

std::string ListenAddress(const protocol::DesiredNodeState& state) {
  const bool v6 = state.address.find(':') != std::string::npos;
  return (v6 ? "[" + state.address + "]" : state.address) + ":" + std::to_string(state.port);
}

}  // namespace

std::string RenderSshdConfig(const protocol::DesiredNodeState& state, const NodeLayout& layout) {
  std::string config = "# Written by gangplank-node for " + state.node_name + " (model " +
                       std::to_string(state.model_version) +
                       "); it is rewritten on every change.\n";
  config += "ListenAddress " + ListenAddress(state) + "\n";
  for (const auto& type : kHostKeyTypes) {
    config += "HostKey " + layout.host_key(type.file_type).string() + "\n";
  }
  config += "PidFile " + layout.sshd_pid().string() + "\n";
  if (state.entra_id) {
    // sshd reads both files at every login: a change of who may log in needs no restart.
    config += "AuthorizedKeysFile none\n"
              "TrustedUserCAKeys " + layout.trusted_user_ca_keys().string() + "\n"
              "AuthorizedPrincipalsFile " + (layout.principals_dir() / "%u").string() + "\n";
  } else {
    config += "AuthorizedKeysFile " + layout.authorized_keys().string() + "\n";
    config += "AuthorizedPrincipalsFile none\n";
  }
  config +=
      "PubkeyAuthentication yes\n"
      "PasswordAuthentication no\n"
      "KbdInteractiveAuthentication no\n"
      "HostbasedAuthentication no\n"
      "PermitEmptyPasswords no\n"
      "PermitRootLogin no\n";
  // AllowUsers reads NAME@HOST as a user and a host: identities (user@domain) are held back by
  // their principals files instead.
  if (!state.entra_id) config += "AllowUsers " + state.admin_username + "\n";
  config +=
      "StrictModes yes\n"
      "UsePAM no\n"
      // VERBOSE logs the fingerprint of the key each login used: the audit trail needs it.
      "LogLevel VERBOSE\n"
      "X11Forwarding no\n"
      "PrintMotd no\n"
      "Subsystem sftp internal-sftp\n";
  return config;
}

std::string RenderAuthorizedKeys(const protocol::DesiredNodeState& state) {
  std::string text =
      "# Managed by gangplank-node: model " + std::to_string(state.model_version) + "\n";
  for (const auto& key : state.public_keys) text += key + "\n";
  return text;
}

Status CheckSecurePath(const fs::path& path) {
  fs::path current = fs::absolute(path);
  for (;;) {
    struct stat info {};
    if (::stat(current.c_str(), &info) != 0) {
      return MakeError(StatusCode::kNotFound, "NodeDirMissing",
                       current.string() + " does not exist");
    }
    if (info.st_uid != 0 && info.st_uid != ::geteuid()) {
      return MakeError(StatusCode::kFailedPrecondition, "InsecureNodeDir",
                       current.string() +
                           " is owned by another user, so sshd's StrictModes would refuse the "
                           "node's authorized_keys; put the node directory elsewhere");
    }
    if ((info.st_mode & 022) != 0) {
      return MakeError(
          StatusCode::kFailedPrecondition, "InsecureNodeDir",
          current.string() +
              " is writable by group or others, so sshd's StrictModes would refuse "
              "the node's authorized_keys; use a directory such as /var/lib/gangplank");
    }
    if (!current.has_parent_path() || current.parent_path() == current) return OkStatus();
    current = current.parent_path();
  }
}

Result<HostKeys> EnsureHostKeys(const NodeLayout& layout) {
  if (Status made = EnsureDirectory(layout.ssh_dir(), 0755); !made.ok()) return made.error();
  HostKeys keys;
  for (const auto& type : kHostKeyTypes) {
    const fs::path private_key = layout.host_key(type.file_type);
    const fs::path public_key = private_key.string() + ".pub";
    if (!fs::exists(private_key) || !fs::exists(public_key)) {
      fs::remove(private_key);
      fs::remove(public_key);
      auto pair = sshkey::GenerateKeyPair({type.kind, 0, "root@gangplank-node"});
      if (!pair) return pair.error();
      if (Status written = sshkey::WriteKeyPair(*pair, {private_key, public_key}); !written.ok())
        return written.error();
    }
    auto text = ReadFile(public_key, 64 * 1024);
    if (!text) return text.error();
    auto key = sshkey::ParseSinglePublicKey(*text);
    if (!key) return key.error();
    keys.fingerprints.push_back(std::string(key->algorithm->label) + " " +
                                sshkey::Fingerprint(*key));
    keys.public_keys.push_back(key->ToPublicKeyLine());
  }
  return keys;
}

Result<bool> WriteSshdFiles(const protocol::DesiredNodeState& state, const NodeLayout& layout) {
  if (state.entra_id) {
    // Read at every login, so not a change sshd must be restarted for.
    std::string cas;
    for (const auto& key : state.trusted_user_ca_keys) cas += key + "\n";
    GP_RETURN_IF_ERROR(WriteFileIfChanged(layout.trusted_user_ca_keys(), cas, 0644));
  }
  bool changed = false;
  for (const auto& [path, contents] :
       {std::pair{layout.sshd_config(), RenderSshdConfig(state, layout)},
        std::pair{layout.authorized_keys(), RenderAuthorizedKeys(state)}}) {
    GP_ASSIGN_OR_RETURN(const bool written, WriteFileIfChanged(path, contents, 0644));
    changed = changed || written;
  }
  return changed;
}

}  // namespace gangplank::node
