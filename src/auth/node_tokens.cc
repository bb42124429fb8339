// HMAC-SHA256 node tokens: base64url(machine id).base64url(uid)[.expiry].base64url(mac), the MAC
// over all of them.
#include "auth/node_tokens.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>
#include <vector>

#include "common/base64.h"
#include "common/file_io.h"
#include "common/random.h"

namespace gangplank::auth {

Result<NodeTokens> NodeTokens::Open(const std::filesystem::path& data_dir,
                                    std::string_view key_file, const Clock* clock,
                                    std::chrono::seconds lifetime) {
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
                     path.string() +
                         " is too short; move it away to create a new one (running "
                         "nodes then need new tokens)");
  }
  return NodeTokens(std::move(key.value()), clock, lifetime);
}

std::string NodeTokens::Mac(const NodeIdentity& identity) const {
  std::string message = identity.machine_id + "\n" + identity.uid;
  if (identity.expires_at != 0) message += "\n" + std::to_string(identity.expires_at);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &length);
  return std::string(reinterpret_cast<const char*>(mac), length);
}

std::string NodeTokens::Issue(const NodeIdentity& identity) const {
  NodeIdentity issued{identity.machine_id, identity.uid, 0};
  if (clock_ != nullptr) issued.expires_at = UnixSeconds(clock_->Now()) + lifetime_.count();
  std::string token = Base64UrlEncode(issued.machine_id) + "." + Base64UrlEncode(issued.uid) + ".";
  if (issued.expires_at != 0) token += std::to_string(issued.expires_at) + ".";
  return token + Base64UrlEncode(Mac(issued));
}

Result<NodeIdentity> NodeTokens::Verify(std::string_view token) const {
  const auto invalid = MakeError(StatusCode::kUnauthenticated, "InvalidNodeToken",
                                 "the node token is not one this control plane issued");
  if (token.size() > 4096) return invalid;
  std::vector<std::string_view> parts;
  for (std::size_t at = 0; at <= token.size();) {
    const std::size_t dot = std::min(token.find('.', at), token.size());
    parts.push_back(token.substr(at, dot - at));
    at = dot + 1;
  }
  // Expiring tokens have four parts, and only they are taken where tokens expire.
  if (parts.size() != (clock_ != nullptr ? 4u : 3u)) return invalid;
  auto machine = Base64UrlDecode(parts[0]);
  auto uid = Base64UrlDecode(parts[1]);
  auto mac = Base64UrlDecode(parts.back());
  if (!machine || !uid || !mac) return invalid;
  NodeIdentity identity{*machine, *uid, 0};
  if (parts.size() == 4) {
    const auto [end, ec] =
        std::from_chars(parts[2].data(), parts[2].data() + parts[2].size(), identity.expires_at);
    if (ec != std::errc() || end != parts[2].data() + parts[2].size() || identity.expires_at <= 0)
      return invalid;
  }
  const std::string expected = Mac(identity);
  if (mac->size() != expected.size() ||
      CRYPTO_memcmp(mac->data(), expected.data(), expected.size()) != 0)
    return invalid;
  if (clock_ != nullptr && UnixSeconds(clock_->Now()) >= identity.expires_at) {
    return MakeError(StatusCode::kUnauthenticated, "NodeTokenExpired",
                     "the node token has expired; the agent renews it before it does, and "
                     "gangplankd writes a fresh one into every node it runs");
  }
  return identity;
}

}  // namespace gangplank::auth
