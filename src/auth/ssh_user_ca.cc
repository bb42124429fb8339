// The SSH user CA's key: made once (Ed25519, PKCS#8 PEM, 0600), loaded on every start.
#include "auth/ssh_user_ca.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include "common/base64.h"
#include "common/file_io.h"
#include "sshkey/evp_key.h"

namespace gangplank::auth {

namespace {

Result<EVP_PKEY*> LoadKey(const std::filesystem::path& path) {
  auto pem = ReadSecretFile(path, 64 * 1024);
  if (!pem) return pem.error();
  BIO* bio = BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size()));
  EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (key == nullptr || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
    EVP_PKEY_free(key);
    ERR_clear_error();
    return MakeError(StatusCode::kFailedPrecondition, "CorruptSshCa",
                     path.string() +
                         " is not an Ed25519 private key; restore it from a backup (moving it away "
                         "makes a new CA, and nodes then refuse certificates until their next "
                         "node image upgrade)");
  }
  return key;
}

Result<EVP_PKEY*> MakeKey(const std::filesystem::path& path) {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (key == nullptr) return MakeError(StatusCode::kInternal, "KeyGenerationFailed", "no CA key");
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  Status dir_ok = EnsureDirectory(path.parent_path(), 0700);
  Status written =
      dir_ok.ok() ? WriteFileAtomically(path,
                                        std::string_view(data, static_cast<std::size_t>(length)),
                                        0600, IfExists::kFail)
                  : dir_ok;
  OPENSSL_cleanse(data, static_cast<std::size_t>(length));
  BIO_free(bio);
  if (!written.ok()) {
    EVP_PKEY_free(key);
    return written.error();
  }
  return key;
}

}  // namespace

Result<std::shared_ptr<SshUserCa>> SshUserCa::Open(const std::filesystem::path& data_dir) {
  const std::filesystem::path path = data_dir / kSshUserCaFile;
  auto key = std::filesystem::exists(path) ? LoadKey(path) : MakeKey(path);
  if (!key) return key.error();
  auto blob = sshkey::PublicBlobFromEvp(*key);
  if (!blob) {
    EVP_PKEY_free(*key);
    return blob.error();
  }
  auto ca = std::shared_ptr<SshUserCa>(
      new SshUserCa(*key, "ssh-ed25519 " + Base64Encode(*blob) + " gangplank-user-ca"));
  // The public half beside it, for an sshd's TrustedUserCAKeys (written again on every start:
  // it follows the key).
  if (Status written = WriteFileAtomically(path.string() + ".pub", ca->public_key_line() + "\n",
                                           0644, IfExists::kReplace);
      !written.ok())
    return written.error();
  return ca;
}

SshUserCa::~SshUserCa() { EVP_PKEY_free(key_); }

Result<std::string> SshUserCa::Sign(const sshkey::UserCertificate& certificate) const {
  return sshkey::SignUserCertificate(certificate, key_);
}

}  // namespace gangplank::auth
