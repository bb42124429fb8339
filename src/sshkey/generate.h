// Key-pair generation with OpenSSL, written in OpenSSH's own private-key format (openssh-key-v1).
#pragma once

#include <filesystem>
#include <ostream>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/secure_buffer.h"
#include "sshkey/public_key.h"

namespace gangplank::sshkey {

enum class KeyKind { kRsa, kEd25519, kEcdsa };

// "rsa", "ed25519" or "ecdsa" (as `ssh-keygen -t`).
Result<KeyKind> ParseKeyKind(std::string_view name);
std::string_view KeyKindName(KeyKind kind);
// "id_rsa", "id_ed25519", "id_ecdsa": the names ssh looks for by default.
std::string_view DefaultKeyFileName(KeyKind kind);

struct GenerateOptions {
  KeyKind kind = KeyKind::kRsa;
  int bits = 0;  // 0: RSA 3072, ECDSA 256; ed25519 has one size
  std::string comment;
};

// For test output: "ed25519 0".
inline void PrintTo(const GenerateOptions& options, std::ostream* os) {
  *os << KeyKindName(options.kind) << " " << options.bits;
}

struct KeyPair {
  PublicKey public_key;
  SecureString private_key;  // unencrypted openssh-key-v1, PEM-armoured; wiped on release
};

Result<KeyPair> GenerateKeyPair(const GenerateOptions& options);

struct KeyPairPaths {
  std::filesystem::path private_key;
  std::filesystem::path public_key;
};

// Writes both files atomically (private 0600, public 0644) and never overwrites: if either path
// exists nothing is written. A missing directory is created with mode 0700.
Status WriteKeyPair(const KeyPair& pair, const KeyPairPaths& paths);

}  // namespace gangplank::sshkey
