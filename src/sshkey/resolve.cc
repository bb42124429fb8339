// SSH key resolution for the CLI: path or value, reuse or generate, or no key at all.
#include "sshkey/resolve.h"

#include <strings.h>
#include <sys/stat.h>

#include "common/file_io.h"
#include "common/paths.h"
#include "common/secure_buffer.h"
#include "sshkey/generate.h"
#include "sshkey/key_errors.h"
#include "sshkey/key_options.h"
#include "sshkey/parse.h"
#include "sshkey/private_key.h"
#include "sshkey/private_key_detect.h"

namespace gangplank::sshkey {
namespace {

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

Error WithPath(const Error& error, const std::string& path) {
  return MakeError(error.code, error.reason, path + ": " + error.message);
}

// Only a value shaped like a path is repeated back: anything else may be pasted key material.
Error KeyNotFound(const std::string& value, const std::string& path) {
  const std::string where = LooksLikePath(value) ? "at " + path : "at the path given";
  return MakeError(StatusCode::kNotFound, std::string(reason::kKeyNotFound),
                   "key not found: there is no SSH public key " + where +
                       ". Pass --generate-ssh-keys to use or create a key pair there, pass "
                       "--no-ssh-key to create the cluster without SSH access, or point "
                       "--ssh-key-value at your public key (a .pub file or the key itself)");
}

constexpr std::size_t kMaxKeyFileBytes = 1 << 20;

Result<PublicKey> KeyFromFile(const std::string& path, const ParsePolicy& policy) {
  auto contents = ReadSecretFile(path, kMaxKeyFileBytes);
  if (!contents) return contents.error();
  const std::string_view text(contents->data(), contents->size());
  if (ContainsPrivateKey(text)) {
    return MakeError(StatusCode::kInvalidArgument, std::string(reason::kPrivateKeyGiven),
                     path +
                         " holds a private key, which is never sent or shown. Give the public "
                         "key instead: " +
                         path + ".pub, or the output of `ssh-keygen -y -f " + path + "`");
  }
  auto key = ParseSinglePublicKey(text, policy);
  if (!key) return WithPath(key.error(), path);
  return key;
}

// az's convention: the value names the public key file; the private one is beside it.
std::string PrivatePathFor(const std::string& public_path) {
  if (public_path.size() > 4 &&
      strcasecmp(public_path.c_str() + public_path.size() - 4, ".pub") == 0) {
    return public_path.substr(0, public_path.size() - 4);
  }
  return public_path + ".private";
}

Result<ResolvedKey> UseOrGenerate(const std::string& public_path) {
  const std::string private_path = PrivatePathFor(public_path);
  ResolvedKey resolved;
  if (Exists(private_path)) {
    auto contents = ReadSecretFile(private_path, kMaxKeyFileBytes);
    if (!contents) return contents.error();
    auto key = PublicKeyFromPrivateKey(std::string_view(contents->data(), contents->size()));
    if (!key) return WithPath(key.error(), private_path);
    if (Status written =
            WriteFileAtomically(public_path, key->ToPublicKeyLine() + "\n", 0644, IfExists::kFail);
        !written.ok()) {
      return written.error();
    }
    resolved.key = std::move(key.value());
    resolved.source = public_path;
    resolved.notices.push_back("derived the public key from the existing private key " +
                               private_path + " and saved it as " + public_path);
    return resolved;
  }
  GenerateOptions options;
  options.kind = KeyKind::kRsa;
  auto pair = GenerateKeyPair(options);
  if (!pair) return pair.error();
  if (Status written = WriteKeyPair(*pair, {private_path, public_path}); !written.ok()) {
    return written.error();
  }
  resolved.key = pair->public_key;
  resolved.source = public_path;
  resolved.notices.push_back("generated a new SSH key pair: private key " + private_path +
                             " (mode 0600), public key " + public_path +
                             " (mode 0644). Back up the private key: it is the only way into "
                             "the nodes");
  return resolved;
}

Result<ResolvedKey> FromFile(const std::string& path, const ParsePolicy& policy) {
  auto key = KeyFromFile(path, policy);
  if (!key) return key.error();
  return ResolvedKey{std::move(key.value()), path, {}};
}

}  // namespace

bool LooksLikeKeyText(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  if (value.find_first_of("\r\n") != std::string_view::npos) return true;
  if (value.starts_with("----") || value.starts_with("AAAA")) return true;
  const std::size_t space = value.find_first_of(" \t");
  const std::string_view first = value.substr(0, space);
  if (space == std::string_view::npos) return FindAlgorithm(first) != nullptr;
  // "TYPE BASE64 …" or "OPTIONS TYPE BASE64 …"; a path with a space in it ("~/my keys/id.pub")
  // starts with neither.
  return FindAlgorithm(first) != nullptr || LooksLikeKeyType(first) ||
         first.find('=') != std::string_view::npos || StartsWithKeyOption(value);
}

bool LooksLikePath(std::string_view value) {
  return !value.empty() && value.size() <= 4096 &&
         (value.front() == '~' || value.front() == '/' || value.front() == '.');
}

std::string DefaultPublicKeyPath(const std::string& home) { return home + "/.ssh/id_rsa.pub"; }

Result<ResolvedKey> ResolveSshKey(const SshKeyFlags& flags, const ResolveEnvironment& environment) {
  if (flags.no_ssh_key) {
    if (flags.ssh_key_value || flags.generate_ssh_keys) {
      return MakeError(StatusCode::kInvalidArgument, std::string(reason::kConflictingKeyFlags),
                       "--no-ssh-key cannot be combined with --ssh-key-value or "
                       "--generate-ssh-keys; choose one");
    }
    return ResolvedKey{std::nullopt, "none (--no-ssh-key)", {}};
  }

  if (!flags.ssh_key_value) {
    // The default path is a path, whatever characters HOME has.
    const std::string path = DefaultPublicKeyPath(environment.home);
    if (Exists(path)) return FromFile(path, environment.policy);
    if (flags.generate_ssh_keys) return UseOrGenerate(path);
    return KeyNotFound(path, path);
  }

  const std::string& value = *flags.ssh_key_value;
  if (value.find_first_not_of(" \t\r\n") == std::string::npos) {
    return KeyError(reason::kEmptyInput,
                    "--ssh-key-value is empty; give a public key file or the key itself");
  }
  if (ContainsPrivateKey(value)) return PrivateKeyError();
  const std::string path = ExpandUser(value, environment.home);
  if (Exists(path)) return FromFile(path, environment.policy);
  if (LooksLikeKeyText(value)) {
    auto key = ParseSinglePublicKey(value, environment.policy);
    if (!key) return key.error();
    return ResolvedKey{std::move(key.value()), "the value of --ssh-key-value", {}};
  }
  if (flags.generate_ssh_keys) return UseOrGenerate(path);
  return KeyNotFound(value, path);
}

}  // namespace gangplank::sshkey
