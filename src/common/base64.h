// Standard base64 (RFC 4648, padded) on top of OpenSSL, with strict decoding.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gangplank {

std::string Base64Encode(std::string_view bytes);

// Unpadded form, as OpenSSH prints SHA256 fingerprints.
std::string Base64EncodeUnpadded(std::string_view bytes);

// base64url (RFC 4648 §5) without padding, as JWTs and JWKS use it.
std::string Base64UrlEncode(std::string_view bytes);
std::optional<std::string> Base64UrlDecode(std::string_view text);

// Returns nullopt unless `text` is canonical padded base64: only the alphabet, length a multiple
// of four, '=' only as the last one or two characters. No whitespace is skipped.
std::optional<std::string> Base64DecodeStrict(std::string_view text);

// Decodes into `out` (reusing its capacity); false on the same conditions as above.
bool Base64DecodeStrictInto(std::string_view text, std::string& out);

}  // namespace gangplank
