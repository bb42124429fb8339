// PEM public keys decoded by OpenSSL's decoder framework, then validated like any SSH blob.
#include "sshkey/pem.h"

#include <openssl/decoder.h>
#include <openssl/err.h>

#include "sshkey/evp_key.h"
#include "sshkey/key_errors.h"
#include "sshkey/parse.h"

namespace gangplank::sshkey {

Result<PublicKey> ParsePemPublicKey(std::string_view pem_block, const ParsePolicy& policy) {
  EVP_PKEY* raw_key = nullptr;
  OSSL_DECODER_CTX* decoder = OSSL_DECODER_CTX_new_for_pkey(&raw_key, "PEM", nullptr, nullptr,
                                                            EVP_PKEY_PUBLIC_KEY, nullptr, nullptr);
  const auto* data = reinterpret_cast<const unsigned char*>(pem_block.data());
  std::size_t length = pem_block.size();
  const bool decoded = decoder != nullptr && OSSL_DECODER_from_data(decoder, &data, &length) == 1;
  OSSL_DECODER_CTX_free(decoder);
  EvpPkeyPtr key(raw_key);
  if (!decoded || !key) {
    ERR_clear_error();
    return KeyError(reason::kInvalidPemKey,
                    "the PEM block is not a valid public key; expected \"BEGIN PUBLIC KEY\" (RSA, "
                    "EC P-256/384/521 or Ed25519) or \"BEGIN RSA PUBLIC KEY\"");
  }
  auto blob = PublicBlobFromEvp(key.get());
  if (!blob) return blob.error();
  return ParseKeyBlob(*blob, "", policy);
}

}  // namespace gangplank::sshkey
