// Microsoft Graph v1.0, the part az uses for identities: applications and their client secrets,
// service principals, and the directory look-up behind `az role assignment list`.
#include <boost/json.hpp>

#include "access/directory.h"
#include "api/arm_response.h"
#include "api/graph.h"
#include "common/json_fields.h"
#include "common/random.h"
#include "resources/operation.h"
#include "resources/spec_checks.h"

namespace gangplank::api {
namespace json = boost::json;
using namespace graph;
using access::Application;
using access::ServicePrincipal;
using access::User;

namespace {

constexpr std::size_t kMaxPasswords = 10;

Result<std::pair<Application, std::int64_t>> ReadApplication(const ArmCall& call) {
  GP_ASSIGN_OR_RETURN(
      const auto row,
      call.context.store.Get(access::kApplicationKind, access::ApplicationRowId(call.object)));
  if (!row) return NotFound(call.object);
  GP_ASSIGN_OR_RETURN(Application app, access::DecodeApplication(*row));
  return std::pair{std::move(app), row->version};
}

template <typename Change>
Result<Application> UpdateApplication(const ArmCall& call, Change change) {
  return UpdateDirectoryObject(
      call, [&] { return ReadApplication(call); },
      [](const Application& app) { return access::EncodeApplication(app); }, change);
}

}  // namespace

ArmAnswer ListApplications(const ArmCall& call) {
  return ListDirectory<Application>(call, access::kApplicationKind, access::DecodeApplication,
                                    access::ApplicationJson, "applications");
}

ArmAnswer CreateApplication(const ArmCall& call) {
  GP_RETURN_IF_ERROR(RequireDirectoryWriter(call));
  GP_ASSIGN_OR_RETURN(const json::object body, Body(call, R"({"displayName": "ci-deployer"})"));
  const std::string name = StringField(body, "displayName");
  if (name.empty() || name.size() > 256)
    return BadRequest("An application needs a displayName of 1 to 256 characters.");
  Application app{call.context.random.Uuid(), call.context.random.Uuid(), name, Now(call), {}};
  GP_RETURN_IF_ERROR(
      call.context.store.Put(access::EncodeApplication(app), store::Precondition::Absent()));
  return JsonResponse(call.request.http, HttpStatus::created, access::ApplicationJson(app));
}

ArmAnswer GetApplication(const ArmCall& call) {
  GP_ASSIGN_OR_RETURN(const auto read, ReadApplication(call));
  return JsonResponse(call.request.http, HttpStatus::ok, access::ApplicationJson(read.first));
}

ArmAnswer PatchApplication(const ArmCall& call) {
  GP_RETURN_IF_ERROR(RequireDirectoryWriter(call));
  GP_ASSIGN_OR_RETURN(const json::object body, Body(call, R"({"displayName": "ci-deployer"})"));
  const std::string name = StringField(body, "displayName");
  GP_RETURN_IF_ERROR(UpdateApplication(call, [&](Application& app) -> Status {
    if (!name.empty()) app.display_name = name;
    return OkStatus();
  }));
  return EmptyResponse(call.request.http, HttpStatus::no_content);
}

// An application goes with its service principal (their tokens stop at once).
ArmAnswer DeleteApplication(const ArmCall& call) {
  GP_RETURN_IF_ERROR(RequireDirectoryWriter(call));
  GP_ASSIGN_OR_RETURN(const auto read, ReadApplication(call));
  std::vector<store::Mutation> changes{store::Mutation::Delete(
      std::string(access::kApplicationKind), access::ApplicationRowId(read.first.id))};
  GP_ASSIGN_OR_RETURN(
      const auto principals,
      All<ServicePrincipal>(call, access::kServicePrincipalKind, access::DecodeServicePrincipal));
  for (const ServicePrincipal& sp : principals) {
    if (sp.app_id != read.first.app_id) continue;
    changes.push_back(store::Mutation::Delete(std::string(access::kServicePrincipalKind),
                                              access::ServicePrincipalRowId(sp.id)));
  }
  changes.push_back(store::Mutation::Delete(
      std::string(access::kServicePrincipalOfAppKind),
      std::string(access::kDirectoryParent) + "/apps/" + read.first.app_id));
  GP_RETURN_IF_ERROR(call.context.store.Apply(changes));
  return EmptyResponse(call.request.http, HttpStatus::no_content);
}

// A new client secret: shown once, in this answer, and kept only as a hash.
ArmAnswer AddPassword(const ArmCall& call) {
  GP_RETURN_IF_ERROR(RequireDirectoryWriter(call));
  GP_ASSIGN_OR_RETURN(const json::object body,
                      Body(call, R"({"passwordCredential": {"displayName": "rbac"}})"));
  json::object sent;
  if (const json::value* credential = body.if_contains("passwordCredential");
      credential && credential->is_object())
    sent = credential->get_object();
  for (const char* field : {"startDateTime", "endDateTime"}) {
    const std::string at = StringField(sent, field);
    if (!at.empty() && !resources::UnixMillisOf(at)) {
      return BadRequest("passwordCredential." + std::string(field) + " '" + at.substr(0, 64) +
                        "' is not a time: use ISO 8601, e.g. 2027-01-01T00:00:00Z.");
    }
  }
  const std::string secret = NewSecret(30);
  const auto now = call.context.clock.Now();
  access::PasswordCredential password{
      call.context.random.Uuid(),
      StringField(sent, "displayName"),
      secret.substr(0, 3),
      StringField(sent, "startDateTime").empty() ? resources::Rfc3339(now)
                                                 : StringField(sent, "startDateTime"),
      StringField(sent, "endDateTime").empty()
          ? resources::Rfc3339(now + std::chrono::hours(24 * 365 * 2))
          : StringField(sent, "endDateTime"),
      access::HashSecret(secret)};
  GP_RETURN_IF_ERROR(UpdateApplication(call, [&](Application& app) -> Status {
    if (app.passwords.size() >= kMaxPasswords) {
      return BadRequest("An application holds at most " + std::to_string(kMaxPasswords) +
                        " client secrets; remove one first (removePassword).");
    }
    app.passwords.push_back(password);
    return OkStatus();
  }));
  return JsonResponse(call.request.http, HttpStatus::ok,
                      json::object{{"customKeyIdentifier", nullptr},
                                   {"displayName", password.display_name},
                                   {"endDateTime", password.end},
                                   {"hint", password.hint},
                                   {"keyId", password.key_id},
                                   {"secretText", secret},
                                   {"startDateTime", password.start}});
}

ArmAnswer RemovePassword(const ArmCall& call) {
  GP_RETURN_IF_ERROR(RequireDirectoryWriter(call));
  GP_ASSIGN_OR_RETURN(const json::object body, Body(call, R"({"keyId": "…"})"));
  const std::string key_id = StringField(body, "keyId");
  GP_RETURN_IF_ERROR(UpdateApplication(call, [&](Application& app) -> Status {
    const auto erased = std::erase_if(app.passwords, [&](const access::PasswordCredential& p) {
      return store::IdKey(p.key_id) == store::IdKey(key_id);
    });
    if (erased == 0)
      return BadRequest("No password credential with keyId '" + key_id.substr(0, 64) + "'.");
    return OkStatus();
  }));
  return EmptyResponse(call.request.http, HttpStatus::no_content);
}

ArmAnswer ListServicePrincipals(const ArmCall& call) {
  return ListDirectory<ServicePrincipal>(call, access::kServicePrincipalKind,
                                         access::DecodeServicePrincipal,
                                         access::ServicePrincipalJson, "servicePrincipals");
}

ArmAnswer CreateServicePrincipal(const ArmCall& call) {
  GP_RETURN_IF_ERROR(RequireDirectoryWriter(call));
  GP_ASSIGN_OR_RETURN(const json::object body, Body(call, R"({"appId": "…"})"));
  const std::string app_id = StringField(body, "appId");
  GP_ASSIGN_OR_RETURN(const auto apps,
                      All<Application>(call, access::kApplicationKind, access::DecodeApplication));
  const auto app = std::find_if(apps.begin(), apps.end(), [&](const Application& a) {
    return store::IdKey(a.app_id) == store::IdKey(app_id);
  });
  if (app == apps.end()) {
    return BadRequest("The appId '" + app_id.substr(0, 64) +
                      "' of the service principal is not an application here; create the "
                      "application first (POST /v1.0/applications).");
  }
  const json::value* enabled = body.if_contains("accountEnabled");
  ServicePrincipal sp{call.context.random.Uuid(), app->app_id, app->display_name,
                      !(enabled && enabled->is_bool() && !enabled->get_bool()), Now(call)};
  auto stored = call.context.store.Apply(
      {store::Mutation::Put(access::EncodeServicePrincipal(sp), store::Precondition::Absent()),
       store::Mutation::Put({std::string(access::kServicePrincipalOfAppKind),
                             std::string(access::kDirectoryParent) + "/apps/" + app->app_id,
                             std::string(access::kDirectoryParent),
                             json::serialize(json::object{{"servicePrincipal", sp.id}}), 0},
                            store::Precondition::Absent())});
  if (!stored && stored.error().code == StatusCode::kAborted) {
    return MakeError(StatusCode::kAlreadyExists, "Request_MultipleObjectsWithSameKeyValue",
                     "The application '" + app->app_id + "' has a service principal already.");
  }
  if (!stored) return stored.error();
  return JsonResponse(call.request.http, HttpStatus::created, access::ServicePrincipalJson(sp));
}

ArmAnswer GetServicePrincipal(const ArmCall& call) {
  GP_ASSIGN_OR_RETURN(const auto row,
                      call.context.store.Get(access::kServicePrincipalKind,
                                             access::ServicePrincipalRowId(call.object)));
  if (!row) return NotFound(call.object);
  GP_ASSIGN_OR_RETURN(const ServicePrincipal sp, access::DecodeServicePrincipal(*row));
  return JsonResponse(call.request.http, HttpStatus::ok, access::ServicePrincipalJson(sp));
}

ArmAnswer DeleteServicePrincipal(const ArmCall& call) {
  GP_RETURN_IF_ERROR(RequireDirectoryWriter(call));
  GP_ASSIGN_OR_RETURN(const auto row,
                      call.context.store.Get(access::kServicePrincipalKind,
                                             access::ServicePrincipalRowId(call.object)));
  if (!row) return NotFound(call.object);
  GP_ASSIGN_OR_RETURN(const ServicePrincipal sp, access::DecodeServicePrincipal(*row));
  GP_RETURN_IF_ERROR(call.context.store.Apply(
      {store::Mutation::Delete(std::string(access::kServicePrincipalKind), row->id),
       store::Mutation::Delete(std::string(access::kServicePrincipalOfAppKind),
                               std::string(access::kDirectoryParent) + "/apps/" + sp.app_id)}));
  return EmptyResponse(call.request.http, HttpStatus::no_content);
}

// POST directoryObjects/getByIds: the users, groups and service principals with these ids (of
// the `types` asked for, when the body names some), as `az role assignment list` resolves names.
ArmAnswer GetDirectoryObjectsByIds(const ArmCall& call) {
  GP_ASSIGN_OR_RETURN(const json::object body, Body(call, R"({"ids": ["…"]})"));
  const std::vector<std::string> ids = StringsField(body, "ids");
  if (ids.size() > 1000) return BadRequest("getByIds takes at most 1000 ids.");
  std::vector<std::string> types;
  for (const std::string& type : StringsField(body, "types"))
    types.push_back("#microsoft.graph." + store::IdKey(type));
  json::array value;
  for (const std::string& id : ids) {
    GP_ASSIGN_OR_RETURN(const auto object, FindDirectoryObject(call, id));
    if (!object) continue;
    const std::string type = store::IdKey(StringField(*object, "@odata.type"));
    if (types.empty() || std::find(types.begin(), types.end(), type) != types.end())
      value.push_back(*object);
  }
  return GraphList(call, "directoryObjects", std::move(value));
}

namespace {

// The user `key` names: an object id or a user principal name.
Result<std::pair<User, std::int64_t>> ReadUser(const ArmCall& call, const std::string& key) {
  GP_ASSIGN_OR_RETURN(const auto row, access::FindUserRow(call.context.store, key));
  if (!row) return NotFound(key);
  GP_ASSIGN_OR_RETURN(User user, access::DecodeUser(*row));
  return std::pair{std::move(user), row->version};
}

// The password a body's passwordProfile sets, checked; "" when it sets none.
Result<std::string> PasswordIn(const json::object& body) {
  const json::value* profile = body.if_contains("passwordProfile");
  if (profile == nullptr || !profile->is_object()) return std::string();
  const std::string password = StringField(profile->get_object(), "password");
  GP_RETURN_IF_ERROR(access::CheckPasswordComplexity(password));
  return password;
}

}  // namespace

ArmAnswer ListUsers(const ArmCall& call) {
  return ListDirectory<User>(call, access::kUserKind, access::DecodeUser, access::UserJson,
                             "users");
}

// POST /users, as az ad user create sends it: the password is checked for complexity and kept
// only as a slow hash.
ArmAnswer CreateUser(const ArmCall& call) {
  GP_RETURN_IF_ERROR(RequireDirectoryWriter(call));
  GP_ASSIGN_OR_RETURN(
      const json::object body,
      Body(
          call,
          R"({"userPrincipalName": "ada@example.org", "displayName": "Ada", "passwordProfile": {"password": "…"}})"));
  User user;
  user.user_principal_name = StringField(body, "userPrincipalName");
  const std::size_t at = user.user_principal_name.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == user.user_principal_name.size() ||
      user.user_principal_name.size() > 113 ||
      user.user_principal_name.find_first_of(" /\\'\"") != std::string::npos) {
    return InvalidInput("Request_BadRequest",
                        "userPrincipalName must be NAME@DOMAIN (at most 113 characters, no spaces, "
                        "quotes or slashes).",
                        "userPrincipalName");
  }
  user.display_name = StringField(body, "displayName");
  if (user.display_name.empty() || user.display_name.size() > 256)
    return BadRequest("A user needs a displayName of 1 to 256 characters.");
  GP_ASSIGN_OR_RETURN(const std::string password, PasswordIn(body));
  if (password.empty()) return BadRequest("A user needs passwordProfile.password.");
  user.mail_nickname = StringField(body, "mailNickname");
  if (user.mail_nickname.empty()) user.mail_nickname = user.user_principal_name.substr(0, at);
  const json::value* enabled = body.if_contains("accountEnabled");
  user.account_enabled = !(enabled && enabled->is_bool() && !enabled->get_bool());
  user.id = call.context.random.Uuid();
  user.created = Now(call);
  user.password_hash = access::HashPassword(password);
  auto stored = call.context.store.Apply(
      {store::Mutation::Put(access::EncodeUser(user), store::Precondition::Absent()),
       store::Mutation::Put(
           {std::string(access::kUserNameKind), access::UserNameRowId(user.user_principal_name),
            std::string(access::kDirectoryParent), json::serialize(json::object{{"user", user.id}}),
            0},
           store::Precondition::Absent())});
  if (!stored && stored.error().code == StatusCode::kAborted) {
    return MakeError(StatusCode::kAlreadyExists, "Request_BadRequest",
                     "Another object with the same value for property userPrincipalName already "
                     "exists.");
  }
  if (!stored) return stored.error();
  return JsonResponse(call.request.http, HttpStatus::created, access::UserJson(user));
}

ArmAnswer GetUser(const ArmCall& call) {
  GP_ASSIGN_OR_RETURN(const auto read, ReadUser(call, call.object));
  return JsonResponse(call.request.http, HttpStatus::ok, access::UserJson(read.first));
}

// PATCH: displayName, accountEnabled (false: signed out of everything at once), a new password
// (which also lifts a lockout).
ArmAnswer PatchUser(const ArmCall& call) {
  GP_RETURN_IF_ERROR(RequireDirectoryWriter(call));
  GP_ASSIGN_OR_RETURN(const json::object body, Body(call, R"({"accountEnabled": false})"));
  GP_ASSIGN_OR_RETURN(const std::string password, PasswordIn(body));
  GP_ASSIGN_OR_RETURN(auto read, ReadUser(call, call.object));
  User& user = read.first;
  if (const std::string name = StringField(body, "displayName"); !name.empty())
    user.display_name = name;
  if (const json::value* enabled = body.if_contains("accountEnabled");
      enabled && enabled->is_bool())
    user.account_enabled = enabled->get_bool();
  if (!password.empty()) {
    user.password_hash = access::HashPassword(password);
    user.failed_sign_ins.clear();
    user.locked_until_ms = 0;
  }
  GP_RETURN_IF_ERROR(call.context.store.Put(access::EncodeUser(user),
                                            store::Precondition::AtVersion(read.second)));
  return EmptyResponse(call.request.http, HttpStatus::no_content);
}

ArmAnswer DeleteUser(const ArmCall& call) {
  GP_RETURN_IF_ERROR(RequireDirectoryWriter(call));
  GP_ASSIGN_OR_RETURN(const auto read, ReadUser(call, call.object));
  GP_RETURN_IF_ERROR(call.context.store.Apply(
      {store::Mutation::Delete(std::string(access::kUserKind), access::UserRowId(read.first.id)),
       store::Mutation::Delete(std::string(access::kUserNameKind),
                               access::UserNameRowId(read.first.user_principal_name))}));
  return EmptyResponse(call.request.http, HttpStatus::no_content);
}

// /me is the signed-in person; a service principal gets Graph's own 400.
ArmAnswer GetMe(const ArmCall& call) {
  const std::string& name = call.request.caller.app_id;
  if (name.find('@') == std::string::npos)
    return BadRequest("/me request is only valid with delegated authentication flow.");
  GP_ASSIGN_OR_RETURN(const auto read, ReadUser(call, name));
  json::object me = access::UserJson(read.first);
  me["@odata.context"] = call.context.config.server_url + "v1.0/$metadata#users/$entity";
  return JsonResponse(call.request.http, HttpStatus::ok, me);
}

}  // namespace gangplank::api
