// The reasons a key is refused: one stable name each, shared by the CLI, the API and the tests.
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"

namespace gangplank::sshkey::reason {

inline constexpr std::string_view kEmptyInput = "EmptyInput";
inline constexpr std::string_view kPrivateKeyGiven = "PrivateKeyGiven";
inline constexpr std::string_view kDsaNotAllowed = "DsaKeyNotAllowed";
inline constexpr std::string_view kUnsupportedKeyType = "UnsupportedKeyType";
inline constexpr std::string_view kCertificateNotAllowed = "CertificateNotAllowed";
inline constexpr std::string_view kInvalidBase64 = "InvalidBase64";
inline constexpr std::string_view kKeyTypeMismatch = "KeyTypeMismatch";
inline constexpr std::string_view kTruncatedKey = "TruncatedKeyBlob";
inline constexpr std::string_view kTrailingBytes = "TrailingKeyBytes";
inline constexpr std::string_view kRsaKeyTooShort = "RsaKeyTooShort";
inline constexpr std::string_view kRsaKeyTooLong = "RsaKeyTooLong";
inline constexpr std::string_view kInvalidRsaKey = "InvalidRsaKey";
inline constexpr std::string_view kInvalidEcPoint = "InvalidEcPoint";
inline constexpr std::string_view kCurveMismatch = "CurveMismatch";
inline constexpr std::string_view kInvalidEd25519Key = "InvalidEd25519Key";
inline constexpr std::string_view kInvalidKeyOptions = "InvalidKeyOptions";
inline constexpr std::string_view kMalformedKeyLine = "MalformedKeyLine";
inline constexpr std::string_view kInvalidPemKey = "InvalidPemKey";
inline constexpr std::string_view kInvalidRfc4716 = "InvalidRfc4716Key";
inline constexpr std::string_view kTooManyKeys = "TooManyKeys";
inline constexpr std::string_view kKeyNotFound = "KeyNotFound";
inline constexpr std::string_view kConflictingKeyFlags = "ConflictingKeyFlags";
inline constexpr std::string_view kInvalidGenerateOptions = "InvalidGenerateOptions";

}  // namespace gangplank::sshkey::reason

namespace gangplank::sshkey {

// At most `limit` bytes of untrusted text for an error message, control bytes shown as '?'.
inline std::string PrintableExcerpt(std::string_view text, std::size_t limit = 64) {
  std::string shown(text.substr(0, limit));
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) c = '?';
  }
  return shown;
}

inline Error KeyError(std::string_view why, std::string message) {
  return MakeError(StatusCode::kInvalidArgument, std::string(why), std::move(message));
}

}  // namespace gangplank::sshkey
