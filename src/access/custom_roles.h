// Custom role definitions: a PUT body decoded and checked (names, actions with ARM's wildcards,
// assignable scopes inside the subscription), and the row that keeps it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "access/roles.h"
#include "common/error.h"
#include "store/store.h"

namespace gangplank::access {

inline constexpr std::string_view kRoleDefinitionKind = "roleDefinition";
// One row per role name (lower case): two custom roles cannot share a name, nor take a
// built-in's.
inline constexpr std::string_view kRoleNameKind = "roleName";
inline constexpr std::string_view kRoleDefinitionsParent = "/gangplank/roleDefinitions";

std::string RoleDefinitionRowId(std::string_view guid);
std::string RoleNameRowId(std::string_view role_name);

// The custom role a PUT of roleDefinitions/`name` sends: `name` a GUID no built-in has;
// properties.roleName (1 to 512 characters, not a built-in's); type CustomRole if given;
// permissions with at least one action or data action, each "*" or "Provider/…" of letters,
// digits, '.', '_', '-', '/' and '*'; assignableScopes, each the subscription
// `subscription_id` or below it. Each a 400 naming the field otherwise.
Result<RoleDefinition> DecodeCustomRole(std::string_view body, std::string name,
                                        std::string_view subscription_id);

store::Resource EncodeCustomRole(const RoleDefinition& role, std::int64_t version = 0);
Result<RoleDefinition> DecodeCustomRoleRow(const store::Resource& row);

// The role with this GUID: a built-in, or a custom role the store holds (nullptr for none).
using RoleLookup = std::function<std::shared_ptr<const RoleDefinition>(std::string_view guid)>;

}  // namespace gangplank::access
