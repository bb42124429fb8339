// The directory Gangplank keeps, in Microsoft Graph's shapes: applications (with their client
// secrets, stored as hashes) and the service principals that sign in as them.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "store/store.h"

namespace gangplank::access {

inline constexpr std::string_view kApplicationKind = "application";
inline constexpr std::string_view kServicePrincipalKind = "servicePrincipal";
// One row per app id that has a service principal: two cannot be made for one application.
inline constexpr std::string_view kServicePrincipalOfAppKind = "servicePrincipalOfApp";
inline constexpr std::string_view kDirectoryParent = "/gangplank/directory";

struct PasswordCredential {
  std::string key_id;
  std::string display_name;
  std::string hint;         // the secret's first three characters, as Graph shows them
  std::string start, end;   // RFC 3339
  std::string secret_hash;  // SHA-256 of the secret, hex; the secret itself is never kept
};

struct Application {
  std::string id;      // object id
  std::string app_id;  // the client id it signs in with
  std::string display_name;
  std::string created;
  std::vector<PasswordCredential> passwords;
};

struct ServicePrincipal {
  std::string id;  // object id: what role assignments name
  std::string app_id;
  std::string display_name;
  bool account_enabled = true;
  std::string created;
};

std::string ApplicationRowId(std::string_view object_id);
std::string ServicePrincipalRowId(std::string_view object_id);

store::Resource EncodeApplication(const Application& app, std::int64_t version = 0);
Result<Application> DecodeApplication(const store::Resource& row);
store::Resource EncodeServicePrincipal(const ServicePrincipal& sp, std::int64_t version = 0);
Result<ServicePrincipal> DecodeServicePrincipal(const store::Resource& row);

// As Graph v1.0 shows them (no secret, no hash).
boost::json::object ApplicationJson(const Application& app);
boost::json::object ServicePrincipalJson(const ServicePrincipal& sp);

std::string HashSecret(std::string_view secret);
// Whether `secret` is one of the application's passwords, current at `now` (RFC 3339); compared
// in constant time.
bool SecretMatches(const Application& app, std::string_view secret, std::string_view now);

}  // namespace gangplank::access
