// Microsoft.Authorization: role definitions (the built-ins and custom roles), and role
// assignments at a subscription, resource group, managed cluster or agent pool, listed with the
// $filter forms az and the SDKs send.
#include <boost/json.hpp>

#include "access/authorizer.h"
#include "access/role_assignments.h"
#include "access/roles.h"
#include "api/container_service.h"
#include "api/resource_manager.h"
#include "resources/operation.h"

namespace gangplank::api {
namespace json = boost::json;
using access::RoleAssignment;

namespace {

constexpr std::string_view kReadAssignments = "Microsoft.Authorization/roleAssignments/read";
constexpr std::string_view kWriteDefinitions = "Microsoft.Authorization/roleDefinitions/write";
// One row per (scope, principal, role): two PUTs of the same grant under two names cannot both
// be accepted.
constexpr std::string_view kGrantKind = "roleAssignmentGrant";

std::string SubscriptionId(const ArmCall& call) {
  return "/subscriptions/" + call.names.subscription;
}

std::string GrantId(const RoleAssignment& assignment) {
  return assignment.scope + "/roleAssignmentGrants/" + assignment.principal_id + "_" +
         assignment.role;
}

// The scope the call names must exist (a 404 as ARM answers for it otherwise).
Status RequireScope(const ArmCall& call) {
  GP_RETURN_IF_ERROR(RequireOurSubscription(call));
  if (call.names.group.empty()) return OkStatus();
  GP_RETURN_IF_ERROR(RequireGroup(call));
  store::Store& store = call.context.store;
  if (call.names.cluster.empty()) return OkStatus();
  GP_ASSIGN_OR_RETURN(const auto cluster, store.Get(kClusterKind, call.names.cluster_id()));
  if (!cluster) return ClusterNotFoundError(call);
  if (call.names.pool.empty()) return OkStatus();
  GP_ASSIGN_OR_RETURN(const auto pool, store.Get(kPoolKind, call.names.pool_id()));
  if (!pool) return PoolNotFoundError(call);
  return OkStatus();
}

// Every assignment of the subscription, the bootstrap owner's first.
Result<std::vector<RoleAssignment>> AllAssignments(const ArmCall& call) {
  GP_ASSIGN_OR_RETURN(const auto rows,
                      call.context.store.List(access::kRoleAssignmentKind, SubscriptionId(call)));
  std::vector<RoleAssignment> all{call.context.authorizer.OwnerAssignment()};
  for (const auto& row : rows) {
    if (auto assignment = access::DecodeRoleAssignmentRow(row))
      all.push_back(std::move(*assignment));
  }
  return all;
}

Result<std::vector<access::RoleDefinition>> CustomRoles(const ArmCall& call) {
  GP_ASSIGN_OR_RETURN(const auto rows, call.context.store.ListKind(access::kRoleDefinitionKind));
  std::vector<access::RoleDefinition> roles;
  for (const auto& row : rows)
    if (auto role = access::DecodeCustomRoleRow(row)) roles.push_back(std::move(*role));
  return roles;
}

Error RoleDefinitionNotFound(const std::string& guid) {
  return MakeError(StatusCode::kNotFound, "RoleDefinitionDoesNotExist",
                   "The specified role definition with ID '" + guid.substr(0, 64) +
                       "' does not exist.");
}

// The $filter forms clients send: atScope(), principalId eq '…', assignedTo('…'), joined by
// "and"; none lists the assignments at, above and below the scope.
struct AssignmentFilter {
  bool at_scope = false;  // at the scope or above it only
  std::string principal;
};

std::string_view Trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

// The quoted value in `term` after `prefix` and before `suffix` ("principalId eq 'X'").
std::optional<std::string> Quoted(std::string_view term, std::string_view prefix,
                                  std::string_view suffix) {
  if (!term.starts_with(prefix) || !term.ends_with(suffix)) return std::nullopt;
  term = term.substr(prefix.size(), term.size() - prefix.size() - suffix.size());
  if (term.size() < 2 || term.front() != '\'' || term.back() != '\'') return std::nullopt;
  return std::string(term.substr(1, term.size() - 2));
}

Result<AssignmentFilter> ParseAssignmentFilter(const std::optional<std::string>& text) {
  AssignmentFilter filter;
  if (!text) return filter;
  std::string_view rest = *text;
  while (!rest.empty()) {
    const std::size_t and_at = rest.find(" and ");
    const std::string_view term = Trim(rest.substr(0, and_at));
    rest = and_at == std::string_view::npos ? std::string_view() : rest.substr(and_at + 5);
    if (term == "atScope()") {
      filter.at_scope = true;
    } else if (auto id = Quoted(term, "principalId eq ", "")) {
      filter.principal = *id;
    } else if (auto assigned = Quoted(term, "assignedTo(", ")")) {
      filter.principal = *assigned;
    } else {
      return InvalidInput("UnsupportedFilter",
                          "The $filter '" + text->substr(0, 200) +
                              "' is not supported; use atScope(), principalId eq '{id}' or "
                              "assignedTo('{id}'), joined by 'and'.",
                          "$filter");
    }
  }
  return filter;
}

}  // namespace

ArmAnswer ListRoleDefinitions(const ArmCall& call) {
  GP_RETURN_IF_ERROR(RequireScope(call));
  const auto filter = call.request.Query("$filter");
  std::optional<std::string> name, type;
  if (filter) {
    name = Quoted(Trim(*filter), "roleName eq ", "");
    type = Quoted(Trim(*filter), "type eq ", "");
    if (!name && !type) {
      return InvalidInput("UnsupportedFilter",
                          "The $filter '" + filter->substr(0, 200) +
                              "' is not supported; use roleName eq '{name}' or type eq "
                              "'BuiltInRole' (or 'CustomRole').",
                          "$filter");
    }
  }
  GP_ASSIGN_OR_RETURN(const auto custom, CustomRoles(call));
  const std::string scope = call.scope();
  json::array value;
  const auto consider = [&](const access::RoleDefinition& role) {
    if (name && store::IdKey(*name) != store::IdKey(role.role_name)) return;
    if (type && store::IdKey(*type) != store::IdKey(role.type)) return;
    // A custom role shows where it can be assigned: at, above or below its assignable scopes.
    const bool related = std::any_of(
        role.assignable_scopes.begin(), role.assignable_scopes.end(), [&](const std::string& at) {
          return access::ScopeCovers(at, scope) || access::ScopeCovers(scope, at);
        });
    if (related) value.push_back(access::RoleDefinitionJson(role, scope));
  };
  for (const access::RoleDefinition& role : access::BuiltInRoles()) consider(role);
  for (const access::RoleDefinition& role : custom) consider(role);
  return JsonResponse(call.request.http, HttpStatus::ok, json::object{{"value", std::move(value)}});
}

ArmAnswer GetRoleDefinition(const ArmCall& call) {
  GP_RETURN_IF_ERROR(RequireScope(call));
  GP_ASSIGN_OR_RETURN(const auto role, call.context.authorizer.Role(call.definition));
  if (role == nullptr) return RoleDefinitionNotFound(call.definition);
  return JsonResponse(call.request.http, HttpStatus::ok,
                      access::RoleDefinitionJson(*role, call.scope()));
}

// PUT of a custom role (201, as the SDKs expect, for a new one and for a change): its name is
// its own, and the caller may write role definitions at every scope it can be assigned at.
ArmAnswer PutRoleDefinition(const ArmCall& call) {
  GP_RETURN_IF_ERROR(RequireScope(call));
  GP_ASSIGN_OR_RETURN(access::RoleDefinition role,
                      access::DecodeCustomRole(call.request.http.body(), call.definition,
                                               call.names.subscription));
  for (const std::string& scope : role.assignable_scopes) {
    GP_ASSIGN_OR_RETURN(const bool allowed, CallerMay(call, kWriteDefinitions, scope));
    if (!allowed) return AuthorizationFailed(call, kWriteDefinitions, scope);
  }
  store::Store& store = call.context.store;
  GP_ASSIGN_OR_RETURN(const auto existing,
                      store.Get(access::kRoleDefinitionKind, access::RoleDefinitionRowId(role.name)));
  std::vector<store::Mutation> changes{store::Mutation::Put(
      access::EncodeCustomRole(role), existing ? store::Precondition::AtVersion(existing->version)
                                               : store::Precondition::Absent())};
  std::optional<access::RoleDefinition> before;
  if (existing) {
    GP_ASSIGN_OR_RETURN(before, access::DecodeCustomRoleRow(*existing));
  }
  if (!before || store::IdKey(before->role_name) != store::IdKey(role.role_name)) {
    if (before)
      changes.push_back(store::Mutation::Delete(std::string(access::kRoleNameKind),
                                                access::RoleNameRowId(before->role_name)));
    changes.push_back(store::Mutation::Put(
        {std::string(access::kRoleNameKind), access::RoleNameRowId(role.role_name),
         std::string(access::kRoleDefinitionsParent),
         json::serialize(json::object{{"roleDefinition", role.name}}), 0},
        store::Precondition::Absent()));
  }
  auto applied = store.Apply(changes);
  if (!applied && applied.error().code == StatusCode::kAborted) {
    return MakeError(StatusCode::kAlreadyExists, "RoleDefinitionWithSameNameExists",
                     "A role definition named '" + role.role_name +
                         "' exists already, or this one changed meanwhile; choose another "
                         "roleName or read it again.");
  }
  if (!applied) return applied.error();
  return JsonResponse(call.request.http, HttpStatus::created,
                      access::RoleDefinitionJson(role, call.scope()));
}

// DELETE of a custom role: 200 with it, 204 when there is none; refused while an assignment
// names it (the assignment would grant nothing, or a later role's permissions under that GUID).
ArmAnswer DeleteRoleDefinition(const ArmCall& call) {
  GP_RETURN_IF_ERROR(RequireScope(call));
  if (access::FindBuiltInRole(call.definition) != nullptr) {
    return InvalidInput("RoleDefinitionIsBuiltIn",
                        "The role definition " + call.definition +
                            " is a built-in role and cannot be deleted.",
                        "roleDefinitionId");
  }
  store::Store& store = call.context.store;
  GP_ASSIGN_OR_RETURN(const auto row, store.Get(access::kRoleDefinitionKind,
                                                access::RoleDefinitionRowId(call.definition)));
  if (!row) return EmptyResponse(call.request.http, HttpStatus::no_content);
  GP_ASSIGN_OR_RETURN(const access::RoleDefinition role, access::DecodeCustomRoleRow(*row));
  GP_ASSIGN_OR_RETURN(const auto all, AllAssignments(call));
  for (const RoleAssignment& assignment : all) {
    if (store::IdKey(assignment.role) == store::IdKey(role.name)) {
      return InvalidInput("RoleDefinitionHasAssignments",
                          "There are existing role assignments referencing role '" +
                              role.role_name + "' (" + assignment.id() +
                              "); delete them first.",
                          "roleDefinitionId");
    }
  }
  // At the version read: an assignment made meanwhile wrote the row too, and this one fails.
  auto applied = store.Apply(
      {store::Mutation::Delete(std::string(access::kRoleDefinitionKind), row->id,
                               store::Precondition::AtVersion(row->version)),
       store::Mutation::Delete(std::string(access::kRoleNameKind),
                               access::RoleNameRowId(role.role_name))});
  if (!applied && applied.error().code == StatusCode::kAborted) {
    return MakeError(StatusCode::kAborted, "RoleDefinitionChanged",
                     "The role definition changed or was assigned meanwhile; try again.");
  }
  if (!applied) return applied.error();
  return JsonResponse(call.request.http, HttpStatus::ok,
                      access::RoleDefinitionJson(role, call.scope()));
}

ArmAnswer ListRoleAssignments(const ArmCall& call) {
  GP_RETURN_IF_ERROR(RequireScope(call));
  GP_ASSIGN_OR_RETURN(const AssignmentFilter filter,
                      ParseAssignmentFilter(call.request.Query("$filter")));
  const std::string scope = call.scope();
  GP_ASSIGN_OR_RETURN(const auto all, AllAssignments(call));
  json::array value;
  for (const RoleAssignment& assignment : all) {
    const bool above = access::ScopeCovers(assignment.scope, scope);
    const bool below = access::ScopeCovers(scope, assignment.scope);
    if (!above && (filter.at_scope || !below)) continue;
    if (!filter.principal.empty() &&
        store::IdKey(filter.principal) != store::IdKey(assignment.principal_id))
      continue;
    // What the caller may read: an inherited assignment is read at the scope listed.
    GP_ASSIGN_OR_RETURN(const bool readable,
                        CallerMay(call, kReadAssignments, above ? scope : assignment.scope));
    if (readable) value.push_back(access::RoleAssignmentJson(assignment));
  }
  return JsonResponse(call.request.http, HttpStatus::ok, json::object{{"value", std::move(value)}});
}

ArmAnswer GetRoleAssignment(const ArmCall& call) {
  GP_RETURN_IF_ERROR(RequireScope(call));
  GP_ASSIGN_OR_RETURN(const auto all, AllAssignments(call));
  for (const RoleAssignment& assignment : all) {
    if (store::IdKey(assignment.id()) ==
        store::IdKey(call.scope() + std::string(access::kRoleAssignmentsPath) + call.assignment))
      return JsonResponse(call.request.http, HttpStatus::ok,
                          access::RoleAssignmentJson(assignment));
  }
  return MakeError(StatusCode::kNotFound, "RoleAssignmentNotFound",
                   "The role assignment '" + call.assignment.substr(0, 64) + "' is not found.");
}

// 201 with the assignment (az fails on anything else), also when the same one is PUT again.
ArmAnswer PutRoleAssignment(const ArmCall& call) {
  GP_RETURN_IF_ERROR(RequireScope(call));
  const std::string now = resources::Rfc3339(call.context.clock.Now());
  GP_ASSIGN_OR_RETURN(const access::RoleLookup roles, call.context.authorizer.Roles());
  GP_ASSIGN_OR_RETURN(
      RoleAssignment wanted,
      access::DecodeRoleAssignment(call.request.http.body(), call.scope(), call.assignment,
                                   call.request.caller.object_id, now, roles));
  GP_ASSIGN_OR_RETURN(const auto all, AllAssignments(call));
  std::vector<RoleAssignment> at_scope;
  for (const RoleAssignment& assignment : all)
    if (store::IdKey(assignment.scope) == store::IdKey(wanted.scope))
      at_scope.push_back(assignment);
  GP_ASSIGN_OR_RETURN(const RoleAssignment planned,
                      access::PlanRoleAssignmentPut(std::move(wanted), at_scope));
  store::Store& store = call.context.store;
  GP_ASSIGN_OR_RETURN(const auto existing, store.Get(access::kRoleAssignmentKind, planned.id()));
  const store::Precondition once =
      existing ? store::Precondition::Any() : store::Precondition::Absent();
  std::vector<store::Mutation> changes{
      store::Mutation::Put(access::EncodeRoleAssignment(planned, SubscriptionId(call)),
                           existing ? store::Precondition::AtVersion(existing->version)
                                    : store::Precondition::Absent()),
      store::Mutation::Put({std::string(kGrantKind), GrantId(planned), SubscriptionId(call),
                            json::serialize(json::object{{"assignment", planned.id()}}), 0},
                           once)};
  // A custom role's row is written again at the version read, so that a delete of the role
  // racing this assignment fails (one of the two is refused, never both accepted).
  // The index said the role exists; the store must still say so (a delete may have committed
  // since the index was read).
  if (access::FindBuiltInRole(planned.role) == nullptr) {
    GP_ASSIGN_OR_RETURN(const auto custom, store.Get(access::kRoleDefinitionKind,
                                                     access::RoleDefinitionRowId(planned.role)));
    if (!custom) {
      return InvalidInput("RoleDefinitionDoesNotExist",
                          "The specified role definition with ID '" + planned.role +
                              "' does not exist (it was deleted just now).",
                          "properties.roleDefinitionId");
    }
    changes.push_back(store::Mutation::Put({custom->kind, custom->id, custom->parent, custom->body, 0},
                                           store::Precondition::AtVersion(custom->version)));
  }
  auto applied = store.Apply(changes);
  if (!applied && applied.error().code == StatusCode::kAborted) {
    return MakeError(StatusCode::kAlreadyExists, "RoleAssignmentExists",
                     "The role assignment already exists.");
  }
  if (!applied) return applied.error();
  return JsonResponse(call.request.http, HttpStatus::created, access::RoleAssignmentJson(planned));
}

// 200 with what was deleted, 204 when there was nothing; the bootstrap owner stays.
ArmAnswer DeleteRoleAssignment(const ArmCall& call) {
  GP_RETURN_IF_ERROR(RequireOurSubscription(call));
  const std::string id = call.scope() + std::string(access::kRoleAssignmentsPath) + call.assignment;
  if (store::IdKey(id) == store::IdKey(call.context.authorizer.OwnerAssignment().id())) {
    return MakeError(StatusCode::kFailedPrecondition, "BootstrapOwnerCannotBeRemoved",
                     "This assignment makes the administrator of credentials.json Owner of the "
                     "subscription; it cannot be removed (rotate that secret instead).");
  }
  store::Store& store = call.context.store;
  GP_ASSIGN_OR_RETURN(const auto row, store.Get(access::kRoleAssignmentKind, id));
  if (!row) return EmptyResponse(call.request.http, HttpStatus::no_content);
  GP_ASSIGN_OR_RETURN(const RoleAssignment assignment, access::DecodeRoleAssignmentRow(*row));
  GP_RETURN_IF_ERROR(
      store.Apply({store::Mutation::Delete(std::string(access::kRoleAssignmentKind), row->id,
                                           store::Precondition::AtVersion(row->version)),
                   store::Mutation::Delete(std::string(kGrantKind), GrantId(assignment))}));
  return JsonResponse(call.request.http, HttpStatus::ok, access::RoleAssignmentJson(assignment));
}

}  // namespace gangplank::api
