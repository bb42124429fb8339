// The built-in roles (Azure's published definitions) and the wildcard match of actions.
#include "access/roles.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>

namespace gangplank::access {
namespace json = boost::json;

namespace {

struct BuiltIn {
  const char* name;
  const char* role_name;
  const char* description;
  std::vector<std::string> actions, not_actions, data_actions, not_data_actions;
};

// Azure's definitions, as learn.microsoft.com publishes them (Azure built-in roles: General,
// Privileged, Containers, Compute).
const std::vector<BuiltIn>& Table() {
  static const std::vector<BuiltIn> table = {
      {"8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
       "Owner",
       "Grants full access to manage all resources, including the ability to assign roles in Azure "
       "RBAC.",
       {"*"},
       {},
       {},
       {}},
      {"b24988ac-6180-42a0-ab88-20f7382dd24c",
       "Contributor",
       "Grants full access to manage all resources, but does not allow you to assign roles in "
       "Azure RBAC, manage assignments in Azure Blueprints, or share image galleries.",
       {"*"},
       {"Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write",
        "Microsoft.Authorization/elevateAccess/Action",
        "Microsoft.Blueprint/blueprintAssignments/write",
        "Microsoft.Blueprint/blueprintAssignments/delete",
        "Microsoft.Compute/galleries/share/action", "Microsoft.Purview/consents/write",
        "Microsoft.Purview/consents/delete",
        "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
        "Microsoft.Subscription/cancel/action", "Microsoft.Subscription/enable/action"},
       {},
       {}},
      {"acdd72a7-3385-48ef-bd42-f606fba81ae7",
       "Reader",
       "View all resources, but does not allow you to make any changes.",
       {"*/read"},
       {},
       {},
       {}},
      {"18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
       "User Access Administrator",
       "Lets you manage user access to Azure resources.",
       {"*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"},
       {},
       {},
       {}},
      {"0ab0b1a8-8aac-4efd-b8c2-3ee1fb270be8",
       "Azure Kubernetes Service Cluster Admin Role",
       "List cluster admin credential action.",
       {"Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action",
        "Microsoft.ContainerService/managedClusters/accessProfiles/listCredential/action",
        "Microsoft.ContainerService/managedClusters/read",
        "Microsoft.ContainerService/managedClusters/runcommand/action"},
       {},
       {},
       {}},
      {"4abbcc35-e782-43d8-92c5-2d3f1bd2253f",
       "Azure Kubernetes Service Cluster User Role",
       "List cluster user credential action.",
       {"Microsoft.ContainerService/managedClusters/listClusterUserCredential/action",
        "Microsoft.ContainerService/managedClusters/read"},
       {},
       {},
       {}},
      {"ed7f3fbd-7b88-4dd4-9017-9adb7ce333f8",
       "Azure Kubernetes Service Contributor Role",
       "Grants access to read and write Azure Kubernetes Service clusters",
       {"Microsoft.Authorization/*/read", "Microsoft.ContainerService/locations/*",
        "Microsoft.ContainerService/managedClusters/*",
        "Microsoft.ContainerService/managedclustersnapshots/*",
        "Microsoft.ContainerService/snapshots/*", "Microsoft.Insights/alertRules/*",
        "Microsoft.Resources/deployments/*",
        "Microsoft.Resources/subscriptions/resourceGroups/read",
        "Microsoft.ContainerService/deploymentSafeguards/*"},
       {},
       {},
       {}},
      {"1c0163c0-47e6-4577-8991-ea5c82e286e4",
       "Virtual Machine Administrator Login",
       "View Virtual Machines in the portal and login as administrator",
       {"Microsoft.Network/publicIPAddresses/read", "Microsoft.Network/virtualNetworks/read",
        "Microsoft.Network/loadBalancers/read", "Microsoft.Network/networkInterfaces/read",
        "Microsoft.Compute/virtualMachines/*/read", "Microsoft.HybridCompute/machines/*/read",
        "Microsoft.HybridConnectivity/endpoints/listCredentials/action"},
       {},
       {"Microsoft.Compute/virtualMachines/login/action",
        "Microsoft.Compute/virtualMachines/loginAsAdmin/action",
        "Microsoft.HybridCompute/machines/login/action",
        "Microsoft.HybridCompute/machines/loginAsAdmin/action"},
       {}},
      {"fb879df8-f326-4884-b1cf-06f3ad86be52",
       "Virtual Machine User Login",
       "View Virtual Machines in the portal and login as a regular user.",
       {"Microsoft.Network/publicIPAddresses/read", "Microsoft.Network/virtualNetworks/read",
        "Microsoft.Network/loadBalancers/read", "Microsoft.Network/networkInterfaces/read",
        "Microsoft.Compute/virtualMachines/*/read", "Microsoft.HybridCompute/machines/*/read",
        "Microsoft.HybridConnectivity/endpoints/listCredentials/action"},
       {},
       {"Microsoft.Compute/virtualMachines/login/action",
        "Microsoft.HybridCompute/machines/login/action"},
       {}},
      // Gangplank's own: what a Prometheus server scrapes with, and nothing else.
      {"6a7c0b5e-3f1d-4e8a-9c2b-8d4f1e0a7b31",
       "Gangplank Metrics Reader",
       "Read the control plane's Prometheus metrics (GET /metrics), and nothing else.",
       {"Gangplank.Monitoring/metrics/read"},
       {},
       {},
       {}},
  };
  return table;
}

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

json::array Strings(const std::vector<std::string>& values) {
  json::array out;
  for (const auto& value : values) out.emplace_back(value);
  return out;
}

bool AnyMatches(const std::vector<std::string>& patterns, std::string_view action) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& pattern) { return ActionMatches(pattern, action); });
}

}  // namespace

std::span<const RoleDefinition> BuiltInRoles() {
  static const std::vector<RoleDefinition> roles = [] {
    std::vector<RoleDefinition> out;
    for (const BuiltIn& row : Table()) {
      RoleDefinition role;
      role.name = row.name;
      role.role_name = row.role_name;
      role.description = row.description;
      role.permissions.push_back(
          {row.actions, row.not_actions, row.data_actions, row.not_data_actions});
      out.push_back(std::move(role));
    }
    return out;
  }();
  return roles;
}

const RoleDefinition* FindBuiltInRole(std::string_view guid) {
  for (const RoleDefinition& role : BuiltInRoles()) {
    if (role.name.size() == guid.size() &&
        std::equal(guid.begin(), guid.end(), role.name.begin(),
                   [](char a, char b) { return Lower(a) == Lower(b); }))
      return &role;
  }
  return nullptr;
}

std::optional<std::string> RoleGuidOf(std::string_view role_definition_id) {
  std::string_view last = role_definition_id.substr(role_definition_id.rfind('/') + 1);
  if (!IsGuid(last)) return std::nullopt;
  if (last.size() != role_definition_id.size()) {
    // The path before it must be …/providers/Microsoft.Authorization/roleDefinitions/.
    std::string lower(role_definition_id.substr(0, role_definition_id.size() - last.size()));
    std::transform(lower.begin(), lower.end(), lower.begin(), Lower);
    if (!lower.ends_with("/providers/microsoft.authorization/roledefinitions/"))
      return std::nullopt;
  }
  std::string guid(last);
  std::transform(guid.begin(), guid.end(), guid.begin(), Lower);
  return guid;
}

bool ActionMatches(std::string_view pattern, std::string_view action) {
  // Iterative glob with one backtrack point per '*': linear in practice, never exponential.
  std::size_t p = 0, a = 0, star = std::string_view::npos, resume = 0;
  while (a < action.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = a;
    } else if (p < pattern.size() && Lower(pattern[p]) == Lower(action[a])) {
      ++p;
      ++a;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      a = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool Grants(const RoleDefinition& role, std::string_view action) {
  return std::any_of(role.permissions.begin(), role.permissions.end(), [&](const Permission& p) {
    return AnyMatches(p.actions, action) && !AnyMatches(p.not_actions, action);
  });
}

bool GrantsData(const RoleDefinition& role, std::string_view data_action) {
  return std::any_of(role.permissions.begin(), role.permissions.end(), [&](const Permission& p) {
    return AnyMatches(p.data_actions, data_action) && !AnyMatches(p.not_data_actions, data_action);
  });
}

json::object RoleDefinitionJson(const RoleDefinition& role, std::string_view scope) {
  json::array permissions;
  for (const Permission& p : role.permissions) {
    permissions.push_back(json::object{{"actions", Strings(p.actions)},
                                       {"notActions", Strings(p.not_actions)},
                                       {"dataActions", Strings(p.data_actions)},
                                       {"notDataActions", Strings(p.not_data_actions)}});
  }
  std::string prefix(scope == "/" ? "" : scope);
  return json::object{
      {"id", prefix + "/providers/Microsoft.Authorization/roleDefinitions/" + role.name},
      {"name", role.name},
      {"type", "Microsoft.Authorization/roleDefinitions"},
      {"properties", json::object{{"roleName", role.role_name},
                                  {"type", role.type},
                                  {"description", role.description},
                                  {"assignableScopes", Strings(role.assignable_scopes)},
                                  {"permissions", std::move(permissions)}}}};
}

}  // namespace gangplank::access
