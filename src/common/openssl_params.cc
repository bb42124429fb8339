// OpenSSL 3 parameter reads.
#include "common/openssl_params.h"

#include <openssl/bn.h>

namespace gangplank {

std::string PublicBnParam(const EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) return {};
  std::string bytes(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(bytes.data()));
  BN_free(bn);
  return bytes;
}

}  // namespace gangplank
