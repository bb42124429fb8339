// Cryptographically secure random values from OpenSSL: secrets, identifiers, UUIDs.
#pragma once

#include <string>
#include <string_view>

namespace gangplank {

// `count` random bytes; aborts if the system has no randomness (nothing safe can be done then).
std::string RandomBytes(std::size_t count);

// A random (version 4) UUID in lowercase 8-4-4-4-12 form.
std::string NewUuid();

// A UUID derived from `name` (SHA-256, in RFC 4122's name-based layout): the same name gives the
// same UUID on every process, so a record written twice (a retried commit) is one record.
std::string NameBasedUuid(std::string_view name);

// The first `bytes` bytes of SHA-256 of `text`, in lower-case hex.
std::string Sha256Hex(std::string_view text, std::size_t bytes = 32);
// Whether `text` has a GUID's shape (8-4-4-4-12 hex digits), as ARM and Graph ids do.
bool IsGuid(std::string_view text);

// A random secret of `bytes` bytes, base64url without padding (safe in JSON, URLs and forms),
// never starting with '-' or '_' so that command lines do not take it for an option.
std::string NewSecret(std::size_t bytes = 32);

}  // namespace gangplank
