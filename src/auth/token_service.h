// Issues and verifies the RS256 bearer tokens ARM clients send; publishes the signing key (JWKS).
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/error.h"

namespace gangplank::auth {

struct TokenClaims {
  std::string client_id;
  std::string audience;
  long long expires_at = 0;
};

class TokenService {
 public:
  // Loads DIR/auth/token-signing.key, creating an RSA 2048 key (0600) on first start.
  // `audiences` are the resource identifiers tokens may be issued for (the ARM endpoint, with
  // and without its trailing slash).
  static Result<std::shared_ptr<TokenService>> Open(const std::filesystem::path& data_dir,
                                                    std::string issuer,
                                                    std::vector<std::string> audiences,
                                                    const Clock& clock);
  ~TokenService();

  // A token for `client_id`, valid for lifetime(); `audience` must be one of ours.
  Result<std::string> Issue(const std::string& client_id, const std::string& audience) const;

  // An OpenID Connect id_token for a person who signed in to `client_app` (az's client id): what
  // az reads the signed-in user's name from.
  Result<std::string> IssueIdToken(const std::string& client_app, const std::string& object_id,
                                   const std::string& user_principal_name,
                                   const std::string& display_name) const;

  // Unauthenticated with a reason for anything but a well-formed, correctly signed, current token
  // issued by us for one of our audiences.
  Result<TokenClaims> Verify(std::string_view token) const;

  bool IsOurAudience(std::string_view audience) const;
  boost::json::object Jwks() const;
  const std::string& issuer() const { return issuer_; }
  std::chrono::seconds lifetime() const { return std::chrono::hours(1); }

 private:
  struct Key;
  TokenService(std::unique_ptr<Key> key, std::string issuer, std::vector<std::string> audiences,
               const Clock& clock);

  Result<TokenClaims> VerifySignatureAndClaims(std::string_view token) const;
  Result<std::string> Sign(const boost::json::object& claims) const;

  std::unique_ptr<Key> key_;
  // Tokens whose signature already verified: a client sends the same token for an hour, and an
  // RSA verification per request would dominate a GET. Expiry is still checked on every use.
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, TokenClaims> verified_;
  std::string issuer_;
  std::vector<std::string> audiences_;
  const Clock& clock_;
};

}  // namespace gangplank::auth
