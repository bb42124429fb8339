// The RBAC index: assignments, custom roles, principals and groups, re-read when the store says
// they changed.
#include "access/authorizer.h"

#include <atomic>
#include <mutex>
#include <unordered_map>

#include "common/random.h"

namespace gangplank::access {

namespace {
constexpr std::string_view kOwnerRole = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";

// This thread's last look at an authorizer's index, and the decisions made from it: a request
// whose revision has not moved takes no lock and, for a decision made before, walks no grant.
struct LocalView {
  std::uint64_t instance = 0;
  std::uint64_t revision = 0;
  std::shared_ptr<const void> index;
  std::unordered_map<std::string, bool> decisions;
};
thread_local LocalView local_view;
constexpr std::size_t kMaxCachedDecisions = 4096;
std::atomic<std::uint64_t> next_instance{1};
}  // namespace

std::string OwnerObjectId(std::string_view app_id) {
  return NameBasedUuid("gangplank bootstrap owner:" + std::string(app_id));
}

Authorizer::Authorizer(store::Store& store, Caller owner, std::string subscription_id)
    : store_(store),
      owner_(std::move(owner)),
      subscription_id_(std::move(subscription_id)),
      instance_(next_instance.fetch_add(1)) {}

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

Result<std::shared_ptr<const Authorizer::Index>> Authorizer::Load(store::Store& store) {
  auto index = std::make_shared<Index>();
  GP_ASSIGN_OR_RETURN(index->roles, LoadRoles(store));
  GP_ASSIGN_OR_RETURN(index->groups_of, LoadGroups(store));
  GP_ASSIGN_OR_RETURN(const auto assignments, store.ListKind(kRoleAssignmentKind));
  GP_ASSIGN_OR_RETURN(const auto principals, store.ListKind(kServicePrincipalKind));
  GP_ASSIGN_OR_RETURN(const auto users, store.ListKind(kUserKind));
  for (const auto& row : assignments) {
    auto assignment = DecodeRoleAssignmentRow(row);
    if (!assignment) continue;  // an unreadable row grants nothing
    auto role = index->roles.find(store::IdKey(assignment->role));
    if (role == index->roles.end()) continue;
    index->grants[store::IdKey(assignment->principal_id)].push_back(
        {assignment->scope, role->second});
  }
  for (const auto& row : principals) {
    auto principal = DecodeServicePrincipal(row);
    // A disabled principal is no one: its tokens open nothing.
    if (principal && principal->account_enabled)
      index->object_ids[store::IdKey(principal->app_id)] = principal->id;
  }
  // People sign in with their user principal name, which their tokens carry.
  for (const auto& row : users) {
    auto user = DecodeUser(row);
    if (user && user->account_enabled)
      index->object_ids[store::IdKey(user->user_principal_name)] = user->id;
  }
  return std::shared_ptr<const Index>(std::move(index));
}

Result<std::shared_ptr<const Authorizer::Index>> Authorizer::Current() {
  const std::uint64_t revision = store_.Revision();
  if (local_view.instance == instance_ && local_view.revision == revision && local_view.index)
    return std::static_pointer_cast<const Index>(local_view.index);
  std::shared_ptr<const Index> index;
  {
    std::shared_lock lock(mutex_);
    if (index_ && revision_ == revision) index = index_;
  }
  if (!index) {
    std::unique_lock lock(mutex_);
    bool changed = !index_;
    for (const std::string_view kind : kAccessKinds) {
      if (changed || revision_ == revision) break;
      auto changes = store_.ChangesSince(revision_, kind);
      changed = !changes || !changes->empty();
    }
    if (changed) {
      GP_ASSIGN_OR_RETURN(index_, Load(store_));
    }
    revision_ = std::max(revision_, revision);
    index = index_;
  }
  if (local_view.instance != instance_ || local_view.index != index) local_view.decisions.clear();
  local_view = {instance_, revision, index, std::move(local_view.decisions)};
  return index;
}

Result<Caller> Authorizer::Identify(std::string_view app_id) {
  if (store::IdKey(app_id) == store::IdKey(owner_.app_id)) return owner_;
  GP_ASSIGN_OR_RETURN(const auto index, Current());
  auto found = index->object_ids.find(store::IdKey(app_id));
  return Caller{std::string(app_id),
                found == index->object_ids.end() ? std::string() : found->second};
}

bool Authorizer::Decide(const Index& index, const Caller& caller, std::string_view action,
                        Reach reach, std::string_view scope) const {
  const bool data = reach == Reach::kDataAt || reach == Reach::kDataAtOrBelow;
  const bool below = reach == Reach::kAtOrBelow || reach == Reach::kDataAtOrBelow;
  const auto covers = [&](const std::string& at) {
    return ScopeCovers(at, scope) || (below && ScopeCovers(scope, at));
  };
  // What the principal holds itself, then what each of its groups holds.
  std::vector<std::string> holders{store::IdKey(caller.object_id)};
  if (auto groups = index.groups_of.find(holders.front()); groups != index.groups_of.end())
    holders.insert(holders.end(), groups->second.begin(), groups->second.end());
  for (const std::string& holder : holders) {
    auto found = index.grants.find(holder);
    if (found == index.grants.end()) continue;
    for (const Grant& grant : found->second) {
      if (!covers(grant.scope)) continue;
      if (data ? GrantsData(*grant.role, action) : Grants(*grant.role, action)) return true;
    }
  }
  return false;
}

// A decision from this thread's cache while the index it was made from holds.
Result<bool> Authorizer::Cached(const Caller& caller, std::string_view action, Reach reach,
                                std::string_view scope) {
  const bool data = reach == Reach::kDataAt || reach == Reach::kDataAtOrBelow;
  // The bootstrap admin is Owner: every action, and no data action (as an Owner on Azure).
  if (!data && !owner_.object_id.empty() && caller.object_id == owner_.object_id &&
      (ScopeCovers("/subscriptions/" + subscription_id_, scope) ||
       (reach == Reach::kAtOrBelow && ScopeCovers(scope, "/subscriptions/" + subscription_id_))))
    return true;
  if (caller.object_id.empty()) return false;
  GP_ASSIGN_OR_RETURN(const auto index, Current());
  std::string key = caller.object_id;
  key.append(1, '\n').append(action).append(1, '\n').append(scope).append(
      1, static_cast<char>('0' + static_cast<int>(reach)));
  if (auto found = local_view.decisions.find(key); found != local_view.decisions.end())
    return found->second;
  const bool allowed = Decide(*index, caller, action, reach, scope);
  if (local_view.decisions.size() >= kMaxCachedDecisions) local_view.decisions.clear();
  local_view.decisions.emplace(std::move(key), allowed);
  return allowed;
}

Result<bool> Authorizer::Allows(const Caller& caller, std::string_view action,
                                std::string_view scope) {
  return Cached(caller, action, Reach::kAt, scope);
}

Result<bool> Authorizer::AllowsAtOrBelow(const Caller& caller, std::string_view action,
                                         std::string_view scope) {
  return Cached(caller, action, Reach::kAtOrBelow, scope);
}

Result<bool> Authorizer::AllowsData(const Caller& caller, std::string_view data_action,
                                    std::string_view scope) {
  return Cached(caller, data_action, Reach::kDataAt, scope);
}

Result<bool> Authorizer::AllowsDataAtOrBelow(const Caller& caller, std::string_view data_action,
                                             std::string_view scope) {
  return Cached(caller, data_action, Reach::kDataAtOrBelow, scope);
}

Result<std::shared_ptr<const RoleDefinition>> Authorizer::Role(std::string_view guid) {
  GP_ASSIGN_OR_RETURN(const auto index, Current());
  auto found = index->roles.find(store::IdKey(guid));
  return found == index->roles.end() ? nullptr : found->second;
}

Result<std::vector<MachineLogin>> Authorizer::LoginsAt(std::string_view scope) {
  GP_ASSIGN_OR_RETURN(const auto index, Current());
  const std::string key = store::IdKey(scope);
  std::lock_guard lock(logins_mutex_);
  if (logins_index_ != index) {
    logins_.clear();
    logins_index_ = index;
  }
  if (auto found = logins_.find(key); found != logins_.end()) return found->second;
  std::vector<MachineLogin> logins;
  for (const auto& [name, object_id] : index->object_ids) {
    const Caller caller{name, object_id};
    const bool admin = Decide(*index, caller, kMachineAdminLoginAction, Reach::kDataAt, key);
    if (admin || Decide(*index, caller, kMachineLoginAction, Reach::kDataAt, key))
      logins.push_back({name, admin});
  }
  return logins_[key] = std::move(logins);
}

Result<RoleLookup> Authorizer::Roles() {
  GP_ASSIGN_OR_RETURN(const auto index, Current());
  return RoleLookup([index](std::string_view guid) -> std::shared_ptr<const RoleDefinition> {
    auto found = index->roles.find(store::IdKey(guid));
    return found == index->roles.end() ? nullptr : found->second;
  });
}

}  // namespace gangplank::access
