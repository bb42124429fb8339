// PEM public keys (SubjectPublicKeyInfo "PUBLIC KEY" and PKCS#1 "RSA PUBLIC KEY") via OpenSSL.
#pragma once

#include <string_view>

#include "common/error.h"
#include "sshkey/algorithms.h"
#include "sshkey/public_key.h"

namespace gangplank::sshkey {

Result<PublicKey> ParsePemPublicKey(std::string_view pem_block, const ParsePolicy& policy);

}  // namespace gangplank::sshkey
