// Text forms of a public key.
#include "sshkey/public_key.h"

#include "common/base64.h"
#include "sshkey/key_options.h"

namespace gangplank::sshkey {

std::string PublicKey::ToPublicKeyLine() const {
  std::string line(type());
  line.push_back(' ');
  line += Base64Encode(blob);
  if (!comment.empty()) {
    line.push_back(' ');
    line += comment;
  }
  return line;
}

std::string PublicKey::ToAuthorizedKeysLine() const {
  if (options.empty()) return ToPublicKeyLine();
  return RenderKeyOptions(options) + " " + ToPublicKeyLine();
}

}  // namespace gangplank::sshkey
