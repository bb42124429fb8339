// Bridges OpenSSL EVP_PKEY objects and SSH public-key blobs (used for PEM input and key
// generation).
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <string>

#include "common/error.h"

namespace gangplank::sshkey {

struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;

// The SSH wire blob of the public half of an RSA, EC (P-256/384/521) or Ed25519 key.
Result<std::string> PublicBlobFromEvp(const EVP_PKEY* key);

}  // namespace gangplank::sshkey
