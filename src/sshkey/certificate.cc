// Building and signing OpenSSH user certificates.
#include "sshkey/certificate.h"

#include <openssl/rand.h>

#include <algorithm>

#include "sshkey/evp_key.h"
#include "sshkey/wire.h"

namespace gangplank::sshkey {

namespace {

constexpr std::uint32_t kUserCertificate = 1;

// The certificate type of a subject key, and the key's fields after its type string.
Result<std::pair<std::string, std::string_view>> CertificateTypeOf(std::string_view blob) {
  WireReader reader(blob);
  const auto type = reader.ReadString();
  if (!type) return InvalidInput("InvalidPublicKey", "the public key blob is truncated", "key");
  static constexpr std::string_view kCertifiable[] = {"ssh-rsa", "ssh-ed25519",
                                                      "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
                                                      "ecdsa-sha2-nistp521"};
  if (std::find(std::begin(kCertifiable), std::end(kCertifiable), *type) == std::end(kCertifiable)) {
    return InvalidInput("UncertifiableKey",
                        "keys of type " + std::string(type->substr(0, 40)) +
                            " cannot be certified here; use an RSA, Ed25519 or ECDSA key",
                        "key");
  }
  return std::pair{std::string(*type) + "-cert-v01@openssh.com",
                   blob.substr(blob.size() - reader.remaining())};
}

void WriteU64(WireWriter& out, std::uint64_t value) {
  out.WriteU32(static_cast<std::uint32_t>(value >> 32));
  out.WriteU32(static_cast<std::uint32_t>(value));
}

Result<std::string> SignEd25519(EVP_PKEY* ca, std::string_view data) {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  std::string signature(64, '\0');
  std::size_t length = signature.size();
  const bool ok =
      context != nullptr && EVP_DigestSignInit(context, nullptr, nullptr, nullptr, ca) == 1 &&
      EVP_DigestSign(context, reinterpret_cast<unsigned char*>(signature.data()), &length,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  EVP_MD_CTX_free(context);
  if (!ok || length != 64)
    return MakeError(StatusCode::kInternal, "SigningFailed", "the CA could not sign");
  return signature;
}

}  // namespace

std::string ExtensionString(std::string_view value) {
  WireWriter out;
  out.WriteString(value);
  return out.data();
}

Result<std::string> SignUserCertificate(const UserCertificate& certificate, EVP_PKEY* ca) {
  GP_ASSIGN_OR_RETURN(const auto type, CertificateTypeOf(certificate.subject_blob));
  GP_ASSIGN_OR_RETURN(const std::string ca_blob, PublicBlobFromEvp(ca));
  std::string nonce(32, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()), 32) != 1)
    return MakeError(StatusCode::kInternal, "RandomFailed", "no randomness for the nonce");
  WireWriter out;
  out.WriteString(type.first);
  out.WriteString(nonce);
  out.WriteRaw(type.second);
  WriteU64(out, certificate.serial);
  out.WriteU32(kUserCertificate);
  out.WriteString(certificate.key_id);
  WireWriter principals;
  for (const std::string& principal : certificate.principals) principals.WriteString(principal);
  out.WriteString(principals.data());
  WriteU64(out, certificate.valid_after);
  WriteU64(out, certificate.valid_before);
  out.WriteString("");  // no critical options
  auto extensions = certificate.extensions;
  std::sort(extensions.begin(), extensions.end());
  WireWriter extension_list;
  for (const auto& [name, data] : extensions) {
    extension_list.WriteString(name);
    extension_list.WriteString(data);
  }
  out.WriteString(extension_list.data());
  out.WriteString("");  // reserved
  out.WriteString(ca_blob);
  GP_ASSIGN_OR_RETURN(const std::string signature, SignEd25519(ca, out.data()));
  WireWriter signature_blob;
  signature_blob.WriteString("ssh-ed25519");
  signature_blob.WriteString(signature);
  out.WriteString(signature_blob.data());
  return out.data();
}

}  // namespace gangplank::sshkey
