// Parsing public keys from every text form users paste: authorized_keys lines, RFC 4716, PEM.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "sshkey/algorithms.h"
#include "sshkey/public_key.h"

namespace gangplank::sshkey {

// A key from its wire blob. `declared_type` is the type written next to it in text (empty when
// the form has none, as in PEM and RFC 4716); a blob of another type is refused.
Result<PublicKey> ParseKeyBlob(std::string_view blob, std::string_view declared_type,
                               const ParsePolicy& policy = {});

// One authorized_keys or .pub line: `[options] type base64 [comment]`.
Result<PublicKey> ParseAuthorizedKeysLine(std::string_view line, const ParsePolicy& policy = {});

struct ParsedEntry {
  std::size_t line;  // 1-based line where the key (or its BEGIN marker) starts
  Result<PublicKey> key;
};

// Every key in a text: authorized_keys lines, RFC 4716 blocks and PEM public keys, in order;
// blank lines and '#' comments are skipped. Per-key problems are reported per entry; the whole
// input is refused only when it is empty or holds a private key (never echoed).
Result<std::vector<ParsedEntry>> ParsePublicKeys(std::string_view text,
                                                 const ParsePolicy& policy = {});

// Exactly one key (what --ssh-key-value and the API's keyData hold).
Result<PublicKey> ParseSinglePublicKey(std::string_view text, const ParsePolicy& policy = {});

}  // namespace gangplank::sshkey
