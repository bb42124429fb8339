// Reads the public half out of a private-key file, for --generate-ssh-keys with a lone private key.
#pragma once

#include <string_view>

#include "common/error.h"
#include "sshkey/public_key.h"

namespace gangplank::sshkey {

// Accepts OpenSSH (openssh-key-v1, encrypted or not: the public key is stored in clear) and
// unencrypted PEM/PKCS#8 private keys. The input is never copied into errors or logs.
Result<PublicKey> PublicKeyFromPrivateKey(std::string_view private_key_text);

}  // namespace gangplank::sshkey
