// The control plane's SSH user certificate authorities: Ed25519 keys in the data dir (0600; with
// replicas, also sealed in the store), whose public halves nodes of EntraId pools trust, and the
// one that signs short-lived certificates for people and service principals now. Rotation adds
// a next CA (trusted, not signing), switches signing to it, and drops retired ones.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "auth/shared_secrets.h"
#include "common/clock.h"
#include "common/error.h"
#include "resources/ssh_user_cas.h"
#include "sshkey/certificate.h"

namespace gangplank::auth {

// One CA key.
class SshUserCa {
 public:
  // Loads the PKCS#8 PEM in `pem` (an Ed25519 private key); `origin` names it in errors.
  static Result<std::shared_ptr<SshUserCa>> FromPem(std::string_view pem, const std::string& origin,
                                                    std::string comment);
  // A new key, and its PEM (to be stored 0600).
  static Result<std::pair<std::shared_ptr<SshUserCa>, SecureString>> Generate(std::string comment);
  ~SshUserCa();
  SshUserCa(const SshUserCa&) = delete;
  SshUserCa& operator=(const SshUserCa&) = delete;

  // "ssh-ed25519 AAAA… gangplank-user-ca": the line a node's TrustedUserCAKeys holds.
  const std::string& public_key_line() const { return public_key_line_; }
  Result<std::string> Sign(const sshkey::UserCertificate& certificate) const;

 private:
  SshUserCa(EVP_PKEY* key, std::string public_key_line)
      : key_(key), public_key_line_(std::move(public_key_line)) {}
  EVP_PKEY* key_;
  std::string public_key_line_;
};

// Every generation of the control plane's CA: the set in the store, the private keys in the data
// dir (fetched from the store's sealed copy when another replica made them).
class SshCaKeyring {
 public:
  // With `secrets` (replicas on a shared store) each key is also sealed in the store. On a first
  // start the CA of auth/ssh-user-ca.key (from before rotation existed; made when missing)
  // becomes generation 1.
  static Result<std::unique_ptr<SshCaKeyring>> Open(store::Store& store,
                                                    std::filesystem::path data_dir,
                                                    std::optional<SharedSecrets> secrets,
                                                    const Clock& clock);

  // The set as the store has it now (decoded again only when its row changed).
  Result<std::shared_ptr<const resources::SshUserCaSet>> Current();
  // Signs with the generation that signs now; says which one.
  Result<std::string> Sign(const sshkey::UserCertificate& certificate, int* generation = nullptr);

  // The rotation steps (resources/ssh_user_cas.h says what each does and when it is refused).
  Result<resources::SshUserCaSet> AddNext();
  Result<resources::SshUserCaSet> Switch();
  Result<resources::SshUserCaSet> Drop(int generation);

 private:
  SshCaKeyring(store::Store& store, std::filesystem::path data_dir,
               std::optional<SharedSecrets> secrets, const Clock& clock)
      : store_(store), data_dir_(std::move(data_dir)), secrets_(std::move(secrets)), clock_(clock) {}
  Status MakeFirstSet();
  // The private key of one generation: from this data dir, else from the store's sealed copy.
  Result<std::shared_ptr<SshUserCa>> KeyOf(const resources::CaGeneration& generation);
  // Writes a new generation's key (file, and the store's sealed copy) before the set names it.
  Status SaveKey(const resources::CaGeneration& generation, const SecureString& pem);
  void ForgetKey(const resources::CaGeneration& generation);
  // Commits `planned` over `current`; an interleaved change by another replica is Aborted.
  Result<resources::SshUserCaSet> Commit(const resources::SshUserCaSet& planned);

  store::Store& store_;
  const std::filesystem::path data_dir_;
  const std::optional<SharedSecrets> secrets_;
  const Clock& clock_;
  std::mutex rotation_;  // one rotation step at a time in this process
  std::mutex mutex_;     // guards the caches below
  std::shared_ptr<const resources::SshUserCaSet> current_;
  std::map<std::string, std::shared_ptr<SshUserCa>> keys_;  // by key file
};

}  // namespace gangplank::auth
