// The control plane's SSH user certificate authority: an Ed25519 key in the data dir (0600,
// shared by replicas through the store like the other keys), whose public half nodes of EntraId
// pools trust, and which signs short-lived certificates for people and service principals.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "common/error.h"
#include "sshkey/certificate.h"

namespace gangplank::auth {

inline constexpr const char* kSshUserCaFile = "auth/ssh-user-ca.key";

class SshUserCa {
 public:
  // Loads `data_dir`/auth/ssh-user-ca.key, making it on a first start, and writes its public
  // half to ssh-user-ca.key.pub.
  static Result<std::shared_ptr<SshUserCa>> Open(const std::filesystem::path& data_dir);
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

}  // namespace gangplank::auth
