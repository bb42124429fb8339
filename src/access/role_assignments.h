// Role assignments as ARM keeps them: who (a principal's object id) holds which role at which
// scope. One request body decoded and checked, the pure plan of a PUT, and the stored row.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "access/custom_roles.h"
#include "common/error.h"
#include "store/store.h"

namespace gangplank::access {

inline constexpr std::string_view kRoleAssignmentKind = "roleAssignment";
inline constexpr std::string_view kRoleAssignmentsPath =
    "/providers/Microsoft.Authorization/roleAssignments/";

struct RoleAssignment {
  std::string scope;               // the ARM id it is assigned at ("/subscriptions/S/…")
  std::string name;                // a GUID
  std::string role_definition_id;  // as the client sent it
  std::string role;                // the role's GUID, lower case
  std::string principal_id;        // the object id of a user, group or service principal
  std::string principal_type;      // User | Group | ServicePrincipal | ForeignGroup | Device | ""
  std::string description;
  std::string created_on, updated_on, created_by, updated_by;

  std::string id() const { return scope + std::string(kRoleAssignmentsPath) + name; }
};

// A PUT's body at `scope`/`name`: roleDefinitionId must name a role `roles` knows whose
// assignable scopes hold `scope`, principalId must be a GUID, the assignment's name must be a GUID
// (each a 400 naming the field otherwise). `caller` and `now` (RFC 3339) fill
// createdBy/createdOn.
Result<RoleAssignment> DecodeRoleAssignment(std::string_view body, std::string scope,
                                            std::string name, const std::string& caller,
                                            const std::string& now, const RoleLookup& roles);

// The row a PUT writes, given every assignment already at that scope: the same principal and role
// under another name is 409 RoleAssignmentExists (which az treats as done); a different
// principal, role or scope under the same name is 409 RoleAssignmentUpdateNotPermitted; the
// same one again keeps its creation fields.
Result<RoleAssignment> PlanRoleAssignmentPut(RoleAssignment wanted,
                                             const std::vector<RoleAssignment>& at_scope);

store::Resource EncodeRoleAssignment(const RoleAssignment& assignment,
                                     const std::string& subscription_id, std::int64_t version = 0);
Result<RoleAssignment> DecodeRoleAssignmentRow(const store::Resource& row);

// The assignment as ARM shows it (properties: roleDefinitionId, principalId, principalType,
// scope, condition, createdOn …).
boost::json::object RoleAssignmentJson(const RoleAssignment& assignment);

// Whether `scope` is `at` or below it (ARM ids, compared case-insensitively by segment).
bool ScopeCovers(std::string_view at, std::string_view scope);

}  // namespace gangplank::access
