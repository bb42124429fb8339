// Replicas share one identity through the store: the token-signing key, the node and kubeconfig
// token keys, the CA and the admin credentials are kept in the database encrypted (AES-256-GCM)
// with a key every replica is given as a file (--store-key), and copied into each replica's data
// dir (0600) where the loaders read them.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/secure_buffer.h"
#include "store/store.h"

namespace gangplank::auth {

inline constexpr std::string_view kSecretKind = "secret";

// The files of a data dir that make up a control plane's identity (paths relative to it).
const std::vector<std::string>& SharedIdentityFiles();

class SharedSecrets {
 public:
  // Reads the store key: 32 random bytes, base64 (openssl rand -base64 32 > FILE), mode 0600.
  static Result<SharedSecrets> Open(store::Store& store, const std::filesystem::path& key_file);

  // Makes `data_dir` hold the shared identity: every file the store has is written (0600) over
  // the local one; every file the store lacks is created locally by `create_local` (the loaders
  // that make a first start's files) and uploaded, unless another replica uploaded first, whose
  // copy then wins. Returns the files whose content changed locally.
  Result<std::vector<std::string>> Synchronize(
      const std::filesystem::path& data_dir, const std::function<Status()>& create_local);

  // One file of a data dir kept sealed in the store beside the identity files (the SSH user CA
  // generations, which come and go while replicas run): Offer stores it unless the row exists
  // (Aborted then), Fetch returns it (nullopt when the store has none), Forget deletes it.
  Status Offer(const std::string& file, std::string_view content) const;
  Result<std::optional<SecureString>> Fetch(const std::string& file) const;
  Status Forget(const std::string& file) const;

  // Encrypts and decrypts one secret; the row id is bound to the ciphertext (a copy moved to
  // another row does not decrypt).
  Result<std::string> Seal(std::string_view id, std::string_view plaintext) const;
  Result<SecureString> Unseal(std::string_view id, std::string_view sealed) const;

 private:
  SharedSecrets(store::Store& store, SecureString key) : store_(&store), key_(std::move(key)) {}

  store::Store* store_;
  SecureString key_;
};

}  // namespace gangplank::auth
