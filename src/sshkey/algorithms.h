// The one table of public-key algorithms Gangplank accepts; parsing dispatches through it.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "common/error.h"
#include "sshkey/wire.h"

namespace gangplank::sshkey {

enum class KeyFamily { kRsa, kEd25519, kEcdsa };

// Limits a caller may tighten; the API and the CLI use the defaults.
struct ParsePolicy {
  int min_rsa_bits = 2048;
  int max_rsa_bits = 16384;
};

// What a key's algorithm-specific fields say, once validated.
struct KeyBody {
  int bits = 0;
  std::string application;  // security keys only, e.g. "ssh:"
};

struct KeyAlgorithm;
// Reads the fields after the type name from `reader` and validates them.
using ParseBodyFn = Result<KeyBody> (*)(WireReader& reader, const KeyAlgorithm& algorithm,
                                        const ParsePolicy& policy);

struct KeyAlgorithm {
  std::string_view name;  // as written in authorized_keys and in the blob
  std::string_view
      label;  // as `ssh-keygen -l` prints it: RSA, ED25519, ECDSA, ED25519-SK, ECDSA-SK
  KeyFamily family;
  bool security_key;
  std::string_view curve;  // ECDSA only: nistp256, nistp384, nistp521
  int curve_nid;           // ECDSA only: OpenSSL's NID for the curve
  int fixed_bits;          // 0 when the size comes from the key (RSA)
  ParseBodyFn parse_body;
};

std::span<const KeyAlgorithm> AllAlgorithms();

// nullptr when `name` is not an algorithm Gangplank accepts.
const KeyAlgorithm* FindAlgorithm(std::string_view name);

// The ECDSA algorithm (plain, not security key) for a curve name such as "nistp384".
const KeyAlgorithm* FindEcdsaByCurve(std::string_view curve);

// Explains why a type name that is not in the table is refused (DSA, certificates, unknown).
Error RefusedTypeError(std::string_view name);

// True for names that look like an SSH key type, accepted or not ("ssh-…", "ecdsa-…", "sk-…",
// certs).
bool LooksLikeKeyType(std::string_view token);

}  // namespace gangplank::sshkey
