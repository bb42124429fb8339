// Reading public parameters out of OpenSSL 3 keys (shared by the key library and the token issuer).
#pragma once

#include <openssl/evp.h>

#include <string>

namespace gangplank {

// The big-endian magnitude bytes of a BIGNUM parameter such as "n" or "e"; empty on failure.
// Only for public values: the buffer is not wiped.
std::string PublicBnParam(const EVP_PKEY* key, const char* name);

}  // namespace gangplank
