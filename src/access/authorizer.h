// Decisions of Azure RBAC: whether a principal may perform an action at a scope, from an
// in-memory index of the role assignments that follows the store (a change of assignment holds
// from the next request on, on every replica: requests pass the store's read barrier first).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "access/custom_roles.h"
#include "access/directory.h"
#include "access/role_assignments.h"
#include "access/roles.h"
#include "store/store.h"

namespace gangplank::access {

// An identity that may log into machines at a scope, by the name its SSH certificates carry.
struct MachineLogin {
  std::string name;    // a user principal name or an application id, in lower case
  bool admin = false;  // holds the administrator login (passwordless sudo)
};

// The principal behind a verified token.
struct Caller {
  std::string app_id;     // the token's client id: an app id, or a person's user principal name
  std::string object_id;  // the principal's object id ("" when no principal has that app id)
};

// The object id of the bootstrap admin, derived from its app id (the same on every replica and
// every start, and unlike any random GUID).
std::string OwnerObjectId(std::string_view app_id);

// The kinds of row decisions are made from: a change to any of them can change a decision.
inline constexpr std::string_view kAccessKinds[] = {kRoleAssignmentKind, kServicePrincipalKind,
                                                    kUserKind, kGroupKind, kRoleDefinitionKind};

class Authorizer {
 public:
  // `owner`: the bootstrap admin of credentials.json, Owner of the whole subscription
  // `subscription_id` whatever the assignments say (so that no one can lock everyone out).
  Authorizer(store::Store& store, Caller owner, std::string subscription_id);

  // The caller a verified token names.
  Result<Caller> Identify(std::string_view app_id);
  // Whether `caller` may perform `action` at `scope` (an ARM id): a role assigned to it at the
  // scope or above grants the action and does not exclude it.
  Result<bool> Allows(const Caller& caller, std::string_view action, std::string_view scope);
  // Whether it may perform `action` at `scope` or anywhere below it: a list is answered, and
  // filtered to the items the caller may read.
  Result<bool> AllowsAtOrBelow(const Caller& caller, std::string_view action,
                               std::string_view scope);
  // Whether it holds the data action `data_action` (a login to machines …) at `scope` or
  // anywhere below it.
  Result<bool> AllowsDataAtOrBelow(const Caller& caller, std::string_view data_action,
                                   std::string_view scope);
  // Whether it holds the data action at `scope` (assigned there or above it).
  Result<bool> AllowsData(const Caller& caller, std::string_view data_action,
                          std::string_view scope);
  // Every user and service principal that holds the machine login or administrator login data
  // action at `scope` now (itself or through a group), sorted by name. Kept per scope until the
  // assignments change: every node of a cluster asks after each change.
  Result<std::vector<MachineLogin>> LoginsAt(std::string_view scope);
  // The role with this GUID: a built-in, or a custom role as the store holds it now.
  Result<std::shared_ptr<const RoleDefinition>> Role(std::string_view guid);
  // Every role as the index holds them now (a snapshot: later changes do not show in it).
  Result<RoleLookup> Roles();
  // The bootstrap owner's assignment (not stored; shown in lists and never deleted).
  RoleAssignment OwnerAssignment() const;
  const Caller& owner() const { return owner_; }

 private:
  struct Grant {
    std::string scope;
    std::shared_ptr<const RoleDefinition> role;
  };
  // What decisions are made from, built whole from the store and never changed after: a reader
  // holds a snapshot, and a change builds the next one.
  struct Index {
    std::map<std::string, std::vector<Grant>> grants;  // principal object id (IdKey) → grants
    std::map<std::string, std::string> object_ids;     // app id or UPN (IdKey) → object id
    // member object id (IdKey) → the groups it belongs to, directly or through other groups
    std::map<std::string, std::vector<std::string>> groups_of;
    std::map<std::string, std::shared_ptr<const RoleDefinition>> roles;  // GUID (IdKey) → role
  };
  enum class Reach { kAt, kAtOrBelow, kDataAt, kDataAtOrBelow };
  // The index as of the store's current revision: from this thread's last look when the
  // revision has not moved (no lock taken), else from the shared one, rebuilt when a row of its
  // kinds changed.
  Result<std::shared_ptr<const Index>> Current();
  static Result<std::shared_ptr<const Index>> Load(store::Store& store);
  bool Decide(const Index& index, const Caller& caller, std::string_view action, Reach reach,
              std::string_view scope) const;
  Result<bool> Cached(const Caller& caller, std::string_view action, Reach reach,
                      std::string_view scope);

  store::Store& store_;
  Caller owner_;
  std::string subscription_id_;
  const std::uint64_t instance_;  // tells this authorizer's per-thread caches from another's
  std::shared_mutex mutex_;
  std::uint64_t revision_ = 0;
  std::shared_ptr<const Index> index_;  // null until first loaded
  std::mutex logins_mutex_;
  std::shared_ptr<const Index> logins_index_;  // what logins_ was computed from
  std::map<std::string, std::vector<MachineLogin>> logins_;  // scope (IdKey) → LoginsAt
};

}  // namespace gangplank::access
