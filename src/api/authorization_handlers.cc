// Microsoft.Authorization: the built-in role definitions, and role assignments at a subscription,
// resource group, managed cluster or agent pool, listed with the $filter forms az and the SDKs
// send.
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
                              "'BuiltInRole'.",
                          "$filter");
    }
  }
  json::array value;
  for (const access::RoleDefinition& role : access::BuiltInRoles()) {
    if (name && store::IdKey(*name) != store::IdKey(role.role_name)) continue;
    if (type && *type != role.type) continue;
    value.push_back(access::RoleDefinitionJson(role, call.scope()));
  }
  return JsonResponse(call.request.http, HttpStatus::ok, json::object{{"value", std::move(value)}});
}

ArmAnswer GetRoleDefinition(const ArmCall& call) {
  GP_RETURN_IF_ERROR(RequireScope(call));
  const access::RoleDefinition* role = access::FindBuiltInRole(call.definition);
  if (role == nullptr) {
    return MakeError(StatusCode::kNotFound, "RoleDefinitionDoesNotExist",
                     "The specified role definition with ID '" + call.definition.substr(0, 64) +
                         "' does not exist.");
  }
  return JsonResponse(call.request.http, HttpStatus::ok,
                      access::RoleDefinitionJson(*role, call.scope()));
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
  GP_ASSIGN_OR_RETURN(
      RoleAssignment wanted,
      access::DecodeRoleAssignment(call.request.http.body(), call.scope(), call.assignment,
                                   call.request.caller.object_id, now));
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
  auto applied = store.Apply(
      {store::Mutation::Put(access::EncodeRoleAssignment(planned, SubscriptionId(call)),
                            existing ? store::Precondition::AtVersion(existing->version)
                                     : store::Precondition::Absent()),
       store::Mutation::Put({std::string(kGrantKind), GrantId(planned), SubscriptionId(call),
                             json::serialize(json::object{{"assignment", planned.id()}}), 0},
                            once)});
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
