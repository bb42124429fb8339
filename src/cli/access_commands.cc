// `gangplank ad …`, `gangplank role …` and `gangplank monitor activity-log list`: identities,
// role assignments and the activity log, with az's names, look-ups and outputs.
#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <chrono>
#include <ctime>

#include "cli/access_commands.h"
#include "cli/aks_support.h"
#include "cli/cli_config.h"
#include "common/json_fields.h"
#include "common/random.h"

namespace gangplank::cli {
namespace json = boost::json;

namespace {

constexpr const char* kDefinitionsVersion = "?api-version=2018-01-01-preview";
constexpr const char* kAssignmentsVersion = "?api-version=2020-04-01-preview";
constexpr const char* kActivityVersion = "?api-version=2015-04-01";

// What the access commands take besides the shared output flags.
struct AccessFlags {
  std::string id, display_name, upn, password, mail_nickname, description, group, member;
  std::string role, assignee, assignee_object_id, assignee_type, scope;
  std::vector<std::string> scopes, ids;
  bool force_change_password = false, custom_only = false, all = false, inherited = false;
  int years = 1;
  // monitor activity-log list
  std::string caller, status, resource_id, correlation_id, offset = "6h", start, end;
  int max_events = 50;
};

// Ids and names compare case-insensitively, as ARM and Graph compare them.
std::string Key(std::string_view text) {
  std::string key(text);
  for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return key;
}

std::string Quote(std::string_view value) {
  std::string out = "'";
  for (const char c : value) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::string Filter(std::string_view expression) {
  return "$filter=" + boost::urls::encode(expression, boost::urls::unreserved_chars);
}

json::array ValueOf(const json::value& body) {
  const json::value* value = body.is_object() ? body.as_object().if_contains("value") : nullptr;
  return value && value->is_array() ? value->as_array() : json::array{};
}

// GETs a Graph or ARM collection (following nextLink and @odata.nextLink, up to `limit` items).
Result<json::array> List(ArmClient& client, std::string path, std::size_t limit = 100000) {
  json::array all;
  while (!path.empty() && all.size() < limit) {
    GP_ASSIGN_OR_RETURN(const ArmReply reply, client.Call("GET", path));
    for (json::value& item : ValueOf(reply.body)) all.push_back(std::move(item));
    path.clear();
    for (const char* link : {"nextLink", "@odata.nextLink"}) {
      const std::string next =
          reply.body.is_object() ? StringField(reply.body.as_object(), link) : "";
      if (next.empty()) continue;
      const std::size_t origin = next.find("://");
      const std::size_t start = origin == std::string::npos ? 0 : next.find('/', origin + 3);
      path = start == std::string::npos ? "" : next.substr(start);
    }
  }
  if (all.size() > limit) all.resize(limit);
  return all;
}

Error NotFound(std::string message) {
  return MakeError(StatusCode::kNotFound, "NotFound", std::move(message));
}

// A service principal by app id, name or object id, as az ad sp show finds it.
Result<json::object> FindServicePrincipal(ArmClient& client, const std::string& id) {
  GP_ASSIGN_OR_RETURN(const json::array found,
                      List(client, "/v1.0/servicePrincipals?" +
                                       Filter("servicePrincipalNames/any(c:c eq " + Quote(id) + ")")));
  if (!found.empty()) return found.front().as_object();
  if (!IsGuid(id)) return NotFound("Service principal '" + id + "' doesn't exist");
  GP_ASSIGN_OR_RETURN(const ArmReply reply, client.Call("GET", "/v1.0/servicePrincipals/" + id));
  return reply.body.as_object();
}

// A group by object id, or by a display name only one group has (az's validate_group).
Result<std::string> FindGroup(ArmClient& client, const std::string& name) {
  if (IsGuid(name)) return name;
  for (const std::string& filter :
       {"displayName eq " + Quote(name), "startswith(displayName," + Quote(name) + ")"}) {
    GP_ASSIGN_OR_RETURN(const json::array found, List(client, "/v1.0/groups?" + Filter(filter)));
    if (found.size() == 1) return StringField(found.front().as_object(), "id");
    if (found.size() > 1) {
      return MakeError(StatusCode::kInvalidArgument, "AmbiguousGroup",
                       "More than one group match the name of '" + name + "'");
    }
  }
  return NotFound("No group matches the name of '" + name + "'");
}

// The object id and principal type an --assignee names: a user principal name, a service
// principal's app id or name, or an object id (az's _resolve_object_id).
Result<std::pair<std::string, std::string>> ResolveAssignee(ArmClient& client,
                                                            const std::string& assignee) {
  if (assignee.find('@') != std::string::npos) {
    GP_ASSIGN_OR_RETURN(const json::array users,
                        List(client, "/v1.0/users?" +
                                         Filter("userPrincipalName eq " + Quote(assignee))));
    if (!users.empty())
      return std::pair{StringField(users[0].as_object(), "id"), std::string("User")};
  }
  GP_ASSIGN_OR_RETURN(const json::array sps,
                      List(client, "/v1.0/servicePrincipals?" +
                                       Filter("servicePrincipalNames/any(c:c eq " +
                                              Quote(assignee) + ")")));
  if (!sps.empty())
    return std::pair{StringField(sps[0].as_object(), "id"), std::string("ServicePrincipal")};
  const json::value ids = json::object{{"ids", json::array{json::value(assignee)}}};
  GP_ASSIGN_OR_RETURN(const ArmReply found,
                      client.Call("POST", "/v1.0/directoryObjects/getByIds", &ids));
  const json::array objects = ValueOf(found.body);
  if (!objects.empty()) {
    static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
        {"#microsoft.graph.user", "User"},
        {"#microsoft.graph.group", "Group"},
        {"#microsoft.graph.servicePrincipal", "ServicePrincipal"}};
    const std::string type = StringField(objects[0].as_object(), "@odata.type");
    for (const auto& [odata, principal] : kTypes)
      if (odata == type) return std::pair{assignee, std::string(principal)};
  }
  return NotFound("Cannot find user or service principal in graph database for '" + assignee +
                  "'.");
}

std::string ScopeOf(CliContext& context, const AccessFlags& flags, const AksCommandState& state) {
  if (!flags.scope.empty()) return flags.scope;
  auto config = LoadCliConfig(context);
  std::string scope = "/subscriptions/" + (config ? config->subscription_id : std::string("-"));
  if (!state.group.empty()) scope += "/resourceGroups/" + state.group;
  return scope;
}

// A role by name or id, as az role assignment create takes --role: its full definition id.
Result<std::string> ResolveRole(ArmClient& client, const std::string& role,
                                const std::string& scope) {
  if (role.find("/providers/Microsoft.Authorization/roleDefinitions/") != std::string::npos)
    return role;
  const std::string subscription = scope.substr(0, scope.find('/', std::string("/subscriptions/").size()));
  if (IsGuid(role))
    return subscription + "/providers/Microsoft.Authorization/roleDefinitions/" + role;
  GP_ASSIGN_OR_RETURN(const json::array found,
                      List(client, scope + "/providers/Microsoft.Authorization/roleDefinitions" +
                                       kDefinitionsVersion + "&" +
                                       Filter("roleName eq " + Quote(role))));
  if (found.empty()) return NotFound("Role '" + role + "' doesn't exist.");
  if (found.size() > 1) {
    return MakeError(StatusCode::kInvalidArgument, "AmbiguousRole",
                     "More than one role matches the given name '" + role +
                         "'. Please pick an id from '" + scope + "'");
  }
  return StringField(found[0].as_object(), "id");
}

// A resource as az prints these: its properties lifted next to id, name and type.
json::object Flattened(const json::object& resource) {
  json::object out;
  for (const auto& [key, value] : resource)
    if (key != "properties") out[key] = value;
  if (const json::value* p = resource.if_contains("properties"); p && p->is_object())
    for (const auto& [key, value] : p->as_object()) out[key] = value;
  return out;
}

json::object RoleDefinitionAsAzPrints(const json::object& role) {
  json::object out = Flattened(role);
  out["roleType"] = out.contains("type") && out.at("type").is_string() &&
                            role.contains("properties")
                        ? role.at("properties").as_object().at("type")
                        : json::value("BuiltInRole");
  out["type"] = "Microsoft.Authorization/roleDefinitions";
  return out;
}

// --- ad sp -----------------------------------------------------------------------------------

std::string Iso8601(std::chrono::system_clock::time_point at) {
  const std::time_t t = std::chrono::system_clock::to_time_t(at);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// The application named `name` (a new one when there is none) with one new password, its
// service principal (made when missing), and the roles asked for: az ad sp create-for-rbac.
Result<json::object> CreateForRbac(CliContext& context, ArmClient& client, const std::string& name,
                                   const AccessFlags& flags) {
  GP_ASSIGN_OR_RETURN(const json::array apps,
                      List(client, "/v1.0/applications?" + Filter("displayName eq " + Quote(name))));
  json::object app;
  if (apps.empty()) {
    const json::value body = json::object{{"displayName", name}, {"keyCredentials", json::array{}}};
    GP_ASSIGN_OR_RETURN(const ArmReply made, client.Call("POST", "/v1.0/applications", &body));
    app = made.body.as_object();
  } else {
    app = apps.front().as_object();
    context.err << "WARNING: Found an existing application instance: (id) " << StringField(app, "id")
                << ". We will patch it.\n";
    if (const json::value* passwords = app.if_contains("passwordCredentials");
        passwords && passwords->is_array()) {
      for (const json::value& p : passwords->as_array()) {
        const json::value key = json::object{{"keyId", StringField(p.as_object(), "keyId")}};
        GP_RETURN_IF_ERROR(client.Call(
            "POST", "/v1.0/applications/" + StringField(app, "id") + "/removePassword", &key));
      }
    }
  }
  const auto now = std::chrono::system_clock::now();
  const json::value password_body = json::object{
      {"passwordCredential",
       json::object{{"displayName", "rbac"},
                    {"startDateTime", Iso8601(now)},
                    {"endDateTime", Iso8601(now + std::chrono::hours(24 * 365 * flags.years))}}}};
  GP_ASSIGN_OR_RETURN(
      const ArmReply password,
      client.Call("POST", "/v1.0/applications/" + StringField(app, "id") + "/addPassword",
                  &password_body));
  const std::string app_id = StringField(app, "appId");
  auto sp = FindServicePrincipal(client, app_id);
  if (!sp && sp.error().code != StatusCode::kNotFound) return sp.error();
  if (!sp) {
    const json::value body = json::object{{"appId", app_id}, {"accountEnabled", true}};
    GP_ASSIGN_OR_RETURN(const ArmReply made, client.Call("POST", "/v1.0/servicePrincipals", &body));
    sp = made.body.as_object();
  }
  for (const std::string& scope : flags.scopes) {
    GP_ASSIGN_OR_RETURN(const std::string role, ResolveRole(client, flags.role, scope));
    context.err << "Creating '" << flags.role << "' role assignment under scope '" << scope << "'\n";
    const json::value body = json::object{
        {"properties", json::object{{"roleDefinitionId", role},
                                    {"principalId", StringField(*sp, "id")},
                                    {"principalType", "ServicePrincipal"}}}};
    auto made = client.Call("PUT",
                            scope + "/providers/Microsoft.Authorization/roleAssignments/" +
                                NewUuid() + kAssignmentsVersion,
                            &body);
    if (!made && made.error().message.find("already exists") == std::string::npos)
      return made.error();
    if (!made) context.err << "  Role assignment already exists.\n";
  }
  context.err << "The output includes credentials that you must protect. Be sure that you do not "
                 "include these credentials in your code or check the credentials into your "
                 "source control.\n";
  return json::object{{"appId", app_id},
                      {"displayName", name},
                      {"password", StringField(password.body.as_object(), "secretText")},
                      {"tenant", "adfs"}};
}

// --- role assignment -----------------------------------------------------------------------

// The assignments at SCOPE (and, with --include-inherited, above it; with --all, everywhere),
// kept by --assignee and --role, with principalName and roleDefinitionName filled in.
Result<json::array> ListAssignments(ArmClient& client, const AccessFlags& flags,
                                    const std::string& scope) {
  const std::string subscription = client.SubscriptionPath();
  const std::string at = flags.all ? subscription : scope;
  GP_ASSIGN_OR_RETURN(
      json::array assignments,
      List(client, at + "/providers/Microsoft.Authorization/roleAssignments" + kAssignmentsVersion +
                       (flags.all ? std::string() : "&" + Filter("atScope()"))));
  std::string principal;
  if (!flags.assignee.empty()) {
    GP_ASSIGN_OR_RETURN(const auto resolved, ResolveAssignee(client, flags.assignee));
    principal = resolved.first;
  }
  std::string role;
  if (!flags.role.empty()) {
    GP_ASSIGN_OR_RETURN(role, ResolveRole(client, flags.role, at));
  }
  GP_ASSIGN_OR_RETURN(const json::array definitions,
                      List(client, at + "/providers/Microsoft.Authorization/roleDefinitions" +
                                       kDefinitionsVersion));
  json::array kept;
  json::array ids;
  for (const json::value& item : assignments) {
    json::object a = Flattened(item.as_object());
    const std::string at_scope = StringField(a, "scope");
    if (!flags.all && Key(at_scope) != Key(scope) &&
        !(flags.inherited && Key(scope).starts_with(Key(at_scope))))
      continue;
    if (!principal.empty() && Key(StringField(a, "principalId")) != Key(principal))
      continue;
    const std::string guid = StringField(a, "roleDefinitionId").substr(
        StringField(a, "roleDefinitionId").find_last_of('/') + 1);
    if (!role.empty() && !role.ends_with(guid)) continue;
    a["roleDefinitionName"] = nullptr;
    for (const json::value& d : definitions)
      if (Key(StringField(d.as_object(), "name")) == Key(guid))
        a["roleDefinitionName"] = d.at("properties").at("roleName");
    ids.push_back(json::value(StringField(a, "principalId")));
    kept.push_back(std::move(a));
  }
  if (kept.empty()) return kept;
  const json::value lookup = json::object{{"ids", ids}};
  GP_ASSIGN_OR_RETURN(const ArmReply names,
                      client.Call("POST", "/v1.0/directoryObjects/getByIds", &lookup));
  for (json::value& item : kept) {
    json::object& a = item.as_object();
    a["principalName"] = "";
    for (const json::value& object : ValueOf(names.body)) {
      const json::object& o = object.as_object();
      if (Key(StringField(o, "id")) != Key(StringField(a, "principalId"))) continue;
      const auto spns = StringsField(o, "servicePrincipalNames");
      a["principalName"] = !StringField(o, "userPrincipalName").empty()
                               ? StringField(o, "userPrincipalName")
                               : (!spns.empty() ? spns.front() : StringField(o, "displayName"));
    }
  }
  return kept;
}

Result<json::object> CreateAssignment(ArmClient& client, const AccessFlags& flags,
                                      const std::string& scope) {
  std::string object_id = flags.assignee_object_id, type = flags.assignee_type;
  if (object_id.empty()) {
    GP_ASSIGN_OR_RETURN(const auto resolved, ResolveAssignee(client, flags.assignee));
    object_id = resolved.first;
    if (type.empty()) type = resolved.second;
  }
  GP_ASSIGN_OR_RETURN(const std::string role, ResolveRole(client, flags.role, scope));
  json::object properties{{"roleDefinitionId", role}, {"principalId", object_id}};
  if (!type.empty()) properties["principalType"] = type;
  const json::value body = json::object{{"properties", properties}};
  GP_ASSIGN_OR_RETURN(const ArmReply made,
                      client.Call("PUT",
                                  scope + "/providers/Microsoft.Authorization/roleAssignments/" +
                                      NewUuid() + kAssignmentsVersion,
                                  &body));
  return Flattened(made.body.as_object());
}

// --- monitor activity-log list -------------------------------------------------------------

// "6h", "30m", "2d", "1h30m" → seconds.
Result<long long> OffsetSeconds(const std::string& text) {
  long long total = 0, number = 0;
  bool digits = false;
  for (const char c : text) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      number = number * 10 + (c - '0');
      digits = true;
      continue;
    }
    const long long unit = c == 'd' ? 86400 : c == 'h' ? 3600 : c == 'm' ? 60 : c == 's' ? 1 : 0;
    if (unit == 0 || !digits) {
      return MakeError(StatusCode::kInvalidArgument, "InvalidOffset",
                       "--offset '" + text + "' is not a duration such as 6h, 30m, 2d or 1h30m.");
    }
    total += number * unit;
    number = 0;
    digits = false;
  }
  if (digits) total += number * 3600;  // a bare number is hours, as az reads it
  return total;
}

// The $filter az builds: the time window, then one of correlation id, resource group, resource
// id; then caller and status.
Result<std::string> ActivityFilter(const AccessFlags& flags, const AksCommandState& state) {
  std::string start = flags.start, end = flags.end;
  const auto now = std::chrono::system_clock::now();
  GP_ASSIGN_OR_RETURN(const long long offset, OffsetSeconds(flags.offset));
  if (end.empty()) end = Iso8601(now);
  if (start.empty()) start = Iso8601(now - std::chrono::seconds(offset));
  std::string filter = "eventTimestamp ge " + start + " and eventTimestamp le " + end;
  if (!flags.correlation_id.empty()) {
    filter += " and correlationId eq " + Quote(flags.correlation_id);
  } else if (!state.group.empty()) {
    filter += " and resourceGroupName eq " + Quote(state.group);
  } else if (!flags.resource_id.empty()) {
    filter += " and resourceId eq " + Quote(flags.resource_id);
  }
  if (!flags.caller.empty()) filter += " and caller eq " + Quote(flags.caller);
  if (!flags.status.empty()) filter += " and status eq " + Quote(flags.status);
  return filter;
}

// --- the command tree ----------------------------------------------------------------------

using Action = std::function<Result<json::value>(ArmClient&)>;

// Connects, runs `action` and prints what it returns (nothing for null).
int Run(CliContext& context, AksCommandState& state, const Action& action) {
  auto client = Client(context);
  if (!client) return Fail(context, client.error());
  auto result = action(*client);
  if (!result) return Fail(context, result.error());
  if (result->is_null()) return kExitOk;
  return PrintOutput(context, *result, state.output);
}

json::value Body(const ArmReply& reply) { return reply.body; }

CLI::App* Command(CLI::App* parent, const std::string& name, const std::string& help,
                  AksCommandState& state) {
  CLI::App* command = parent->add_subcommand(name, help);
  AddOutputAndWaitFlags(*command, state, false);
  return command;
}

void RegisterServicePrincipalCommands(CLI::App* ad, AccessFlags& flags, AksCommandState& state,
                                      CliContext& context, int& exit_code) {
  CLI::App* sp = ad->add_subcommand("sp", "Service principals.");
  sp->require_subcommand(1);
  CLI::App* create = Command(sp, "create-for-rbac",
                             "Create an application, its service principal and a secret, and "
                             "optionally assign it a role.\n\nExample:\n  gangplank ad sp "
                             "create-for-rbac --name ci-deployer --role Contributor --scopes "
                             "/subscriptions/SUB/resourceGroups/rg1",
                             state);
  create->add_option("-n,--name,--display-name", flags.display_name, "Display name")->required();
  create->add_option("--role", flags.role, "A role to assign (name or id)");
  create->add_option("--scopes", flags.scopes, "Scopes of the role assignment");
  create->add_option("--years", flags.years, "Years the secret is valid (default 1)");
  create->callback([&] {
    if (flags.role.empty() != flags.scopes.empty()) {
      exit_code = PrintError(context, "usage error: --role and --scopes go together");
      return;
    }
    exit_code = Run(context, state, [&](ArmClient& client) -> Result<json::value> {
      GP_ASSIGN_OR_RETURN(json::object made, CreateForRbac(context, client, flags.display_name, flags));
      return json::value(std::move(made));
    });
  });
  CLI::App* show = Command(sp, "show", "Show a service principal (by app id or object id).", state);
  show->add_option("--id", flags.id, "App id or object id")->required();
  show->callback([&] {
    exit_code = Run(context, state, [&](ArmClient& client) -> Result<json::value> {
      GP_ASSIGN_OR_RETURN(json::object sp_found, FindServicePrincipal(client, flags.id));
      return json::value(std::move(sp_found));
    });
  });
  CLI::App* list = Command(sp, "list", "List service principals.", state);
  list->add_option("--display-name", flags.display_name, "Names that start with this");
  list->callback([&] {
    exit_code = Run(context, state, [&](ArmClient& client) -> Result<json::value> {
      GP_ASSIGN_OR_RETURN(
          json::array all,
          List(client, "/v1.0/servicePrincipals" +
                           (flags.display_name.empty()
                                ? std::string()
                                : "?" + Filter("startswith(displayName," +
                                               Quote(flags.display_name) + ")"))));
      return json::value(std::move(all));
    });
  });
  CLI::App* remove = Command(sp, "delete", "Delete a service principal.", state);
  remove->add_option("--id", flags.id, "App id or object id")->required();
  remove->callback([&] {
    exit_code = Run(context, state, [&](ArmClient& client) -> Result<json::value> {
      GP_ASSIGN_OR_RETURN(const json::object found, FindServicePrincipal(client, flags.id));
      GP_RETURN_IF_ERROR(
          client.Call("DELETE", "/v1.0/servicePrincipals/" + StringField(found, "id")));
      return json::value();
    });
  });
}

void RegisterUserCommands(CLI::App* ad, AccessFlags& flags, AksCommandState& state,
                          CliContext& context, int& exit_code) {
  CLI::App* user = ad->add_subcommand("user", "Users: people who sign in with a password.");
  user->require_subcommand(1);
  CLI::App* create = Command(user, "create",
                             "Create a user.\n\nExample:\n  gangplank ad user create "
                             "--display-name Ada --user-principal-name ada@example.org "
                             "--password ...",
                             state);
  create->add_option("--display-name", flags.display_name, "Display name")->required();
  create->add_option("--user-principal-name", flags.upn, "NAME@DOMAIN")->required();
  create->add_option("--password", flags.password, "The first password")->required();
  create->add_option("--mail-nickname", flags.mail_nickname, "Default: the name before @");
  create->add_flag("--force-change-password-next-sign-in", flags.force_change_password,
                   "Ask for a new password at the first sign-in");
  create->callback([&] {
    exit_code = Run(context, state, [&](ArmClient& client) -> Result<json::value> {
      const std::string nickname =
          flags.mail_nickname.empty() ? flags.upn.substr(0, flags.upn.find('@')) : flags.mail_nickname;
      const json::value body = json::object{
          {"userPrincipalName", flags.upn},
          {"displayName", flags.display_name},
          {"passwordProfile", json::object{{"password", flags.password},
                                           {"forceChangePasswordNextSignIn",
                                            flags.force_change_password}}},
          {"mailNickname", nickname},
          {"accountEnabled", true}};
      GP_ASSIGN_OR_RETURN(const ArmReply made, client.Call("POST", "/v1.0/users", &body));
      return Body(made);
    });
  });
  for (const char* verb : {"show", "delete"}) {
    CLI::App* one = Command(user, verb, std::string(verb == std::string("show") ? "Show" : "Delete") +
                                            " a user (object id or user principal name).",
                            state);
    one->add_option("--id", flags.id, "Object id or user principal name")->required();
    one->callback([&, verb] {
      exit_code = Run(context, state, [&](ArmClient& client) -> Result<json::value> {
        const std::string method = verb == std::string("show") ? "GET" : "DELETE";
        GP_ASSIGN_OR_RETURN(const ArmReply reply, client.Call(method, "/v1.0/users/" + flags.id));
        return method == "GET" ? Body(reply) : json::value();
      });
    });
  }
  CLI::App* list = Command(user, "list", "List users.", state);
  list->add_option("--display-name", flags.display_name, "Names that start with this");
  list->add_option("--upn", flags.upn, "This user principal name");
  list->callback([&] {
    exit_code = Run(context, state, [&](ArmClient& client) -> Result<json::value> {
      std::string filter;
      if (!flags.display_name.empty())
        filter = "startswith(displayName," + Quote(flags.display_name) + ")";
      if (!flags.upn.empty())
        filter += (filter.empty() ? "" : " and ") + std::string("userPrincipalName eq ") + Quote(flags.upn);
      GP_ASSIGN_OR_RETURN(json::array all,
                          List(client, "/v1.0/users" + (filter.empty() ? "" : "?" + Filter(filter))));
      return json::value(std::move(all));
    });
  });
}

void RegisterGroupMemberCommands(CLI::App* group, AccessFlags& flags, AksCommandState& state,
                                 CliContext& context, int& exit_code) {
  CLI::App* member = group->add_subcommand("member", "A group's members.");
  member->require_subcommand(1);
  struct Verb {
    const char* name;
    const char* help;
    bool needs_member;
  };
  static constexpr Verb kVerbs[] = {
      {"add", "Add a member (user, service principal or group) by object id.", true},
      {"remove", "Remove a member.", true},
      {"check", "Whether an object is a member, directly or through member groups.", true},
      {"list", "List the members.", false}};
  for (const Verb& verb : kVerbs) {
    CLI::App* command = Command(member, verb.name, verb.help, state);
    command->add_option("-g,--group", flags.group, "Group name or object id")->required();
    if (verb.needs_member)
      command->add_option("--member-id", flags.member, "The member's object id")->required();
    const std::string name = verb.name;
    command->callback([&, name] {
      exit_code = Run(context, state, [&, name](ArmClient& client) -> Result<json::value> {
        GP_ASSIGN_OR_RETURN(const std::string id, FindGroup(client, flags.group));
        if (name == "list") {
          GP_ASSIGN_OR_RETURN(json::array all, List(client, "/v1.0/groups/" + id + "/members"));
          return json::value(std::move(all));
        }
        if (name == "check") {
          const json::value body = json::object{{"groupIds", json::array{json::value(id)}}};
          GP_ASSIGN_OR_RETURN(const ArmReply reply,
                              client.Call("POST", "/v1.0/directoryObjects/" + flags.member +
                                                      "/checkMemberGroups",
                                          &body));
          const json::array found = ValueOf(reply.body);
          return json::value(json::object{{"value", !found.empty()}});
        }
        if (name == "remove") {
          GP_RETURN_IF_ERROR(client.Call(
              "DELETE", "/v1.0/groups/" + id + "/members/" + flags.member + "/$ref"));
          return json::value();
        }
        const json::value body = json::object{
            {"@odata.id", client.config().server + "v1.0/directoryObjects/" + flags.member}};
        GP_RETURN_IF_ERROR(client.Call("POST", "/v1.0/groups/" + id + "/members/$ref", &body));
        return json::value();
      });
    });
  }
}

void RegisterDirectoryGroupCommands(CLI::App* ad, AccessFlags& flags, AksCommandState& state,
                           CliContext& context, int& exit_code) {
  CLI::App* group = ad->add_subcommand("group", "Security groups: their members hold its roles.");
  group->require_subcommand(1);
  CLI::App* create = Command(group, "create", "Create a security group.", state);
  create->add_option("--display-name", flags.display_name, "Display name")->required();
  create->add_option("--mail-nickname", flags.mail_nickname, "Mail nickname")->required();
  create->add_option("--description", flags.description, "Description");
  create->callback([&] {
    exit_code = Run(context, state, [&](ArmClient& client) -> Result<json::value> {
      GP_ASSIGN_OR_RETURN(const json::array same,
                          List(client, "/v1.0/groups?" +
                                           Filter("displayName eq " + Quote(flags.display_name) +
                                                  " and mailNickname eq " +
                                                  Quote(flags.mail_nickname))));
      if (!same.empty()) {
        context.err << "WARNING: A group with the same display name and mail nickname already "
                       "exists, returning.\n";
        return same.front();
      }
      json::object body{{"displayName", flags.display_name},
                        {"mailNickname", flags.mail_nickname},
                        {"mailEnabled", false},
                        {"securityEnabled", true}};
      if (!flags.description.empty()) body["description"] = flags.description;
      const json::value sent = body;
      GP_ASSIGN_OR_RETURN(const ArmReply made, client.Call("POST", "/v1.0/groups", &sent));
      return Body(made);
    });
  });
  for (const char* verb : {"show", "delete"}) {
    CLI::App* one = Command(group, verb,
                            std::string(verb == std::string("show") ? "Show" : "Delete") +
                                " a group (name or object id).",
                            state);
    one->add_option("-g,--group", flags.group, "Group name or object id")->required();
    one->callback([&, verb] {
      exit_code = Run(context, state, [&, verb](ArmClient& client) -> Result<json::value> {
        GP_ASSIGN_OR_RETURN(const std::string id, FindGroup(client, flags.group));
        const std::string method = verb == std::string("show") ? "GET" : "DELETE";
        GP_ASSIGN_OR_RETURN(const ArmReply reply, client.Call(method, "/v1.0/groups/" + id));
        return method == "GET" ? Body(reply) : json::value();
      });
    });
  }
  CLI::App* list = Command(group, "list", "List groups.", state);
  list->add_option("--display-name", flags.display_name, "Names that start with this");
  list->callback([&] {
    exit_code = Run(context, state, [&](ArmClient& client) -> Result<json::value> {
      GP_ASSIGN_OR_RETURN(
          json::array all,
          List(client, "/v1.0/groups" + (flags.display_name.empty()
                                             ? std::string()
                                             : "?" + Filter("startswith(displayName," +
                                                            Quote(flags.display_name) + ")"))));
      return json::value(std::move(all));
    });
  });
  RegisterGroupMemberCommands(group, flags, state, context, exit_code);
}

void RegisterRoleCommands(CLI::App& app, AccessFlags& flags, AksCommandState& state,
                          CliContext& context, int& exit_code) {
  CLI::App* role = app.add_subcommand("role", "Role definitions and role assignments.");
  role->require_subcommand(1);
  CLI::App* definition = role->add_subcommand("definition", "Role definitions.");
  definition->require_subcommand(1);
  CLI::App* definitions = Command(definition, "list", "List role definitions.", state);
  definitions->add_option("-n,--name", flags.role, "A role name or id");
  definitions->add_option("--scope", flags.scope, "Scope (default: the subscription)");
  definitions->add_option("-g,--resource-group", state.group, "Resource group");
  definitions->add_flag("--custom-role-only", flags.custom_only, "Custom roles only");
  definitions->callback([&] {
    exit_code = Run(context, state, [&](ArmClient& client) -> Result<json::value> {
      GP_ASSIGN_OR_RETURN(const json::array all,
                          List(client, ScopeOf(context, flags, state) +
                                           "/providers/Microsoft.Authorization/roleDefinitions" +
                                           kDefinitionsVersion));
      json::array out;
      for (const json::value& item : all) {
        json::object shown = RoleDefinitionAsAzPrints(item.as_object());
        if (!flags.role.empty() && StringField(shown, "name") != flags.role &&
            StringField(shown, "roleName") != flags.role)
          continue;
        if (flags.custom_only && StringField(shown, "roleType") != "CustomRole") continue;
        out.push_back(std::move(shown));
      }
      return json::value(std::move(out));
    });
  });
  CLI::App* assignment = role->add_subcommand("assignment", "Role assignments.");
  assignment->require_subcommand(1);
  CLI::App* create = Command(assignment, "create",
                             "Assign a role.\n\nExample:\n  gangplank role assignment create "
                             "--assignee ada@example.org --role Reader -g rg1",
                             state);
  create->add_option("--role", flags.role, "Role name or id")->required();
  create->add_option("--assignee", flags.assignee, "User principal name, app id or object id");
  create->add_option("--assignee-object-id", flags.assignee_object_id, "Object id (no look-up)");
  create->add_option("--assignee-principal-type", flags.assignee_type,
                     "User, Group or ServicePrincipal")
      ->check(CLI::IsMember({"User", "Group", "ServicePrincipal", "ForeignGroup"}));
  create->add_option("--scope", flags.scope, "Scope (default: the subscription)");
  create->add_option("-g,--resource-group", state.group, "Resource group");
  create->callback([&] {
    if (flags.assignee.empty() == flags.assignee_object_id.empty()) {
      exit_code =
          PrintError(context, "usage error: --assignee STRING | --assignee-object-id GUID");
      return;
    }
    exit_code = Run(context, state, [&](ArmClient& client) -> Result<json::value> {
      GP_ASSIGN_OR_RETURN(json::object made,
                          CreateAssignment(client, flags, ScopeOf(context, flags, state)));
      return json::value(std::move(made));
    });
  });
  CLI::App* list = Command(assignment, "list", "List role assignments at a scope.", state);
  list->add_option("--assignee", flags.assignee, "User principal name, app id or object id");
  list->add_option("--role", flags.role, "Role name or id");
  list->add_option("--scope", flags.scope, "Scope (default: the subscription)");
  list->add_option("-g,--resource-group", state.group, "Resource group");
  list->add_flag("--all", flags.all, "Every assignment in the subscription");
  list->add_flag("--include-inherited", flags.inherited, "Also those above the scope");
  list->callback([&] {
    exit_code = Run(context, state, [&](ArmClient& client) -> Result<json::value> {
      GP_ASSIGN_OR_RETURN(json::array all,
                          ListAssignments(client, flags, ScopeOf(context, flags, state)));
      return json::value(std::move(all));
    });
  });
  CLI::App* remove = Command(assignment, "delete", "Delete role assignments.", state);
  remove->add_option("--ids", flags.ids, "Assignment ids");
  remove->add_option("--assignee", flags.assignee, "User principal name, app id or object id");
  remove->add_option("--role", flags.role, "Role name or id");
  remove->add_option("--scope", flags.scope, "Scope (default: the subscription)");
  remove->add_option("-g,--resource-group", state.group, "Resource group");
  remove->callback([&] {
    if (flags.ids.empty() && flags.assignee.empty() && flags.role.empty()) {
      exit_code = PrintError(context, "usage error: --ids ID ... | --assignee X and/or --role R");
      return;
    }
    exit_code = Run(context, state, [&](ArmClient& client) -> Result<json::value> {
      std::vector<std::string> ids = flags.ids;
      if (ids.empty()) {
        GP_ASSIGN_OR_RETURN(const json::array found,
                            ListAssignments(client, flags, ScopeOf(context, flags, state)));
        for (const json::value& a : found) ids.push_back(StringField(a.as_object(), "id"));
        if (ids.empty()) return NotFound("No matched assignments were found to delete");
      }
      for (const std::string& id : ids)
        GP_RETURN_IF_ERROR(client.Call("DELETE", id + kAssignmentsVersion));
      return json::value();
    });
  });
}

void RegisterMonitorCommands(CLI::App& app, AccessFlags& flags, AksCommandState& state,
                             CliContext& context, int& exit_code) {
  CLI::App* monitor = app.add_subcommand("monitor", "The activity log.");
  monitor->require_subcommand(1);
  CLI::App* log = monitor->add_subcommand("activity-log", "Who did what, and when.");
  log->require_subcommand(1);
  CLI::App* list = Command(log, "list",
                           "List activity log events.\n\nExample:\n  gangplank monitor "
                           "activity-log list -g rg1 --offset 1h --status Failed",
                           state);
  list->add_option("-g,--resource-group", state.group, "Resource group");
  list->add_option("--resource-id", flags.resource_id, "A resource's id");
  list->add_option("--caller", flags.caller, "User principal name or app id");
  list->add_option("--status", flags.status, "Started, Accepted, Succeeded or Failed");
  list->add_option("--correlation-id", flags.correlation_id, "A request's correlation id");
  list->add_option("--offset", flags.offset, "How far back (default 6h): 30m, 2d, 1h30m");
  list->add_option("--start-time", flags.start, "Start (ISO 8601); with --end-time, no offset");
  list->add_option("--end-time", flags.end, "End (ISO 8601)");
  list->add_option("--max-events", flags.max_events, "At most this many (default 50)");
  list->callback([&] {
    exit_code = Run(context, state, [&](ArmClient& client) -> Result<json::value> {
      GP_ASSIGN_OR_RETURN(const std::string filter, ActivityFilter(flags, state));
      GP_ASSIGN_OR_RETURN(
          json::array events,
          List(client,
               client.SubscriptionPath() +
                   "/providers/Microsoft.Insights/eventtypes/management/values" +
                   kActivityVersion + "&" + Filter(filter),
               static_cast<std::size_t>(std::max(flags.max_events, 0))));
      return json::value(std::move(events));
    });
  });
}

}  // namespace

void RegisterAccessCommands(CLI::App& app, AksCommandState& state, CliContext& context,
                            int& exit_code) {
  auto flags = std::make_shared<AccessFlags>();
  state.access_flags = flags;  // as long as the command tree that fills them
  CLI::App* ad = app.add_subcommand("ad", "Identities: service principals, users and groups.");
  ad->require_subcommand(1);
  RegisterServicePrincipalCommands(ad, *flags, state, context, exit_code);
  RegisterUserCommands(ad, *flags, state, context, exit_code);
  RegisterDirectoryGroupCommands(ad, *flags, state, context, exit_code);
  RegisterRoleCommands(app, *flags, state, context, exit_code);
  RegisterMonitorCommands(app, *flags, state, context, exit_code);
}

}  // namespace gangplank::cli
