// Private-key markers of the formats people paste by mistake.
#include "sshkey/private_key_detect.h"

#include <array>

#include "sshkey/key_errors.h"

namespace gangplank::sshkey {
namespace {

constexpr std::array<std::string_view, 5> kMarkers = {
    "PRIVATE KEY-----",      // OpenSSH, PKCS#1 (RSA/EC/DSA), PKCS#8 and its ENCRYPTED form
    "PRIVATE KEY ----",      // SSH.com / RFC 4716-style private keys
    "PuTTY-User-Key-File-",  // PuTTY .ppk v2 and v3
    "b3BlbnNzaC1rZXktdjEA",  // base64 of "openssh-key-v1\0": an OpenSSH private key body
    std::string_view("openssh-key-v1\0", 15),  // the same, raw
};

}  // namespace

bool ContainsPrivateKey(std::string_view text) {
  for (std::string_view marker : kMarkers) {
    if (text.find(marker) != std::string_view::npos) return true;
  }
  return false;
}

Error PrivateKeyError() {
  return KeyError(reason::kPrivateKeyGiven,
                  "a private key was given where a public key is expected; its contents are not "
                  "shown or kept. Give the public key instead: the .pub file next to it, or the "
                  "output of `ssh-keygen -y -f PRIVATE_KEY_FILE`");
}

}  // namespace gangplank::sshkey
