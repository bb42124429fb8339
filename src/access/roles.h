// Azure role definitions as Gangplank serves them: the built-in roles that matter for node pools
// and SSH access, with Azure's own ids, names and permissions, and ARM's rule for matching them.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/random.h"

namespace gangplank::access {

// GET /metrics, at the subscription: Reader's */read and the Gangplank Metrics Reader role hold it.
inline constexpr std::string_view kMetricsReadAction = "Gangplank.Monitoring/metrics/read";

// The data actions of Virtual Machine User Login and Virtual Machine Administrator Login: what
// an SSH certificate and an account on an EntraId node need.
inline constexpr std::string_view kMachineLoginAction =
    "Microsoft.Compute/virtualMachines/login/action";
inline constexpr std::string_view kMachineAdminLoginAction =
    "Microsoft.Compute/virtualMachines/loginAsAdmin/action";

struct Permission {
  std::vector<std::string> actions, not_actions, data_actions, not_data_actions;
};

struct RoleDefinition {
  std::string name;       // the GUID, as Azure names the built-in role
  std::string role_name;  // "Reader"
  std::string description;
  std::string type = "BuiltInRole";  // or CustomRole
  std::vector<std::string> assignable_scopes{"/"};
  std::vector<Permission> permissions;
};

// Owner, Contributor, Reader, User Access Administrator, the three Azure Kubernetes Service
// roles (Cluster Admin, Cluster User, Contributor) and the two Virtual Machine login roles.
std::span<const RoleDefinition> BuiltInRoles();
// The built-in role with this GUID (any case), or nullptr.
const RoleDefinition* FindBuiltInRole(std::string_view guid);
// The GUID a role definition id ends in (…/providers/Microsoft.Authorization/roleDefinitions/
// GUID, or the bare GUID), or nullopt when it is not one.
std::optional<std::string> RoleGuidOf(std::string_view role_definition_id);

// ARM's rule: case-insensitive, and '*' stands for any run of characters, '/' included
// ("Microsoft.Authorization/*/Write" matches "Microsoft.Authorization/roleAssignments/write").
bool ActionMatches(std::string_view pattern, std::string_view action);
// Whether the role lets its holder perform a control-plane `action` (some permission lists it
// in actions and not in notActions) or a `data_action` (the same over dataActions).
bool Grants(const RoleDefinition& role, std::string_view action);
bool GrantsData(const RoleDefinition& role, std::string_view data_action);

// The definition as ARM shows it at `scope` ("/subscriptions/S" …): its id is under that scope.
boost::json::object RoleDefinitionJson(const RoleDefinition& role, std::string_view scope);

using gangplank::IsGuid;  // common/random.h

}  // namespace gangplank::access
