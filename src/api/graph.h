// Microsoft Graph v1.0's directory subset: the handlers (graph_handlers.cc for applications,
// service principals and users, graph_group_handlers.cc for groups), routed from
// graph_routes.cc, and what they share (graph_support.cc). Internal to api/.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#include "api/arm_router.h"
#include "store/store.h"

namespace gangplank::api {

ArmAnswer ListApplications(const ArmCall& call);
ArmAnswer CreateApplication(const ArmCall& call);
ArmAnswer GetApplication(const ArmCall& call);
ArmAnswer PatchApplication(const ArmCall& call);
ArmAnswer DeleteApplication(const ArmCall& call);
ArmAnswer AddPassword(const ArmCall& call);
ArmAnswer RemovePassword(const ArmCall& call);
ArmAnswer ListServicePrincipals(const ArmCall& call);
ArmAnswer CreateServicePrincipal(const ArmCall& call);
ArmAnswer GetServicePrincipal(const ArmCall& call);
ArmAnswer DeleteServicePrincipal(const ArmCall& call);
ArmAnswer GetDirectoryObjectsByIds(const ArmCall& call);
ArmAnswer ListUsers(const ArmCall& call);
ArmAnswer CreateUser(const ArmCall& call);
ArmAnswer GetUser(const ArmCall& call);
ArmAnswer PatchUser(const ArmCall& call);
ArmAnswer DeleteUser(const ArmCall& call);
ArmAnswer GetMe(const ArmCall& call);

ArmAnswer ListSecurityGroups(const ArmCall& call);
ArmAnswer CreateSecurityGroup(const ArmCall& call);
ArmAnswer GetSecurityGroup(const ArmCall& call);
ArmAnswer DeleteSecurityGroup(const ArmCall& call);
ArmAnswer ListGroupMembers(const ArmCall& call);
ArmAnswer AddGroupMember(const ArmCall& call);
ArmAnswer RemoveGroupMember(const ArmCall& call);
ArmAnswer CheckMemberGroups(const ArmCall& call);
ArmAnswer GetMemberGroups(const ArmCall& call);

namespace graph {

Error NotFound(const std::string& id);
Error BadRequest(std::string message);
// Creating and changing identities is for those who may grant roles (Owner, User Access
// Administrator on the subscription); reading the directory is for everyone signed in.
Status RequireDirectoryWriter(const ArmCall& call);
std::string Now(const ArmCall& call);
Result<boost::json::object> Body(const ArmCall& call, std::string_view example);
HttpResponse GraphList(const ArmCall& call, std::string_view entity, boost::json::array value);

// One term of the OData $filter forms az sends: FIELD eq 'V', startswith(FIELD,'V'),
// servicePrincipalNames/any(c:c eq 'V'); terms are joined by "and".
struct GraphFilter {
  std::string field;
  std::string value;
  bool prefix = false;
};
Result<std::vector<GraphFilter>> ParseGraphFilter(const ArmCall& call);
// Whether the object passes every term.
bool Keeps(const std::vector<GraphFilter>& filter, const boost::json::object& object);

template <typename T, typename Decode>
Result<std::vector<T>> All(const ArmCall& call, std::string_view kind, Decode decode) {
  GP_ASSIGN_OR_RETURN(const auto rows, call.context.store.ListKind(kind));
  std::vector<T> out;
  for (const auto& row : rows)
    if (auto object = decode(row)) out.push_back(std::move(*object));
  return out;
}

// GET of a collection: every object of `kind` that the $filter keeps, as Graph shows it.
template <typename T>
ArmAnswer ListDirectory(const ArmCall& call, std::string_view kind,
                        Result<T> (*decode)(const store::Resource&),
                        boost::json::object (*shown)(const T&), std::string_view entity) {
  GP_ASSIGN_OR_RETURN(const auto filter, ParseGraphFilter(call));
  GP_ASSIGN_OR_RETURN(const auto objects, All<T>(call, kind, decode));
  boost::json::array value;
  for (const T& object : objects) {
    boost::json::object json_object = shown(object);
    if (Keeps(filter, json_object)) value.push_back(std::move(json_object));
  }
  return GraphList(call, entity, std::move(value));
}

// Reads an object (`read` gives it and its row version), lets `change` edit it and writes
// `encode(object)` back at the version read; when another request wrote first, on this replica
// or another, reads again through the read barrier and tries again (a short, growing pause
// between tries), so concurrent changes never lose each other. Returns the object as written.
template <typename Read, typename Encode, typename Change>
auto UpdateDirectoryObject(const ArmCall& call, Read read, Encode encode, Change change)
    -> Result<std::decay_t<decltype(read().value().first)>> {
  constexpr int kAttempts = 10;
  for (int attempt = 1;; ++attempt) {
    auto current = read();
    if (!current) return current.error();
    GP_RETURN_IF_ERROR(change(current->first));
    auto written = call.context.store.Put(encode(current->first),
                                          store::Precondition::AtVersion(current->second));
    if (written) return std::move(current->first);
    if (written.error().code != StatusCode::kAborted || attempt == kAttempts)
      return written.error();
    std::this_thread::sleep_for(std::chrono::milliseconds(attempt));
    GP_RETURN_IF_ERROR(call.context.store.Sync());
  }
}

// The user, group or service principal with this object id, as Graph shows it (with its
// @odata.type), or nullopt.
Result<std::optional<boost::json::object>> FindDirectoryObject(const ArmCall& call,
                                                               std::string_view id);

}  // namespace graph
}  // namespace gangplank::api
