// What the access commands send and how they read the answers: Graph and ARM look-ups as az
// makes them (service principals, groups, assignees, roles), the assignment list with names
// filled in, create-for-rbac, and the activity log's $filter.
#include "cli/access_requests.h"

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <chrono>

#include "cli/cli_config.h"
#include "common/json_fields.h"
#include "common/random.h"
#include "resources/operation.h"

namespace gangplank::cli {
namespace json = boost::json;

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
Result<json::array> List(ArmClient& client, std::string path, std::size_t limit) {
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

// As az prints a definition: properties lifted, their "type" (BuiltInRole, CustomRole) as
// roleType, the resource type as type.
json::object RoleDefinitionAsAzPrints(const json::object& role) {
  json::object out = Flattened(role);
  const std::string role_type = StringField(out, "type");
  out["roleType"] = role_type.empty() ? "BuiltInRole" : role_type;
  out["type"] = "Microsoft.Authorization/roleDefinitions";
  return out;
}

// --- ad sp -----------------------------------------------------------------------------------


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
                    {"startDateTime", resources::Rfc3339(now)},
                    {"endDateTime", resources::Rfc3339(now + std::chrono::hours(24 * 365 * flags.years))}}}};
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

namespace {

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

}  // namespace


// The $filter az builds: the time window, then one of correlation id, resource group, resource
// id; then caller and status.
Result<std::string> ActivityFilter(const AccessFlags& flags, const AksCommandState& state) {
  std::string start = flags.start, end = flags.end;
  const auto now = std::chrono::system_clock::now();
  GP_ASSIGN_OR_RETURN(const long long offset, OffsetSeconds(flags.offset));
  if (end.empty()) end = resources::Rfc3339(now);
  if (start.empty()) start = resources::Rfc3339(now - std::chrono::seconds(offset));
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

}  // namespace gangplank::cli
