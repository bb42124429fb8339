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

// A person: signs in with a user principal name and a password (kept as a slow, salted scrypt
// hash), locked out for a while after repeated failures.
inline constexpr std::string_view kUserKind = "user";
// One row per user principal name (lower case): two people cannot share one.
inline constexpr std::string_view kUserNameKind = "userPrincipalName";

struct User {
  std::string id;
  std::string user_principal_name;
  std::string display_name;
  std::string mail_nickname;
  std::string created;
  bool account_enabled = true;
  std::string password_hash;               // HashPassword's form; never shown
  std::vector<long long> failed_sign_ins;  // Unix ms of the recent failures
  long long locked_until_ms = 0;
};

std::string UserRowId(std::string_view object_id);
std::string UserNameRowId(std::string_view user_principal_name);
// The row of the user `key` names (an object id, or a user principal name), if there is one.
Result<std::optional<store::Resource>> FindUserRow(store::Store& store, std::string_view key);
store::Resource EncodeUser(const User& user, std::int64_t version = 0);
Result<User> DecodeUser(const store::Resource& row);
boost::json::object UserJson(const User& user);

// Entra's rule: 8 to 256 characters, of at least three of lower case, upper case, digits and
// symbols; a 400 that says so otherwise.
Status CheckPasswordComplexity(std::string_view password);
// scrypt (N=2^15, r=8, p=1) with a random 16-byte salt, as "scrypt$N$r$p$SALT$HASH" (base64).
std::string HashPassword(std::string_view password);
bool PasswordMatches(std::string_view stored, std::string_view password);

// Sign-in lockout: this many failures within the window lock the account for the window.
inline constexpr int kMaxFailedSignIns = 5;
inline constexpr long long kLockoutWindowMs = 15 * 60 * 1000;
enum class SignIn { kOk, kWrongPassword, kLocked, kDisabled };
// The outcome of a sign-in attempt at `now_ms` (the password already checked), and the user's
// failure record updated for it (the caller stores the user when it changed).
SignIn DecideSignIn(User& user, bool password_ok, long long now_ms);

// A security group of users, service principals and other groups: a role assigned to the group
// is held by each member, and by the members of member groups.
inline constexpr std::string_view kGroupKind = "group";

struct Group {
  std::string id;
  std::string display_name;
  std::string mail_nickname;
  std::string description;
  std::string created;
  std::vector<std::string> members;  // object ids
};

std::string GroupRowId(std::string_view object_id);
store::Resource EncodeGroup(const Group& group, std::int64_t version = 0);
Result<Group> DecodeGroup(const store::Resource& row);
boost::json::object GroupJson(const Group& group);
// Every group `object_id` belongs to, directly or through member groups (a cycle ends the walk).
std::vector<std::string> TransitiveGroupsOf(std::string_view object_id,
                                            const std::vector<Group>& groups);

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
