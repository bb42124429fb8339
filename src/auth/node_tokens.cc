// HMAC-SHA256 node tokens: base64url(machine id).base64url(uid)[.expiry].base64url(mac), the MAC
// over all of them.
#include "auth/node_tokens.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <charconv>
#include <vector>

#include "common/base64.h"
#include "common/file_io.h"
#include "common/random.h"

namespace gangplank::auth {

// Every agent request is verified with an HMAC: OpenSSL 3's one-shot HMAC() looks the algorithm
// up and keys it at every call, which cost an idle gangplankd more than the request's parsing.
// The keyed context is made once and copied per MAC (copies only read it: safe across threads).
struct NodeTokens::KeyedMac {
  EVP_MAC_CTX* keyed = nullptr;
  ~KeyedMac() { EVP_MAC_CTX_free(keyed); }

  static Result<std::shared_ptr<const KeyedMac>> Make(const SecureString& key) {
    auto made = std::make_shared<KeyedMac>();
    EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    made->keyed = hmac ? EVP_MAC_CTX_new(hmac) : nullptr;
    EVP_MAC_free(hmac);  // the context holds its own reference
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_END};
    if (!made->keyed ||
        EVP_MAC_init(made->keyed, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                     params) != 1) {
      return MakeError(StatusCode::kInternal, "HmacUnavailable",
                       "OpenSSL offers no HMAC-SHA256 (is its default provider installed?)");
    }
    return std::shared_ptr<const KeyedMac>(std::move(made));
  }

  std::string Of(std::string_view message) const {
    unsigned char mac[EVP_MAX_MD_SIZE];
    std::size_t length = 0;
    EVP_MAC_CTX* copy = EVP_MAC_CTX_dup(keyed);
    const bool done = copy &&
                      EVP_MAC_update(copy, reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size()) == 1 &&
                      EVP_MAC_final(copy, mac, &length, sizeof mac) == 1;
    EVP_MAC_CTX_free(copy);
    // Out of memory: an empty MAC, which matches no token.
    return done ? std::string(reinterpret_cast<const char*>(mac), length) : std::string();
  }
};

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
  auto mac = KeyedMac::Make(*key);
  if (!mac) return mac.error();
  return NodeTokens(std::move(*mac), clock, lifetime);
}

std::string NodeTokens::Mac(const NodeIdentity& identity) const {
  std::string message = identity.machine_id + "\n" + identity.uid;
  if (identity.expires_at != 0) message += "\n" + std::to_string(identity.expires_at);
  return mac_->Of(message);
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
  if (expected.empty() || mac->size() != expected.size() ||
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
