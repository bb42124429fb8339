// Role assignments: decoding, the PUT plan and the JSON ARM shows.
#include "access/role_assignments.h"

#include <boost/json.hpp>

#include "access/roles.h"
#include "common/json_fields.h"
#include "resources/spec_checks.h"

namespace gangplank::access {
namespace json = boost::json;

namespace {

constexpr std::string_view kPrincipalTypes[] = {"User", "Group", "ServicePrincipal", "ForeignGroup",
                                                "Device"};

}  // namespace

Result<RoleAssignment> DecodeRoleAssignment(std::string_view body, std::string scope,
                                            std::string name, const std::string& caller,
                                            const std::string& now, const RoleLookup& roles) {
  if (!IsGuid(name)) {
    return InvalidInput("InvalidRoleAssignmentId",
                        "The role assignment ID '" + name.substr(0, 64) +
                            "' is not valid. The role assignment ID must be a GUID.",
                        "roleAssignmentName");
  }
  GP_ASSIGN_OR_RETURN(
      const json::object doc,
      resources::DecodeBody(body,
                            R"({"properties": {"roleDefinitionId": "…", "principalId": "…"}})"));
  const json::value* sent = doc.if_contains("properties");
  if (sent == nullptr || !sent->is_object()) {
    return InvalidInput("InvalidRequestContent",
                        "A role assignment needs properties.roleDefinitionId and "
                        "properties.principalId.",
                        "properties");
  }
  const json::object& properties = sent->get_object();
  RoleAssignment assignment;
  assignment.scope = std::move(scope);
  assignment.name = std::move(name);
  assignment.role_definition_id = StringField(properties, "roleDefinitionId");
  const auto role = RoleGuidOf(assignment.role_definition_id);
  const auto definition = role ? roles(*role) : nullptr;
  if (definition == nullptr) {
    return InvalidInput("RoleDefinitionDoesNotExist",
                        "The specified role definition with ID '" +
                            assignment.role_definition_id.substr(0, 200) +
                            "' does not exist. List the roles with az role definition list.",
                        "properties.roleDefinitionId");
  }
  const bool assignable = std::any_of(
      definition->assignable_scopes.begin(), definition->assignable_scopes.end(),
      [&](const std::string& at) { return ScopeCovers(at, assignment.scope); });
  if (!assignable) {
    return InvalidInput("InvalidRoleAssignmentScope",
                        "The role '" + definition->role_name + "' cannot be assigned at " +
                            assignment.scope +
                            ": it is assignable only at or below its assignableScopes.",
                        "properties.roleDefinitionId");
  }
  assignment.role = *role;
  assignment.principal_id = StringField(properties, "principalId");
  if (!IsGuid(assignment.principal_id)) {
    return InvalidInput("InvalidPrincipalId",
                        "The Principal ID '" + assignment.principal_id.substr(0, 64) +
                            "' is not valid. Principal ID must be a GUID (an object id).",
                        "properties.principalId");
  }
  assignment.principal_type = StringField(properties, "principalType");
  if (!assignment.principal_type.empty() &&
      std::find(std::begin(kPrincipalTypes), std::end(kPrincipalTypes),
                assignment.principal_type) == std::end(kPrincipalTypes)) {
    return InvalidInput("InvalidPrincipalType",
                        "principalType '" + assignment.principal_type.substr(0, 64) +
                            "' is not one of User, Group, ServicePrincipal, ForeignGroup, Device.",
                        "properties.principalType");
  }
  assignment.description = StringField(properties, "description");
  assignment.created_on = assignment.updated_on = now;
  assignment.created_by = assignment.updated_by = caller;
  return assignment;
}

Result<RoleAssignment> PlanRoleAssignmentPut(RoleAssignment wanted,
                                             const std::vector<RoleAssignment>& at_scope) {
  for (const RoleAssignment& held : at_scope) {
    const bool same_name = store::IdKey(held.name) == store::IdKey(wanted.name);
    const bool same_grant = store::IdKey(held.principal_id) == store::IdKey(wanted.principal_id) &&
                            held.role == wanted.role;
    if (same_name && !same_grant) {
      return MakeError(StatusCode::kFailedPrecondition, "RoleAssignmentUpdateNotPermitted",
                       "Tenant ID, application ID, principal ID, and scope are not allowed to be "
                       "updated; delete the role assignment and create a new one.");
    }
    if (same_name) {
      wanted.created_on = held.created_on;
      wanted.created_by = held.created_by;
      continue;
    }
    if (same_grant) {
      return MakeError(StatusCode::kAlreadyExists, "RoleAssignmentExists",
                       "The role assignment already exists (" + held.id() + ").");
    }
  }
  return wanted;
}

json::object RoleAssignmentJson(const RoleAssignment& a) {
  const auto or_null = [](const std::string& s) {
    return s.empty() ? json::value() : json::value(s);
  };
  return json::object{{"id", a.id()},
                      {"name", a.name},
                      {"type", "Microsoft.Authorization/roleAssignments"},
                      {"properties", json::object{{"roleDefinitionId", a.role_definition_id},
                                                  {"principalId", a.principal_id},
                                                  {"principalType", or_null(a.principal_type)},
                                                  {"scope", a.scope},
                                                  {"condition", nullptr},
                                                  {"conditionVersion", nullptr},
                                                  // null, not "", where unknown (the bootstrap
                                                  // owner's): the SDKs parse what is there
                                                  {"createdOn", or_null(a.created_on)},
                                                  {"updatedOn", or_null(a.updated_on)},
                                                  {"createdBy", or_null(a.created_by)},
                                                  {"updatedBy", or_null(a.updated_by)},
                                                  {"delegatedManagedIdentityResourceId", nullptr},
                                                  {"description", or_null(a.description)}}}};
}

store::Resource EncodeRoleAssignment(const RoleAssignment& a, const std::string& subscription_id,
                                     std::int64_t version) {
  json::object doc = RoleAssignmentJson(a);
  doc["properties"].as_object()["gangplankRole"] = a.role;
  return {std::string(kRoleAssignmentKind), a.id(), subscription_id, json::serialize(doc), version};
}

Result<RoleAssignment> DecodeRoleAssignmentRow(const store::Resource& row) {
  boost::system::error_code ec;
  const json::value doc = json::parse(row.body, ec);
  const json::object* object = ec ? nullptr : doc.if_object();
  const json::value* properties = object ? object->if_contains("properties") : nullptr;
  if (properties == nullptr || !properties->is_object()) {
    return MakeError(StatusCode::kInternal, "UnreadableRoleAssignment",
                     "the stored role assignment " + row.id + " is not readable");
  }
  const json::object& p = properties->get_object();
  RoleAssignment a;
  a.scope = StringField(p, "scope");
  a.name = StringField(*object, "name");
  a.role_definition_id = StringField(p, "roleDefinitionId");
  a.role = StringField(p, "gangplankRole");
  a.principal_id = StringField(p, "principalId");
  a.principal_type = StringField(p, "principalType");
  a.description = StringField(p, "description");
  a.created_on = StringField(p, "createdOn");
  a.updated_on = StringField(p, "updatedOn");
  a.created_by = StringField(p, "createdBy");
  a.updated_by = StringField(p, "updatedBy");
  return a;
}

bool ScopeCovers(std::string_view at, std::string_view scope) {
  const std::string at_key = store::IdKey(at == "/" ? std::string_view() : at);
  const std::string scope_key = store::IdKey(scope);
  if (at_key.empty()) return true;
  return scope_key == at_key || (scope_key.size() > at_key.size() &&
                                 scope_key.starts_with(at_key) && scope_key[at_key.size()] == '/');
}

}  // namespace gangplank::access
