// OpenSSH user certificates (PROTOCOL.certkeys): a subject key, who it names and for how long,
// signed by a certificate authority's Ed25519 key.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"

namespace gangplank::sshkey {

struct UserCertificate {
  std::string subject_blob;  // the certified public key's wire blob (ssh-rsa, ssh-ed25519, …)
  std::uint64_t serial = 0;
  std::string key_id;
  std::vector<std::string> principals;
  std::uint64_t valid_after = 0, valid_before = 0;  // Unix seconds
  // Extensions by name ("permit-pty" …) with their data ("" for the permit-* flags); written in
  // lexical order as OpenSSH requires, whatever order they are given in.
  std::vector<std::pair<std::string, std::string>> extensions;
};

// The certificate's wire blob (type "<key type>-cert-v01@openssh.com"), signed by `ca` (an
// Ed25519 key) with a random nonce. An unknown subject key type is InvalidArgument.
Result<std::string> SignUserCertificate(const UserCertificate& certificate, EVP_PKEY* ca);

// The data of a string-valued extension ("oid@…"): the value as an SSH string.
std::string ExtensionString(std::string_view value);

}  // namespace gangplank::sshkey
