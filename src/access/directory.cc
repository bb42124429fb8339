// Directory objects: their rows, Graph's JSON, and client secrets checked against their hashes.
#include "access/directory.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <boost/json.hpp>

namespace gangplank::access {
namespace json = boost::json;

namespace {

std::string Field(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value && value->is_string() ? std::string(value->get_string()) : std::string();
}

Result<json::object> ParseRow(const store::Resource& row) {
  boost::system::error_code ec;
  json::value doc = json::parse(row.body, ec);
  if (ec || !doc.is_object()) {
    return MakeError(StatusCode::kInternal, "UnreadableDirectoryObject",
                     "the directory object " + row.id + " is not readable");
  }
  return std::move(doc.get_object());
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
  Application app{Field(doc, "id"),
                  Field(doc, "appId"),
                  Field(doc, "displayName"),
                  Field(doc, "createdDateTime"),
                  {}};
  if (const json::value* passwords = doc.if_contains("passwordCredentials");
      passwords && passwords->is_array()) {
    for (const json::value& entry : passwords->get_array()) {
      if (!entry.is_object()) continue;
      const json::object& p = entry.get_object();
      app.passwords.push_back({Field(p, "keyId"), Field(p, "displayName"), Field(p, "hint"),
                               Field(p, "startDateTime"), Field(p, "endDateTime"),
                               Field(p, "secretHash")});
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
  return ServicePrincipal{Field(doc, "id"), Field(doc, "appId"), Field(doc, "displayName"),
                          !(enabled && enabled->is_bool() && !enabled->get_bool()),
                          Field(doc, "createdDateTime")};
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

bool SecretMatches(const Application& app, std::string_view secret, std::string_view now) {
  const std::string hash = HashSecret(secret);
  bool matched = false;
  for (const PasswordCredential& p : app.passwords) {
    const bool same = p.secret_hash.size() == hash.size() &&
                      CRYPTO_memcmp(p.secret_hash.data(), hash.data(), hash.size()) == 0;
    // RFC 3339 UTC strings of one shape compare as times.
    const bool current = (p.start.empty() || p.start <= now) && (p.end.empty() || now < p.end);
    matched = matched || (same && current);
  }
  return matched;
}

}  // namespace gangplank::access
