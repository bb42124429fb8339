// Directory objects: their rows, Graph's JSON, and client secrets checked against their hashes.
#include "access/directory.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <boost/json.hpp>
#include <algorithm>
#include <cctype>

#include "common/base64.h"
#include "common/json_fields.h"
#include "common/random.h"
#include "resources/operation.h"

namespace gangplank::access {
namespace json = boost::json;

namespace {

Result<json::object> ParseRow(const store::Resource& row) {
  auto doc = ParseJsonObject(row.body);
  if (!doc) {
    return MakeError(StatusCode::kInternal, "UnreadableDirectoryObject",
                     "the directory object " + row.id + " is not readable");
  }
  return std::move(*doc);
}

}  // namespace

std::string ApplicationRowId(std::string_view object_id) {
  return std::string(kDirectoryParent) + "/applications/" + std::string(object_id);
}
std::string ServicePrincipalRowId(std::string_view object_id) {
  return std::string(kDirectoryParent) + "/servicePrincipals/" + std::string(object_id);
}

json::object ApplicationJson(const Application& app) {
  json::array passwords;
  for (const PasswordCredential& p : app.passwords) {
    passwords.push_back(json::object{{"keyId", p.key_id},
                                     {"displayName", p.display_name},
                                     {"hint", p.hint},
                                     {"startDateTime", p.start},
                                     {"endDateTime", p.end},
                                     {"secretText", nullptr},
                                     {"customKeyIdentifier", nullptr}});
  }
  return json::object{{"id", app.id},
                      {"appId", app.app_id},
                      {"displayName", app.display_name},
                      {"createdDateTime", app.created},
                      {"signInAudience", "AzureADMyOrg"},
                      {"identifierUris", json::array{}},
                      {"keyCredentials", json::array{}},
                      {"passwordCredentials", std::move(passwords)}};
}

json::object ServicePrincipalJson(const ServicePrincipal& sp) {
  return json::object{{"@odata.type", "#microsoft.graph.servicePrincipal"},
                      {"id", sp.id},
                      {"appId", sp.app_id},
                      {"displayName", sp.display_name},
                      {"appDisplayName", sp.display_name},
                      {"accountEnabled", sp.account_enabled},
                      {"servicePrincipalType", "Application"},
                      {"servicePrincipalNames", json::array{json::value(sp.app_id)}},
                      {"createdDateTime", sp.created}};
}

store::Resource EncodeApplication(const Application& app, std::int64_t version) {
  json::object doc = ApplicationJson(app);
  json::array& passwords = doc["passwordCredentials"].as_array();
  for (std::size_t i = 0; i < app.passwords.size(); ++i)
    passwords[i].as_object()["secretHash"] = app.passwords[i].secret_hash;
  return {std::string(kApplicationKind), ApplicationRowId(app.id), std::string(kDirectoryParent),
          json::serialize(doc), version};
}

Result<Application> DecodeApplication(const store::Resource& row) {
  GP_ASSIGN_OR_RETURN(const json::object doc, ParseRow(row));
  Application app{StringField(doc, "id"),
                  StringField(doc, "appId"),
                  StringField(doc, "displayName"),
                  StringField(doc, "createdDateTime"),
                  {}};
  if (const json::value* passwords = doc.if_contains("passwordCredentials");
      passwords && passwords->is_array()) {
    for (const json::value& entry : passwords->get_array()) {
      if (!entry.is_object()) continue;
      const json::object& p = entry.get_object();
      app.passwords.push_back({StringField(p, "keyId"), StringField(p, "displayName"),
                               StringField(p, "hint"), StringField(p, "startDateTime"),
                               StringField(p, "endDateTime"), StringField(p, "secretHash")});
    }
  }
  return app;
}

store::Resource EncodeServicePrincipal(const ServicePrincipal& sp, std::int64_t version) {
  return {std::string(kServicePrincipalKind), ServicePrincipalRowId(sp.id),
          std::string(kDirectoryParent), json::serialize(ServicePrincipalJson(sp)), version};
}

Result<ServicePrincipal> DecodeServicePrincipal(const store::Resource& row) {
  GP_ASSIGN_OR_RETURN(const json::object doc, ParseRow(row));
  const json::value* enabled = doc.if_contains("accountEnabled");
  return ServicePrincipal{StringField(doc, "id"), StringField(doc, "appId"),
                          StringField(doc, "displayName"),
                          !(enabled && enabled->is_bool() && !enabled->get_bool()),
                          StringField(doc, "createdDateTime")};
}

std::string HashSecret(std::string_view secret) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(secret.data(), secret.size(), digest, &size, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xf];
  }
  return hex;
}

std::string UserRowId(std::string_view object_id) {
  return std::string(kDirectoryParent) + "/users/" + std::string(object_id);
}
std::string UserNameRowId(std::string_view user_principal_name) {
  return std::string(kDirectoryParent) + "/userPrincipalNames/" + store::IdKey(user_principal_name);
}

Result<std::optional<store::Resource>> FindUserRow(store::Store& store, std::string_view key) {
  std::string id(key);
  if (key.find('@') != std::string_view::npos) {
    GP_ASSIGN_OR_RETURN(const auto name, store.Get(kUserNameKind, UserNameRowId(key)));
    const auto doc = name ? ParseJsonObject(name->body) : std::nullopt;
    if (!doc) return std::optional<store::Resource>();
    id = StringField(*doc, "user");
  }
  return store.Get(kUserKind, UserRowId(id));
}

json::object UserJson(const User& user) {
  return json::object{{"@odata.type", "#microsoft.graph.user"},
                      {"id", user.id},
                      {"userPrincipalName", user.user_principal_name},
                      {"displayName", user.display_name},
                      {"mailNickname", user.mail_nickname},
                      {"accountEnabled", user.account_enabled},
                      {"createdDateTime", user.created},
                      {"mail", nullptr},
                      {"businessPhones", json::array{}}};
}

store::Resource EncodeUser(const User& user, std::int64_t version) {
  json::object doc = UserJson(user);
  doc["passwordHash"] = user.password_hash;
  json::array failures;
  for (long long at : user.failed_sign_ins) failures.push_back(at);
  doc["failedSignIns"] = std::move(failures);
  doc["lockedUntilMs"] = user.locked_until_ms;
  return {std::string(kUserKind), UserRowId(user.id), std::string(kDirectoryParent),
          json::serialize(doc), version};
}

Result<User> DecodeUser(const store::Resource& row) {
  GP_ASSIGN_OR_RETURN(const json::object doc, ParseRow(row));
  User user;
  user.id = StringField(doc, "id");
  user.user_principal_name = StringField(doc, "userPrincipalName");
  user.display_name = StringField(doc, "displayName");
  user.mail_nickname = StringField(doc, "mailNickname");
  user.created = StringField(doc, "createdDateTime");
  const json::value* enabled = doc.if_contains("accountEnabled");
  user.account_enabled = !(enabled && enabled->is_bool() && !enabled->get_bool());
  user.password_hash = StringField(doc, "passwordHash");
  if (const json::value* failures = doc.if_contains("failedSignIns");
      failures && failures->is_array())
    for (const json::value& at : failures->get_array())
      if (at.is_int64()) user.failed_sign_ins.push_back(at.get_int64());
  if (const json::value* locked = doc.if_contains("lockedUntilMs"); locked && locked->is_int64())
    user.locked_until_ms = locked->get_int64();
  return user;
}

Status CheckPasswordComplexity(std::string_view password) {
  int lower = 0, upper = 0, digit = 0, symbol = 0;
  for (char c : password) {
    const auto u = static_cast<unsigned char>(c);
    if (std::islower(u))
      lower = 1;
    else if (std::isupper(u))
      upper = 1;
    else if (std::isdigit(u))
      digit = 1;
    else
      symbol = 1;
  }
  if (password.size() >= 8 && password.size() <= 256 && lower + upper + digit + symbol >= 3)
    return OkStatus();
  return InvalidInput("Request_BadRequest",
                      "The specified password does not comply with password complexity "
                      "requirements: 8 to 256 characters, with at least three of lower case, "
                      "upper case, digits and symbols.",
                      "passwordProfile.password");
}

namespace {
constexpr std::uint64_t kScryptN = 1 << 15;
constexpr std::uint64_t kScryptR = 8, kScryptP = 1;

std::string Scrypt(std::string_view password, std::string_view salt, std::uint64_t n,
                   std::uint64_t r, std::uint64_t p) {
  std::string key(32, '\0');
  if (EVP_PBE_scrypt(password.data(), password.size(),
                     reinterpret_cast<const unsigned char*>(salt.data()), salt.size(), n, r, p,
                     64ull << 20, reinterpret_cast<unsigned char*>(key.data()), key.size()) != 1)
    return {};
  return key;
}
}  // namespace

std::string HashPassword(std::string_view password) {
  const std::string salt = RandomBytes(16);
  return "scrypt$" + std::to_string(kScryptN) + "$" + std::to_string(kScryptR) + "$" +
         std::to_string(kScryptP) + "$" + Base64Encode(salt) + "$" +
         Base64Encode(Scrypt(password, salt, kScryptN, kScryptR, kScryptP));
}

bool PasswordMatches(std::string_view stored, std::string_view password) {
  std::vector<std::string> parts;
  for (std::size_t start = 0;;) {
    const std::size_t end = stored.find('$', start);
    parts.emplace_back(stored.substr(start, end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  if (parts.size() != 6 || parts[0] != "scrypt") return false;
  const auto salt = Base64DecodeStrict(parts[4]);
  const auto expected = Base64DecodeStrict(parts[5]);
  if (!salt || !expected) return false;
  const std::uint64_t n = std::strtoull(parts[1].c_str(), nullptr, 10);
  // Only the parameters this server writes: a tampered row cannot ask for a huge N.
  if (n != kScryptN || parts[2] != std::to_string(kScryptR) || parts[3] != std::to_string(kScryptP))
    return false;
  const std::string key = Scrypt(password, *salt, n, kScryptR, kScryptP);
  return !key.empty() && key.size() == expected->size() &&
         CRYPTO_memcmp(key.data(), expected->data(), key.size()) == 0;
}

SignIn DecideSignIn(User& user, bool password_ok, long long now_ms) {
  if (!user.account_enabled) return SignIn::kDisabled;
  std::erase_if(user.failed_sign_ins, [&](long long at) { return now_ms - at > kLockoutWindowMs; });
  if (user.locked_until_ms > now_ms) return SignIn::kLocked;
  if (password_ok) {
    user.failed_sign_ins.clear();
    user.locked_until_ms = 0;
    return SignIn::kOk;
  }
  user.failed_sign_ins.push_back(now_ms);
  if (static_cast<int>(user.failed_sign_ins.size()) >= kMaxFailedSignIns) {
    user.locked_until_ms = now_ms + kLockoutWindowMs;
    user.failed_sign_ins.clear();
  }
  return SignIn::kWrongPassword;
}

bool SecretMatches(const Application& app, std::string_view secret, std::string_view now) {
  const std::string hash = HashSecret(secret);
  bool matched = false;
  for (const PasswordCredential& p : app.passwords) {
    const bool same = p.secret_hash.size() == hash.size() &&
                      CRYPTO_memcmp(p.secret_hash.data(), hash.data(), hash.size()) == 0;
    // As times: clients write them with and without fractions, with Z or an offset.
    const auto at = resources::UnixMillisOf(now);
    const auto start = resources::UnixMillisOf(p.start), end = resources::UnixMillisOf(p.end);
    const bool current = at && (p.start.empty() || (start && *start <= *at)) &&
                         (p.end.empty() || (end && *at < *end));
    matched = matched || (same && current);
  }
  return matched;
}

std::string GroupRowId(std::string_view object_id) {
  return std::string(kDirectoryParent) + "/groups/" + std::string(object_id);
}

json::object GroupJson(const Group& group) {
  return json::object{{"@odata.type", "#microsoft.graph.group"},
                      {"id", group.id},
                      {"displayName", group.display_name},
                      {"mailNickname", group.mail_nickname},
                      {"description", group.description.empty() ? json::value(nullptr)
                                                                : json::value(group.description)},
                      {"mailEnabled", false},
                      {"securityEnabled", true},
                      {"groupTypes", json::array{}},
                      {"createdDateTime", group.created}};
}

store::Resource EncodeGroup(const Group& group, std::int64_t version) {
  json::object doc = GroupJson(group);
  json::array members;
  for (const std::string& member : group.members) members.push_back(json::value(member));
  doc["members"] = std::move(members);
  return {std::string(kGroupKind), GroupRowId(group.id), std::string(kDirectoryParent),
          json::serialize(doc), version};
}

Result<Group> DecodeGroup(const store::Resource& row) {
  GP_ASSIGN_OR_RETURN(const json::object doc, ParseRow(row));
  return Group{StringField(doc, "id"),          StringField(doc, "displayName"),
               StringField(doc, "mailNickname"), StringField(doc, "description"),
               StringField(doc, "createdDateTime"), StringsField(doc, "members")};
}

std::vector<std::string> TransitiveGroupsOf(std::string_view object_id,
                                            const std::vector<Group>& groups) {
  std::vector<std::string> found;
  std::vector<std::string> pending{store::IdKey(object_id)};
  while (!pending.empty()) {
    const std::string member = std::move(pending.back());
    pending.pop_back();
    for (const Group& group : groups) {
      const std::string id = store::IdKey(group.id);
      if (std::find(found.begin(), found.end(), id) != found.end()) continue;
      const bool holds = std::any_of(group.members.begin(), group.members.end(),
                                     [&](const std::string& m) { return store::IdKey(m) == member; });
      if (!holds) continue;
      found.push_back(id);
      pending.push_back(id);
    }
  }
  return found;
}

}  // namespace gangplank::access
