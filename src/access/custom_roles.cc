// Custom role definitions: decoding, checking and the stored row.
#include "access/custom_roles.h"

#include <boost/json.hpp>

#include "access/role_assignments.h"
#include "common/json_fields.h"
#include "resources/spec_checks.h"

namespace gangplank::access {
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxRoleName = 512;
constexpr std::size_t kMaxActions = 1000;

Error BadRole(std::string code, std::string message, std::string field) {
  return InvalidInput(std::move(code), std::move(message), std::move(field));
}

// An action as ARM reads one: "*", or Provider/type/…/verb with '*' standing for any run.
bool WellFormedAction(std::string_view action) {
  if (action == "*") return true;
  if (action.empty() || action.size() > 256 || action.find('/') == std::string_view::npos)
    return false;
  return std::all_of(action.begin(), action.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ||
           c == '/' || c == '*';
  });
}

Result<std::vector<std::string>> ActionList(const json::object& permission, std::string_view key,
                                            const std::string& field) {
  const json::value* value = permission.if_contains(key);
  if (value == nullptr || value->is_null()) return std::vector<std::string>();
  if (!value->is_array())
    return BadRole("InvalidActionList", field + "." + std::string(key) + " must be a list.", field);
  std::vector<std::string> out;
  for (const json::value& item : value->get_array()) {
    if (!item.is_string() || !WellFormedAction(item.get_string())) {
      return BadRole("InvalidAction",
                     field + "." + std::string(key) + " holds '" +
                         (item.is_string() ? std::string(item.get_string()).substr(0, 100) : "?") +
                         "', which is not an action: use '*' or Provider/resourceType/…/verb, "
                         "with '*' as a wildcard.",
                     field + "." + std::string(key));
    }
    out.emplace_back(item.get_string());
  }
  if (out.size() > kMaxActions)
    return BadRole("TooManyActions", field + " lists too many actions.", field);
  return out;
}

Result<std::vector<Permission>> Permissions(const json::object& properties) {
  const json::value* value = properties.if_contains("permissions");
  if (value == nullptr || !value->is_array() || value->get_array().empty()) {
    return BadRole("InvalidPermissions",
                   "A custom role needs properties.permissions: [{\"actions\": [...], "
                   "\"notActions\": [...], \"dataActions\": [...], \"notDataActions\": [...]}].",
                   "properties.permissions");
  }
  std::vector<Permission> out;
  bool grants_something = false;
  for (const json::value& item : value->get_array()) {
    const std::string field = "properties.permissions[" + std::to_string(out.size()) + "]";
    if (!item.is_object()) return BadRole("InvalidPermissions", field + " must be an object.", field);
    const json::object& p = item.get_object();
    Permission permission;
    GP_ASSIGN_OR_RETURN(permission.actions, ActionList(p, "actions", field));
    GP_ASSIGN_OR_RETURN(permission.not_actions, ActionList(p, "notActions", field));
    GP_ASSIGN_OR_RETURN(permission.data_actions, ActionList(p, "dataActions", field));
    GP_ASSIGN_OR_RETURN(permission.not_data_actions, ActionList(p, "notDataActions", field));
    grants_something |= !permission.actions.empty() || !permission.data_actions.empty();
    out.push_back(std::move(permission));
  }
  if (!grants_something) {
    return BadRole("InvalidPermissions",
                   "A custom role must grant at least one action or data action.",
                   "properties.permissions");
  }
  return out;
}

Result<std::vector<std::string>> AssignableScopes(const json::object& properties,
                                                  std::string_view subscription_id) {
  const std::vector<std::string> scopes = StringsField(properties, "assignableScopes");
  if (scopes.empty()) {
    return BadRole("InvalidAssignableScopes",
                   "A custom role needs properties.assignableScopes, e.g. [\"/subscriptions/" +
                       std::string(subscription_id) + "\"].",
                   "properties.assignableScopes");
  }
  const std::string subscription = "/subscriptions/" + std::string(subscription_id);
  for (const std::string& scope : scopes) {
    if (!ScopeCovers(subscription, scope) || scope.find("//") != std::string::npos ||
        scope.ends_with("/")) {
      return BadRole("InvalidAssignableScopes",
                     "The assignable scope '" + scope.substr(0, 200) +
                         "' is not the subscription " + subscription +
                         " or a resource group or resource in it.",
                     "properties.assignableScopes");
    }
  }
  return scopes;
}

// The fields of a role's properties both a request and a row carry.
Result<RoleDefinition> RoleFromProperties(const json::object& properties, std::string name) {
  RoleDefinition role;
  role.name = std::move(name);
  role.type = "CustomRole";
  role.role_name = StringField(properties, "roleName");
  role.description = StringField(properties, "description");
  GP_ASSIGN_OR_RETURN(role.permissions, Permissions(properties));
  role.assignable_scopes = StringsField(properties, "assignableScopes");
  return role;
}

}  // namespace

std::string RoleDefinitionRowId(std::string_view guid) {
  return std::string(kRoleDefinitionsParent) + "/" + store::IdKey(guid);
}
std::string RoleNameRowId(std::string_view role_name) {
  return std::string(kRoleDefinitionsParent) + "/names/" + store::IdKey(role_name);
}

Result<RoleDefinition> DecodeCustomRole(std::string_view body, std::string name,
                                        std::string_view subscription_id) {
  if (!IsGuid(name)) {
    return BadRole("InvalidRoleDefinitionId",
                   "The role definition ID '" + name.substr(0, 64) + "' is not a GUID.",
                   "roleDefinitionId");
  }
  if (FindBuiltInRole(name) != nullptr) {
    return BadRole("RoleDefinitionIsBuiltIn",
                   "The role definition " + name + " is a built-in role and cannot be changed.",
                   "roleDefinitionId");
  }
  GP_ASSIGN_OR_RETURN(
      const json::object doc,
      resources::DecodeBody(
          body,
          R"({"properties": {"roleName": "Node Rotator", "permissions": [{"actions": ["Microsoft.ContainerService/managedClusters/read"]}], "assignableScopes": ["/subscriptions/…"]}})"));
  const json::value* sent = doc.if_contains("properties");
  if (sent == nullptr || !sent->is_object()) {
    return BadRole("InvalidRequestContent",
                   "A role definition needs properties with roleName, permissions and "
                   "assignableScopes.",
                   "properties");
  }
  const json::object& properties = sent->get_object();
  const std::string type = StringField(properties, "type");
  if (!type.empty() && store::IdKey(type) != "customrole") {
    return BadRole("InvalidRoleDefinitionType",
                   "properties.type '" + type.substr(0, 64) +
                       "' cannot be written: only CustomRole definitions can be created.",
                   "properties.type");
  }
  GP_ASSIGN_OR_RETURN(RoleDefinition role, RoleFromProperties(properties, std::move(name)));
  GP_ASSIGN_OR_RETURN(role.assignable_scopes, AssignableScopes(properties, subscription_id));
  if (role.role_name.empty() || role.role_name.size() > kMaxRoleName) {
    return BadRole("InvalidRoleName", "properties.roleName must be 1 to 512 characters.",
                   "properties.roleName");
  }
  for (const RoleDefinition& built_in : BuiltInRoles()) {
    if (store::IdKey(built_in.role_name) == store::IdKey(role.role_name)) {
      return MakeError(StatusCode::kAlreadyExists, "RoleDefinitionWithSameNameExists",
                       "A role definition named '" + role.role_name +
                           "' exists already (a built-in role); choose another roleName.");
    }
  }
  return role;
}

store::Resource EncodeCustomRole(const RoleDefinition& role, std::int64_t version) {
  return {std::string(kRoleDefinitionKind), RoleDefinitionRowId(role.name),
          std::string(kRoleDefinitionsParent), json::serialize(RoleDefinitionJson(role, "/")),
          version};
}

Result<RoleDefinition> DecodeCustomRoleRow(const store::Resource& row) {
  const auto doc = ParseJsonObject(row.body);
  const json::value* properties = doc ? doc->if_contains("properties") : nullptr;
  if (properties == nullptr || !properties->is_object()) {
    return MakeError(StatusCode::kInternal, "UnreadableRoleDefinition",
                     "the stored role definition " + row.id + " is not readable");
  }
  return RoleFromProperties(properties->get_object(), StringField(*doc, "name"));
}

}  // namespace gangplank::access
