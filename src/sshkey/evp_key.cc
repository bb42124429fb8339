// EVP_PKEY → SSH blob, through OpenSSL 3's parameter API (no deprecated RSA/EC_KEY calls).
#include "sshkey/evp_key.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>

#include <string_view>

#include "common/openssl_params.h"
#include "sshkey/algorithms.h"
#include "sshkey/key_errors.h"
#include "sshkey/wire.h"

namespace gangplank::sshkey {
namespace {

std::string_view SshCurveName(std::string_view openssl_group) {
  if (openssl_group == "prime256v1" || openssl_group == "P-256") return "nistp256";
  if (openssl_group == "secp384r1" || openssl_group == "P-384") return "nistp384";
  if (openssl_group == "secp521r1" || openssl_group == "P-521") return "nistp521";
  return {};
}

// OpenSSH wants the uncompressed form; PEM input may carry a compressed point.
Result<std::string> UncompressedPoint(int nid, const std::string& encoded) {
  if (!encoded.empty() && encoded[0] == 0x04) return encoded;
  EC_GROUP* group = EC_GROUP_new_by_curve_name(nid);
  EC_POINT* point = group ? EC_POINT_new(group) : nullptr;
  std::string out;
  if (point &&
      EC_POINT_oct2point(group, point, reinterpret_cast<const unsigned char*>(encoded.data()),
                         encoded.size(), nullptr) == 1) {
    const std::size_t size =
        EC_POINT_point2oct(group, point, POINT_CONVERSION_UNCOMPRESSED, nullptr, 0, nullptr);
    out.resize(size);
    EC_POINT_point2oct(group, point, POINT_CONVERSION_UNCOMPRESSED,
                       reinterpret_cast<unsigned char*>(out.data()), size, nullptr);
  }
  EC_POINT_free(point);
  EC_GROUP_free(group);
  if (out.empty()) {
    ERR_clear_error();
    return KeyError(reason::kInvalidEcPoint, "the EC public key is not a valid point on its curve");
  }
  return out;
}

}  // namespace

Result<std::string> PublicBlobFromEvp(const EVP_PKEY* key) {
  WireWriter writer;
  if (EVP_PKEY_is_a(key, "RSA")) {
    writer.WriteString("ssh-rsa");
    writer.WriteMpint(PublicBnParam(key, OSSL_PKEY_PARAM_RSA_E));
    writer.WriteMpint(PublicBnParam(key, OSSL_PKEY_PARAM_RSA_N));
    return writer.data();
  }
  if (EVP_PKEY_is_a(key, "ED25519")) {
    std::string raw(32, '\0');
    std::size_t length = raw.size();
    if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(raw.data()), &length) !=
            1 ||
        length != 32) {
      ERR_clear_error();
      return KeyError(reason::kInvalidEd25519Key, "the Ed25519 public key could not be read");
    }
    writer.WriteString("ssh-ed25519");
    writer.WriteString(raw);
    return writer.data();
  }
  if (EVP_PKEY_is_a(key, "EC")) {
    char group[64] = {};
    std::size_t group_length = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                       &group_length) != 1) {
      ERR_clear_error();
      return KeyError(reason::kInvalidPemKey, "the EC key does not name its curve");
    }
    const std::string_view curve = SshCurveName(group);
    const KeyAlgorithm* algorithm = curve.empty() ? nullptr : FindEcdsaByCurve(curve);
    if (algorithm == nullptr) {
      return KeyError(reason::kUnsupportedKeyType,
                      "EC curve \"" + std::string(group) +
                          "\" is not supported by OpenSSH; use P-256, P-384 or P-521");
    }
    std::size_t point_length = 0;
    EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, nullptr, 0, &point_length);
    std::string point(point_length, '\0');
    if (point_length == 0 ||
        EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY,
                                        reinterpret_cast<unsigned char*>(point.data()),
                                        point.size(), &point_length) != 1) {
      ERR_clear_error();
      return KeyError(reason::kInvalidEcPoint, "the EC key has no public point");
    }
    auto uncompressed = UncompressedPoint(algorithm->curve_nid, point);
    if (!uncompressed) return uncompressed.error();
    writer.WriteString(algorithm->name);
    writer.WriteString(algorithm->curve);
    writer.WriteString(*uncompressed);
    return writer.data();
  }
  return KeyError(reason::kUnsupportedKeyType,
                  "only RSA, ECDSA (P-256/384/521) and Ed25519 keys are supported");
}

}  // namespace gangplank::sshkey
