// The algorithm table and each algorithm's field parser and validator.
#include "sshkey/algorithms.h"

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>

#include <array>
#include <memory>

#include "sshkey/key_errors.h"

namespace gangplank::sshkey {
namespace {

constexpr std::size_t kEd25519PublicKeySize = 32;

Error Truncated(const KeyAlgorithm& algorithm) {
  return KeyError(reason::kTruncatedKey, "the " + std::string(algorithm.name) +
                                             " key data is truncated or malformed (cut short, or a "
                                             "number with a sign bit or a needless leading zero); "
                                             "copy the whole key again or re-export it with "
                                             "ssh-keygen");
}

int BitLength(std::string_view magnitude) {
  if (magnitude.empty()) return 0;
  int bits = static_cast<int>(magnitude.size() - 1) * 8;
  for (auto top = static_cast<unsigned char>(magnitude[0]); top != 0; top >>= 1) ++bits;
  return bits;
}

bool IsOdd(std::string_view magnitude) {
  return !magnitude.empty() && (static_cast<unsigned char>(magnitude.back()) & 1);
}

Result<KeyBody> ParseRsa(WireReader& reader, const KeyAlgorithm& algorithm,
                         const ParsePolicy& policy) {
  const auto exponent = reader.ReadMpint();
  const auto modulus = reader.ReadMpint();
  if (!exponent || !modulus) return Truncated(algorithm);
  if (!IsOdd(*exponent) || BitLength(*exponent) < 2) {
    return KeyError(reason::kInvalidRsaKey,
                    "the RSA public exponent is not valid (it must be an "
                    "odd number greater than 1)");
  }
  if (!IsOdd(*modulus)) {
    return KeyError(reason::kInvalidRsaKey, "the RSA modulus is not valid (it must be odd)");
  }
  const int bits = BitLength(*modulus);
  if (bits < policy.min_rsa_bits) {
    return KeyError(reason::kRsaKeyTooShort,
                    "the RSA key has " + std::to_string(bits) + " bits; at least " +
                        std::to_string(policy.min_rsa_bits) +
                        " are required. Create a stronger key, for example `ssh-keygen -t "
                        "ed25519` or `ssh-keygen -t rsa -b 3072`");
  }
  if (bits > policy.max_rsa_bits) {
    return KeyError(reason::kRsaKeyTooLong,
                    "the RSA key has " + std::to_string(bits) + " bits; at most " +
                        std::to_string(policy.max_rsa_bits) + " are supported");
  }
  return KeyBody{bits, {}};
}

// Fixed-size keys end with the application string when they live on a security key.
Result<KeyBody> FixedSizeBody(WireReader& reader, const KeyAlgorithm& algorithm) {
  KeyBody body{algorithm.fixed_bits, {}};
  if (algorithm.security_key) {
    const auto application = reader.ReadString();
    if (!application) return Truncated(algorithm);
    body.application = std::string(*application);
  }
  return body;
}

Result<KeyBody> ParseEd25519(WireReader& reader, const KeyAlgorithm& algorithm,
                             const ParsePolicy&) {
  const auto point = reader.ReadString();
  if (!point) return Truncated(algorithm);
  if (point->size() != kEd25519PublicKeySize) {
    return KeyError(reason::kInvalidEd25519Key, "the ed25519 public key is " +
                                                    std::to_string(point->size()) +
                                                    " bytes long; it must be exactly 32");
  }
  return FixedSizeBody(reader, algorithm);
}

struct GroupDeleter {
  void operator()(EC_GROUP* group) const { EC_GROUP_free(group); }
};
struct PointDeleter {
  void operator()(EC_POINT* point) const { EC_POINT_free(point); }
};

// Curve groups are immutable once built, so one per curve serves every thread.
const EC_GROUP* GroupFor(int nid) {
  static const std::array<std::unique_ptr<EC_GROUP, GroupDeleter>, 3> groups = {
      std::unique_ptr<EC_GROUP, GroupDeleter>(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1)),
      std::unique_ptr<EC_GROUP, GroupDeleter>(EC_GROUP_new_by_curve_name(NID_secp384r1)),
      std::unique_ptr<EC_GROUP, GroupDeleter>(EC_GROUP_new_by_curve_name(NID_secp521r1)),
  };
  switch (nid) {
    case NID_X9_62_prime256v1:
      return groups[0].get();
    case NID_secp384r1:
      return groups[1].get();
    case NID_secp521r1:
      return groups[2].get();
    default:
      return nullptr;
  }
}

// OpenSSH accepts only uncompressed points (0x04 || X || Y) that lie on the named curve; NIST
// curves have cofactor 1, so a point on the curve is in the prime-order group.
bool IsValidUncompressedPoint(int nid, std::string_view encoded) {
  const EC_GROUP* group = GroupFor(nid);
  if (group == nullptr) return false;
  const std::size_t field_bytes = (static_cast<std::size_t>(EC_GROUP_get_degree(group)) + 7) / 8;
  if (encoded.size() != 1 + 2 * field_bytes || encoded[0] != 0x04) return false;
  std::unique_ptr<EC_POINT, PointDeleter> point(EC_POINT_new(group));
  if (!point) return false;
  const bool ok =
      EC_POINT_oct2point(group, point.get(), reinterpret_cast<const unsigned char*>(encoded.data()),
                         encoded.size(), nullptr) == 1 &&
      EC_POINT_is_at_infinity(group, point.get()) == 0 &&
      EC_POINT_is_on_curve(group, point.get(), nullptr) == 1;
  if (!ok) ERR_clear_error();
  return ok;
}

Result<KeyBody> ParseEcdsa(WireReader& reader, const KeyAlgorithm& algorithm, const ParsePolicy&) {
  const auto curve = reader.ReadString();
  const auto point = reader.ReadString();
  if (!curve || !point) return Truncated(algorithm);
  if (*curve != algorithm.curve) {
    return KeyError(reason::kCurveMismatch, "the key names curve \"" + PrintableExcerpt(*curve) +
                                                "\" but its type " + std::string(algorithm.name) +
                                                " needs " + std::string(algorithm.curve));
  }
  if (!IsValidUncompressedPoint(algorithm.curve_nid, *point)) {
    return KeyError(reason::kInvalidEcPoint, "the ECDSA public key is not a valid point on " +
                                                 std::string(algorithm.curve) +
                                                 "; the key is corrupt");
  }
  return FixedSizeBody(reader, algorithm);
}

constexpr std::array<KeyAlgorithm, 7> kAlgorithms = {{
    {"ssh-rsa", "RSA", KeyFamily::kRsa, false, "", 0, 0, ParseRsa},
    {"ssh-ed25519", "ED25519", KeyFamily::kEd25519, false, "", 0, 256, ParseEd25519},
    {"ecdsa-sha2-nistp256", "ECDSA", KeyFamily::kEcdsa, false, "nistp256", NID_X9_62_prime256v1,
     256, ParseEcdsa},
    {"ecdsa-sha2-nistp384", "ECDSA", KeyFamily::kEcdsa, false, "nistp384", NID_secp384r1, 384,
     ParseEcdsa},
    {"ecdsa-sha2-nistp521", "ECDSA", KeyFamily::kEcdsa, false, "nistp521", NID_secp521r1, 521,
     ParseEcdsa},
    {"sk-ssh-ed25519@openssh.com", "ED25519-SK", KeyFamily::kEd25519, true, "", 0, 256,
     ParseEd25519},
    {"sk-ecdsa-sha2-nistp256@openssh.com", "ECDSA-SK", KeyFamily::kEcdsa, true, "nistp256",
     NID_X9_62_prime256v1, 256, ParseEcdsa},
}};

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::span<const KeyAlgorithm> AllAlgorithms() { return kAlgorithms; }

const KeyAlgorithm* FindAlgorithm(std::string_view name) {
  for (const KeyAlgorithm& algorithm : kAlgorithms) {
    if (algorithm.name == name) return &algorithm;
  }
  return nullptr;
}

const KeyAlgorithm* FindEcdsaByCurve(std::string_view curve) {
  for (const KeyAlgorithm& algorithm : kAlgorithms) {
    if (algorithm.family == KeyFamily::kEcdsa && !algorithm.security_key &&
        algorithm.curve == curve) {
      return &algorithm;
    }
  }
  return nullptr;
}

bool LooksLikeKeyType(std::string_view token) {
  return token.starts_with("ssh-") || token.starts_with("ecdsa-") || token.starts_with("sk-") ||
         token.starts_with("rsa-sha2-") || token.starts_with("x509v3-") ||
         EndsWith(token, "@openssh.com");
}

Error RefusedTypeError(std::string_view name) {
  if (name == "ssh-dss") {
    return KeyError(
        reason::kDsaNotAllowed,
        "DSA (ssh-dss) keys are not accepted: they are limited to 1024 bits and OpenSSH "
        "has disabled them; use an ed25519, ECDSA or RSA (2048+ bits) key");
  }
  if (EndsWith(name, "-cert-v01@openssh.com")) {
    return KeyError(reason::kCertificateNotAllowed,
                    "an OpenSSH certificate (" + std::string(name) +
                        ") cannot be used as an authorized key; give the plain public key the "
                        "certificate was issued for");
  }
  std::string supported;
  for (const KeyAlgorithm& algorithm : kAlgorithms) {
    if (!supported.empty()) supported += ", ";
    supported += algorithm.name;
  }
  return KeyError(reason::kUnsupportedKeyType, "key type \"" + PrintableExcerpt(name) +
                                                   "\" is not supported; use one of: " + supported);
}

}  // namespace gangplank::sshkey
