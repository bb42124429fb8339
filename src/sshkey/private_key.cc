// Public half of a private key: from the openssh-key-v1 header, or through OpenSSL for PEM.
#include "sshkey/private_key.h"

#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/err.h>

#include "common/base64.h"
#include "common/secure_buffer.h"
#include "sshkey/evp_key.h"
#include "sshkey/key_errors.h"
#include "sshkey/parse.h"
#include "sshkey/wire.h"

namespace gangplank::sshkey {
namespace {

constexpr std::string_view kOpenSshBegin = "-----BEGIN OPENSSH PRIVATE KEY-----";
constexpr std::string_view kOpenSshEnd = "-----END OPENSSH PRIVATE KEY-----";
constexpr std::string_view kMagic{"openssh-key-v1\0", 15};

Error Unreadable(std::string why) {
  return MakeError(StatusCode::kInvalidArgument, "UnreadablePrivateKey",
                   "the private key file cannot be read: " + std::move(why) +
                       "; write its public half with `ssh-keygen -y -f FILE > FILE.pub`");
}

Result<PublicKey> FromOpenSsh(std::string_view text) {
  const std::size_t begin = text.find(kOpenSshBegin);
  const std::size_t end = text.find(kOpenSshEnd);
  if (begin == std::string_view::npos || end == std::string_view::npos || end < begin) {
    return Unreadable("the OpenSSH armour is incomplete");
  }
  SecureString body;
  for (char c : text.substr(begin + kOpenSshBegin.size(), end - begin - kOpenSshBegin.size())) {
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') body.push_back(c);
  }
  std::string binary;
  const bool decoded = Base64DecodeStrictInto(std::string_view(body.data(), body.size()), binary);
  // Only the clear-text header is used; the decoded buffer still holds the private section.
  Result<PublicKey> key = Unreadable("it is not valid base64");
  if (decoded) {
    WireReader reader(binary);
    if (!std::string_view(binary).starts_with(kMagic)) {
      key = Unreadable("it is not an openssh-key-v1 key");
    } else {
      reader = WireReader(std::string_view(binary).substr(kMagic.size()));
      reader.ReadString();  // cipher
      reader.ReadString();  // kdf
      reader.ReadString();  // kdf options
      const auto count = reader.ReadU32();
      const auto blob = reader.ReadString();
      if (!count || *count != 1 || !blob) {
        key = Unreadable("it does not hold exactly one key");
      } else {
        key = ParseKeyBlob(*blob, "");
      }
    }
  }
  OPENSSL_cleanse(binary.data(), binary.size());
  return key;
}

Result<PublicKey> FromPem(std::string_view text) {
  EVP_PKEY* raw_key = nullptr;
  OSSL_DECODER_CTX* decoder = OSSL_DECODER_CTX_new_for_pkey(&raw_key, "PEM", nullptr, nullptr,
                                                            EVP_PKEY_KEYPAIR, nullptr, nullptr);
  const auto* data = reinterpret_cast<const unsigned char*>(text.data());
  std::size_t length = text.size();
  // No passphrase callback is set: an encrypted key fails to decode instead of prompting.
  const bool decoded = decoder != nullptr && OSSL_DECODER_from_data(decoder, &data, &length) == 1;
  OSSL_DECODER_CTX_free(decoder);
  EvpPkeyPtr key(raw_key);
  ERR_clear_error();
  if (!decoded || !key) return Unreadable("it is encrypted or not a supported PEM key");
  auto blob = PublicBlobFromEvp(key.get());
  if (!blob) return blob.error();
  return ParseKeyBlob(*blob, "");
}

}  // namespace

Result<PublicKey> PublicKeyFromPrivateKey(std::string_view private_key_text) {
  if (private_key_text.find(kOpenSshBegin) != std::string_view::npos) {
    return FromOpenSsh(private_key_text);
  }
  if (private_key_text.find("PRIVATE KEY-----") != std::string_view::npos) {
    return FromPem(private_key_text);
  }
  return Unreadable("it is not an OpenSSH or PEM private key");
}

}  // namespace gangplank::sshkey
