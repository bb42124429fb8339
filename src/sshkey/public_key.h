// A validated OpenSSH public key, with the comment and authorized_keys options it came with.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sshkey/algorithms.h"

namespace gangplank::sshkey {

// One authorized_keys option: `no-pty` (no value) or `from="10.0.0.0/8"` (value unescaped).
struct KeyOption {
  std::string name;
  std::optional<std::string> value;

  bool operator==(const KeyOption&) const = default;
};

struct PublicKey {
  const KeyAlgorithm* algorithm = nullptr;
  std::string blob;  // the RFC 4253 wire encoding; fingerprints hash exactly these bytes
  int bits = 0;
  std::string comment;
  std::vector<KeyOption> options;
  std::string application;  // security keys only

  std::string_view type() const { return algorithm->name; }

  // "type base64 comment": what a .pub file holds and what the API stores as keyData.
  std::string ToPublicKeyLine() const;
  // The same line with the options in front, for an authorized_keys file.
  std::string ToAuthorizedKeysLine() const;

  // Same key material (options and comment do not matter).
  bool SameKey(const PublicKey& other) const { return blob == other.blob; }
};

}  // namespace gangplank::sshkey
