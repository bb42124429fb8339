// AES-256-GCM sealed identity files in the store, copied to and from each replica's data dir.
#include "auth/shared_secrets.h"

#include <sys/stat.h>

#include <openssl/evp.h>

#include <functional>
#include <memory>

#include "common/base64.h"
#include "common/file_io.h"
#include "common/random.h"

namespace gangplank::auth {
namespace {

constexpr std::size_t kNonceBytes = 12;
constexpr std::size_t kTagBytes = 16;
constexpr std::string_view kPrefix = "/gangplank/secrets/";

using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

Error WrongKey() {
  return MakeError(StatusCode::kFailedPrecondition, "StoreKeyMismatch",
                   "the --store-key file does not decrypt the secrets in this store: every "
                   "replica of one store needs the same key file");
}

}  // namespace

const std::vector<std::string>& SharedIdentityFiles() {
  static const std::vector<std::string> files = {
      "auth/token-signing.key", "auth/node-token.key", "auth/kube-token.key",
      "tls/ca.key",             "tls/ca.crt",          "credentials.json"};
  return files;
}

Result<SharedSecrets> SharedSecrets::Open(store::Store& store,
                                          const std::filesystem::path& key_file) {
  // The key opens every private key of the control plane: a copy others can read is a leak, as
  // ssh refuses a private key file that is not 0600.
  struct stat info {};
  if (::stat(key_file.c_str(), &info) == 0 && (info.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
    return MakeError(StatusCode::kInvalidArgument, "StoreKeyTooOpen",
                     "the store key " + key_file.string() + " is readable by others (mode " +
                         mode + "); make it private with: chmod 600 " + key_file.string());
  }
  auto text = ReadSecretFile(key_file, 4096);
  if (!text) return text.error();
  std::string trimmed(text->begin(), text->end());
  while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == ' '))
    trimmed.pop_back();
  auto key = Base64DecodeStrict(trimmed);
  std::fill(trimmed.begin(), trimmed.end(), '\0');
  if (!key || key->size() != 32) {
    return MakeError(StatusCode::kInvalidArgument, "InvalidStoreKey",
                     key_file.string() +
                         " is not a store key: it must hold 32 random bytes in base64; make one "
                         "with: openssl rand -base64 32 > " + key_file.string());
  }
  SecureString bytes(key->begin(), key->end());
  std::fill(key->begin(), key->end(), '\0');
  return SharedSecrets(store, std::move(bytes));
}

Result<std::string> SharedSecrets::Seal(std::string_view id, std::string_view plaintext) const {
  const std::string nonce = RandomBytes(kNonceBytes);
  CipherContext ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  std::string out(plaintext.size(), '\0');
  int written = 0, final_bytes = 0;
  unsigned char tag[kTagBytes];
  const auto* key = reinterpret_cast<const unsigned char*>(key_.data());
  if (!ctx ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key,
                         reinterpret_cast<const unsigned char*>(nonce.data())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &written,
                        reinterpret_cast<const unsigned char*>(id.data()),
                        static_cast<int>(id.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &written,
                        reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), nullptr, &final_bytes) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, tag) != 1) {
    return MakeError(StatusCode::kInternal, "EncryptionFailed", "sealing a secret failed");
  }
  return Base64Encode(nonce + out + std::string(reinterpret_cast<char*>(tag), kTagBytes));
}

Result<SecureString> SharedSecrets::Unseal(std::string_view id, std::string_view sealed) const {
  auto raw = Base64DecodeStrict(sealed);
  if (!raw || raw->size() < kNonceBytes + kTagBytes) return WrongKey();
  const std::string_view bytes(*raw);
  const std::string_view nonce = bytes.substr(0, kNonceBytes);
  const std::string_view body = bytes.substr(kNonceBytes, bytes.size() - kNonceBytes - kTagBytes);
  std::string tag(bytes.substr(bytes.size() - kTagBytes));
  CipherContext ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  SecureString out(body.size(), '\0');
  int written = 0, final_bytes = 0;
  const auto* key = reinterpret_cast<const unsigned char*>(key_.data());
  const bool ok =
      ctx &&
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key,
                         reinterpret_cast<const unsigned char*>(nonce.data())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &written,
                        reinterpret_cast<const unsigned char*>(id.data()),
                        static_cast<int>(id.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &written,
                        reinterpret_cast<const unsigned char*>(body.data()),
                        static_cast<int>(body.size())) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), nullptr, &final_bytes) == 1;
  std::fill(raw->begin(), raw->end(), '\0');
  if (!ok) return WrongKey();
  return out;
}

Status SharedSecrets::Offer(const std::string& file, std::string_view content) const {
  const std::string id = std::string(kPrefix) + file;
  auto sealed = Seal(id, content);
  if (!sealed) return sealed.error();
  auto put = store_->Put({std::string(kSecretKind), id, "/gangplank/secrets", *sealed, 0},
                         store::Precondition::Absent());
  return put ? OkStatus() : Status(put.error());
}

Result<std::optional<SecureString>> SharedSecrets::Fetch(const std::string& file) const {
  const std::string id = std::string(kPrefix) + file;
  auto row = store_->Get(kSecretKind, id);
  if (!row) return row.error();
  if (!row->has_value()) return std::optional<SecureString>();
  auto plain = Unseal(id, (*row)->body);
  if (!plain) return plain.error();
  return std::optional<SecureString>(std::move(*plain));
}

Status SharedSecrets::Forget(const std::string& file) const {
  Status deleted =
      store_->Delete(kSecretKind, std::string(kPrefix) + file, store::Precondition::Any());
  return deleted.ok() || deleted.error().code == StatusCode::kNotFound ? OkStatus() : deleted;
}

Result<std::vector<std::string>> SharedSecrets::Synchronize(
    const std::filesystem::path& data_dir, const std::function<Status()>& create_local) {
  if (auto synced = store_->Sync(); !synced) return synced.error();
  std::vector<std::string> changed;
  // First the store's copies, so a replica that joins later creates nothing of its own.
  auto download = [&](const std::string& file, const store::Resource& row) -> Status {
    auto plain = Unseal(row.id, row.body);
    if (!plain) return plain.error();
    const std::filesystem::path path = data_dir / file;
    auto local = ReadSecretFile(path, 1 << 20);
    if (local && *local == *plain) return OkStatus();
    if (Status dir = EnsureDirectory(path.parent_path(), 0700); !dir.ok()) return dir;
    if (Status written = WriteFileAtomically(path, std::string_view(plain->data(), plain->size()),
                                             0600, IfExists::kReplace);
        !written.ok())
      return written;
    changed.push_back(file);
    return OkStatus();
  };
  bool missing = false;
  for (const std::string& file : SharedIdentityFiles()) {
    auto row = store_->Get(kSecretKind, std::string(kPrefix) + file);
    if (!row) return row.error();
    if (!row->has_value()) {
      missing = true;
      continue;
    }
    if (Status got = download(file, **row); !got.ok()) return got.error();
  }
  if (!missing) return changed;
  // This replica is the first (or one of the first): make what is missing and offer it. A
  // replica that offered first wins; its copies replace ours.
  if (Status created = create_local(); !created.ok()) return created.error();
  for (const std::string& file : SharedIdentityFiles()) {
    const std::string id = std::string(kPrefix) + file;
    auto local = ReadSecretFile(data_dir / file, 1 << 20);
    if (!local) return local.error();
    auto sealed = Seal(id, std::string_view(local->data(), local->size()));
    if (!sealed) return sealed.error();
    auto put = store_->Put({std::string(kSecretKind), id, "/gangplank/secrets", *sealed, 0},
                           store::Precondition::Absent());
    if (put) continue;
    if (put.error().code != StatusCode::kAborted) return put.error();
    auto theirs = store_->Get(kSecretKind, id);
    if (!theirs || !theirs->has_value()) return put.error();
    if (Status got = download(file, **theirs); !got.ok()) return got.error();
  }
  return changed;
}

}  // namespace gangplank::auth
