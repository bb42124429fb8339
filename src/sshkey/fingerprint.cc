// SHA256 and MD5 fingerprints; digests are fetched once because implicit fetches cost per call.
#include "sshkey/fingerprint.h"

#include <openssl/evp.h>

#include "common/base64.h"
#include "common/text.h"

namespace gangplank::sshkey {
namespace {

const EVP_MD* Digest(FingerprintHash hash) {
  // EVP_MD_fetch'd objects are immutable and safe to share across threads.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  static EVP_MD* const md5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
  return hash == FingerprintHash::kSha256 ? sha256 : md5;
}

}  // namespace

std::string Fingerprint(std::string_view blob, FingerprintHash hash) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  const EVP_MD* md = Digest(hash);
  if (md == nullptr || EVP_Digest(blob.data(), blob.size(), digest, &length, md, nullptr) != 1) {
    // MD5 is unavailable only under a FIPS-restricted OpenSSL configuration.
    return hash == FingerprintHash::kSha256 ? "SHA256:unavailable" : "MD5:unavailable";
  }
  if (hash == FingerprintHash::kSha256) {
    return "SHA256:" +
           Base64EncodeUnpadded(std::string_view(reinterpret_cast<const char*>(digest), length));
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "MD5:";
  for (unsigned int i = 0; i < length; ++i) {
    if (i != 0) out.push_back(':');
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

std::string EscapeControlCharacters(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\t' && c != '\r') || byte == 0x7f) {
      AppendOctalEscape(out, byte);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string FingerprintLine(const PublicKey& key, FingerprintHash hash) {
  std::string line = std::to_string(key.bits);
  line.push_back(' ');
  line += Fingerprint(key, hash);
  line.push_back(' ');
  const bool has_comment = !key.comment.empty() && key.comment.front() != '#';
  line += has_comment ? EscapeControlCharacters(key.comment) : std::string("no comment");
  line += " (";
  line += key.algorithm->label;
  line.push_back(')');
  return line;
}

}  // namespace gangplank::sshkey
