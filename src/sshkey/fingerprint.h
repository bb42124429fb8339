// Key fingerprints exactly as `ssh-keygen -l` prints them.
#pragma once

#include <string>
#include <string_view>

#include "sshkey/public_key.h"

namespace gangplank::sshkey {

enum class FingerprintHash { kSha256, kMd5 };

// "SHA256:<unpadded base64>" or "MD5:aa:bb:…" of the key's wire blob.
std::string Fingerprint(std::string_view blob, FingerprintHash hash = FingerprintHash::kSha256);

inline std::string Fingerprint(const PublicKey& key,
                               FingerprintHash hash = FingerprintHash::kSha256) {
  return Fingerprint(key.blob, hash);
}

// Control characters that could drive a terminal become "\ooo", as ssh-keygen prints them (tab
// and carriage return pass, as there).
std::string EscapeControlCharacters(std::string_view text);

// The `ssh-keygen -l` line: "BITS FINGERPRINT COMMENT (LABEL)", "no comment" when there is none;
// the comment's control characters are escaped.
std::string FingerprintLine(const PublicKey& key, FingerprintHash hash = FingerprintHash::kSha256);

}  // namespace gangplank::sshkey
