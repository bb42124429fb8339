// Recognises private keys in any common format so they can be refused without being echoed.
#pragma once

#include <string_view>

#include "common/error.h"

namespace gangplank::sshkey {

// True when `text` is or contains a private key: OpenSSH (armoured or its bare base64 body),
// PEM/PKCS#1/PKCS#8 (plain or encrypted), SSH.com and PuTTY (.ppk) formats.
bool ContainsPrivateKey(std::string_view text);

// The refusal every entry point uses; it never contains any of the input.
Error PrivateKeyError();

}  // namespace gangplank::sshkey
