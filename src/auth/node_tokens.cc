// HMAC-SHA256 node tokens: base64url(machine id).base64url(uid).base64url(mac).
#include "auth/node_tokens.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/base64.h"
#include "common/file_io.h"
#include "common/random.h"

namespace gangplank::auth {

Result<NodeTokens> NodeTokens::Open(const std::filesystem::path& data_dir,
                                    std::string_view key_file) {
  const std::filesystem::path path = data_dir / "auth" / key_file;
  if (!std::filesystem::exists(path)) {
    if (Status dir = EnsureDirectory(path.parent_path(), 0700); !dir.ok()) return dir.error();
    const std::string key = Base64UrlEncode(RandomBytes(32));
    Status written = WriteFileAtomically(path, key, 0600, IfExists::kFail);
    if (!written.ok() && written.error().code != StatusCode::kAlreadyExists) return written.error();
  }
  auto key = ReadSecretFile(path, 4096);
  if (!key) return key.error();
  if (key->size() < 32) {
    return MakeError(StatusCode::kFailedPrecondition, "CorruptNodeTokenKey",
                     path.string() + " is too short; move it away to create a new one (running "
                                     "nodes then need new tokens)");
  }
  return NodeTokens(std::move(key.value()));
}

std::string NodeTokens::Mac(const NodeIdentity& identity) const {
  const std::string message = identity.machine_id + "\n" + identity.uid;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &length);
  return std::string(reinterpret_cast<const char*>(mac), length);
}

std::string NodeTokens::Issue(const NodeIdentity& identity) const {
  return Base64UrlEncode(identity.machine_id) + "." + Base64UrlEncode(identity.uid) + "." +
         Base64UrlEncode(Mac(identity));
}

Result<NodeIdentity> NodeTokens::Verify(std::string_view token) const {
  const auto invalid = MakeError(StatusCode::kUnauthenticated, "InvalidNodeToken",
                                 "the node token is not one this control plane issued");
  const std::size_t first = token.find('.');
  const std::size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.size() > 4096) return invalid;
  auto machine = Base64UrlDecode(token.substr(0, first));
  auto uid = Base64UrlDecode(token.substr(first + 1, second - first - 1));
  auto mac = Base64UrlDecode(token.substr(second + 1));
  if (!machine || !uid || !mac) return invalid;
  NodeIdentity identity{*machine, *uid};
  const std::string expected = Mac(identity);
  if (mac->size() != expected.size() ||
      CRYPTO_memcmp(mac->data(), expected.data(), expected.size()) != 0)
    return invalid;
  return identity;
}

}  // namespace gangplank::auth
