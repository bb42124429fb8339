// The requests behind `gangplank ad`, `role` and `monitor activity-log` (access_requests.cc):
// look-ups as az makes them, and what the commands print. Internal to cli/.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <string>
#include <utility>
#include <vector>

#include "cli/aks_support.h"
#include "cli/arm_client.h"
#include "cli/cli_context.h"
#include "common/error.h"

namespace gangplank::cli {

inline constexpr const char* kDefinitionsVersion = "?api-version=2018-01-01-preview";
inline constexpr const char* kAssignmentsVersion = "?api-version=2020-04-01-preview";
inline constexpr const char* kActivityVersion = "?api-version=2015-04-01";

// What the access commands take besides the shared output flags.
struct AccessFlags {
  std::string id, display_name, upn, password, mail_nickname, description, group, member;
  std::string role, assignee, assignee_object_id, assignee_type, scope;
  std::vector<std::string> scopes, ids;
  bool force_change_password = false, custom_only = false, all = false, inherited = false;
  int years = 1;
  // monitor activity-log list
  std::string caller, status, resource_id, correlation_id, offset = "6h", start, end;
  int max_events = 50;
};

// Ids and names compare case-insensitively, as ARM and Graph compare them.
std::string Key(std::string_view text);
// An OData string literal ('' for a quote inside), and a $filter query parameter, encoded.
std::string Quote(std::string_view value);
std::string Filter(std::string_view expression);
// The "value" of a list answer (empty when there is none).
boost::json::array ValueOf(const boost::json::value& body);
// GETs a Graph or ARM collection, following nextLink and @odata.nextLink, up to `limit` items.
Result<boost::json::array> List(ArmClient& client, std::string path,
                                std::size_t limit = 100000);
Error NotFound(std::string message);

// A service principal by app id, name or object id, as az ad sp show finds it.
Result<boost::json::object> FindServicePrincipal(ArmClient& client, const std::string& id);
// A group by object id, or by a display name only one group has (az's validate_group).
Result<std::string> FindGroup(ArmClient& client, const std::string& name);
// The object id and principal type an --assignee names: a user principal name, a service
// principal's app id or name, or an object id (az's _resolve_object_id).
Result<std::pair<std::string, std::string>> ResolveAssignee(ArmClient& client,
                                                            const std::string& assignee);
// --scope, else the subscription (and -g's group).
std::string ScopeOf(CliContext& context, const AccessFlags& flags, const AksCommandState& state);
// A role by name or id, as az role assignment create takes --role: its full definition id.
Result<std::string> ResolveRole(ArmClient& client, const std::string& role,
                                const std::string& scope);

// A resource as az prints these: its properties lifted next to id, name and type.
boost::json::object Flattened(const boost::json::object& resource);
boost::json::object RoleDefinitionAsAzPrints(const boost::json::object& role);

// az ad sp create-for-rbac: the application named `name` (made when missing) with one new
// password, its service principal, and the roles asked for; what az prints.
Result<boost::json::object> CreateForRbac(CliContext& context, ArmClient& client,
                                          const std::string& name, const AccessFlags& flags);
// The assignments at SCOPE (and, with --include-inherited, above it; with --all, everywhere),
// kept by --assignee and --role, with principalName and roleDefinitionName filled in.
Result<boost::json::array> ListAssignments(ArmClient& client, const AccessFlags& flags,
                                           const std::string& scope);
Result<boost::json::object> CreateAssignment(ArmClient& client, const AccessFlags& flags,
                                             const std::string& scope);
// The activity log's $filter as az builds it: the time window, then one of correlation id,
// resource group, resource id; then caller and status.
Result<std::string> ActivityFilter(const AccessFlags& flags, const AksCommandState& state);

}  // namespace gangplank::cli
