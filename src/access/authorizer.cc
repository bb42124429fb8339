// The RBAC index: assignments, custom roles, principals and groups, re-read when the store says
// they changed.
#include "access/authorizer.h"

#include <mutex>

#include "common/random.h"

namespace gangplank::access {

namespace {
constexpr std::string_view kOwnerRole = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
}  // namespace

std::string OwnerObjectId(std::string_view app_id) {
  return NameBasedUuid("gangplank bootstrap owner:" + std::string(app_id));
}

Authorizer::Authorizer(store::Store& store, Caller owner, std::string subscription_id)
    : store_(store), owner_(std::move(owner)), subscription_id_(std::move(subscription_id)) {}

RoleAssignment Authorizer::OwnerAssignment() const {
  RoleAssignment owner;
  owner.scope = "/subscriptions/" + subscription_id_;
  // A fixed name: the object id is a GUID already, and one owner is bootstrapped per subscription.
  owner.name = owner_.object_id;
  owner.role = std::string(kOwnerRole);
  owner.role_definition_id =
      owner.scope + "/providers/Microsoft.Authorization/roleDefinitions/" + owner.role;
  owner.principal_id = owner_.object_id;
  owner.principal_type = "ServicePrincipal";
  owner.description = "The bootstrap administrator of credentials.json (always Owner).";
  return owner;
}

namespace {

// Every role by GUID: the built-ins, then the custom roles the store holds.
Result<std::map<std::string, std::shared_ptr<const RoleDefinition>>> LoadRoles(
    store::Store& store) {
  std::map<std::string, std::shared_ptr<const RoleDefinition>> roles;
  for (const RoleDefinition& role : BuiltInRoles())
    roles[store::IdKey(role.name)] = std::make_shared<const RoleDefinition>(role);
  GP_ASSIGN_OR_RETURN(const auto rows, store.ListKind(kRoleDefinitionKind));
  for (const auto& row : rows) {
    auto role = DecodeCustomRoleRow(row);
    if (role) roles.try_emplace(store::IdKey(role->name), std::make_shared<const RoleDefinition>(*role));
  }
  return roles;
}

// Each member of some group → every group it belongs to, nested groups followed.
Result<std::map<std::string, std::vector<std::string>>> LoadGroups(store::Store& store) {
  GP_ASSIGN_OR_RETURN(const auto rows, store.ListKind(kGroupKind));
  std::vector<Group> groups;
  for (const auto& row : rows)
    if (auto group = DecodeGroup(row)) groups.push_back(std::move(*group));
  std::map<std::string, std::vector<std::string>> groups_of;
  for (const Group& group : groups)
    for (const std::string& member : group.members)
      if (!groups_of.contains(store::IdKey(member)))
        groups_of[store::IdKey(member)] = TransitiveGroupsOf(member, groups);
  return groups_of;
}

}  // namespace

Status Authorizer::Reload() {
  GP_ASSIGN_OR_RETURN(auto roles, LoadRoles(store_));
  GP_ASSIGN_OR_RETURN(auto groups_of, LoadGroups(store_));
  GP_ASSIGN_OR_RETURN(const auto assignments, store_.ListKind(kRoleAssignmentKind));
  GP_ASSIGN_OR_RETURN(const auto principals, store_.ListKind(kServicePrincipalKind));
  GP_ASSIGN_OR_RETURN(const auto users, store_.ListKind(kUserKind));
  std::map<std::string, std::vector<Grant>> grants;
  for (const auto& row : assignments) {
    auto assignment = DecodeRoleAssignmentRow(row);
    if (!assignment) continue;  // an unreadable row grants nothing
    auto role = roles.find(store::IdKey(assignment->role));
    if (role == roles.end()) continue;
    grants[store::IdKey(assignment->principal_id)].push_back({assignment->scope, role->second});
  }
  std::map<std::string, std::string> object_ids;
  for (const auto& row : principals) {
    auto principal = DecodeServicePrincipal(row);
    // A disabled principal is no one: its tokens open nothing.
    if (principal && principal->account_enabled)
      object_ids[store::IdKey(principal->app_id)] = principal->id;
  }
  // People sign in with their user principal name, which their tokens carry.
  for (const auto& row : users) {
    auto user = DecodeUser(row);
    if (user && user->account_enabled)
      object_ids[store::IdKey(user->user_principal_name)] = user->id;
  }
  grants_ = std::move(grants);
  object_ids_ = std::move(object_ids);
  groups_of_ = std::move(groups_of);
  roles_ = std::move(roles);
  loaded_ = true;
  return OkStatus();
}

Status Authorizer::Refresh() {
  const std::uint64_t revision = store_.Revision();
  {
    std::shared_lock lock(mutex_);
    if (loaded_ && revision == revision_) return OkStatus();
  }
  std::unique_lock lock(mutex_);
  if (loaded_ && revision == revision_) return OkStatus();
  bool changed = !loaded_;
  for (const std::string_view kind : {kRoleAssignmentKind, kServicePrincipalKind, kUserKind,
                                      kGroupKind, kRoleDefinitionKind}) {
    if (changed) break;
    auto changes = store_.ChangesSince(revision_, kind);
    changed = !changes || !changes->empty();
  }
  if (changed) GP_RETURN_IF_ERROR(Reload());
  revision_ = revision;
  return OkStatus();
}

Result<Caller> Authorizer::Identify(std::string_view app_id) {
  if (store::IdKey(app_id) == store::IdKey(owner_.app_id)) return owner_;
  GP_RETURN_IF_ERROR(Refresh());
  std::shared_lock lock(mutex_);
  auto found = object_ids_.find(store::IdKey(app_id));
  return Caller{std::string(app_id), found == object_ids_.end() ? std::string() : found->second};
}

template <typename Test>
Result<bool> Authorizer::AnyGrant(const Caller& caller, std::string_view action, bool data,
                                  Test covers) {
  // The bootstrap admin is Owner: every action, and no data action (as an Owner on Azure).
  if (!data && !owner_.object_id.empty() && caller.object_id == owner_.object_id &&
      covers("/subscriptions/" + subscription_id_))
    return true;
  if (caller.object_id.empty()) return false;
  GP_RETURN_IF_ERROR(Refresh());
  std::shared_lock lock(mutex_);
  // What the principal holds itself, then what each of its groups holds.
  std::vector<std::string> holders{store::IdKey(caller.object_id)};
  if (auto groups = groups_of_.find(holders.front()); groups != groups_of_.end())
    holders.insert(holders.end(), groups->second.begin(), groups->second.end());
  for (const std::string& holder : holders) {
    auto found = grants_.find(holder);
    if (found == grants_.end()) continue;
    for (const Grant& grant : found->second)
      if (covers(grant.scope) &&
          (data ? GrantsData(*grant.role, action) : Grants(*grant.role, action)))
        return true;
  }
  return false;
}

Result<std::shared_ptr<const RoleDefinition>> Authorizer::Role(std::string_view guid) {
  GP_RETURN_IF_ERROR(Refresh());
  std::shared_lock lock(mutex_);
  auto found = roles_.find(store::IdKey(guid));
  return found == roles_.end() ? nullptr : found->second;
}

Result<RoleLookup> Authorizer::Roles() {
  GP_RETURN_IF_ERROR(Refresh());
  std::shared_lock lock(mutex_);
  auto roles = std::make_shared<const decltype(roles_)>(roles_);
  return RoleLookup([roles](std::string_view guid) -> std::shared_ptr<const RoleDefinition> {
    auto found = roles->find(store::IdKey(guid));
    return found == roles->end() ? nullptr : found->second;
  });
}

Result<bool> Authorizer::Allows(const Caller& caller, std::string_view action,
                                std::string_view scope) {
  return AnyGrant(caller, action, false,
                  [&](const std::string& at) { return ScopeCovers(at, scope); });
}

Result<bool> Authorizer::AllowsData(const Caller& caller, std::string_view data_action,
                                    std::string_view scope) {
  return AnyGrant(caller, data_action, true,
                  [&](const std::string& at) { return ScopeCovers(at, scope); });
}

Result<bool> Authorizer::AllowsDataAtOrBelow(const Caller& caller, std::string_view data_action,
                                             std::string_view scope) {
  return AnyGrant(caller, data_action, true, [&](const std::string& at) {
    return ScopeCovers(at, scope) || ScopeCovers(scope, at);
  });
}

Result<bool> Authorizer::AllowsAtOrBelow(const Caller& caller, std::string_view action,
                                         std::string_view scope) {
  return AnyGrant(caller, action, false, [&](const std::string& at) {
    return ScopeCovers(at, scope) || ScopeCovers(scope, at);
  });
}

}  // namespace gangplank::access
