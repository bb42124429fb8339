// Routes for Microsoft.Authorization at each scope Gangplank has: the subscription, a resource
// group, a managed cluster and an agent pool (one table, the scopes spelled out).
#include "api/resource_manager.h"

namespace gangplank::api {

// authorization_handlers.cc
ArmAnswer ListRoleDefinitions(const ArmCall& call);
ArmAnswer GetRoleDefinition(const ArmCall& call);
ArmAnswer PutRoleDefinition(const ArmCall& call);
ArmAnswer DeleteRoleDefinition(const ArmCall& call);
ArmAnswer ListRoleAssignments(const ArmCall& call);
ArmAnswer GetRoleAssignment(const ArmCall& call);
ArmAnswer PutRoleAssignment(const ArmCall& call);
ArmAnswer DeleteRoleAssignment(const ArmCall& call);

namespace {

constexpr std::string_view kReadDefinitions = "Microsoft.Authorization/roleDefinitions/read";
constexpr std::string_view kWriteDefinitions = "Microsoft.Authorization/roleDefinitions/write";
constexpr std::string_view kDeleteDefinitions = "Microsoft.Authorization/roleDefinitions/delete";
constexpr std::string_view kReadAssignments = "Microsoft.Authorization/roleAssignments/read";
constexpr std::string_view kWriteAssignments = "Microsoft.Authorization/roleAssignments/write";
constexpr std::string_view kDeleteAssignments = "Microsoft.Authorization/roleAssignments/delete";

#define GP_AUTHORIZATION_ROUTES(scope)                                                             \
  {scope "/providers/microsoft.authorization/roledefinitions", HttpVerb::get, ListRoleDefinitions, \
   kReadDefinitions},                                                                              \
      {scope "/providers/microsoft.authorization/roledefinitions/{definition}", HttpVerb::get,     \
       GetRoleDefinition, kReadDefinitions},                                                       \
      {scope "/providers/microsoft.authorization/roledefinitions/{definition}", HttpVerb::put,     \
       PutRoleDefinition, kWriteDefinitions},                                                      \
      {scope "/providers/microsoft.authorization/roledefinitions/{definition}", HttpVerb::delete_, \
       DeleteRoleDefinition, kDeleteDefinitions},                                                  \
      {scope "/providers/microsoft.authorization/roleassignments",                                 \
       HttpVerb::get,                                                                              \
       ListRoleAssignments,                                                                        \
       kReadAssignments,                                                                           \
       std::nullopt,                                                                               \
       Authorize::kAtOrBelow},                                                                     \
      {scope "/providers/microsoft.authorization/roleassignments/{assignment}", HttpVerb::get,     \
       GetRoleAssignment, kReadAssignments},                                                       \
      {scope "/providers/microsoft.authorization/roleassignments/{assignment}", HttpVerb::put,     \
       PutRoleAssignment, kWriteAssignments},                                                      \
  {                                                                                                \
    scope "/providers/microsoft.authorization/roleassignments/{assignment}", HttpVerb::delete_,    \
        DeleteRoleAssignment, kDeleteAssignments                                                   \
  }

const ArmRoute kRoutes[] = {
    GP_AUTHORIZATION_ROUTES("subscriptions/{subscription}"),
    GP_AUTHORIZATION_ROUTES("subscriptions/{subscription}/resourcegroups/{group}"),
    GP_AUTHORIZATION_ROUTES("subscriptions/{subscription}/resourcegroups/{group}/providers/"
                            "microsoft.containerservice/managedclusters/{cluster}"),
    GP_AUTHORIZATION_ROUTES("subscriptions/{subscription}/resourcegroups/{group}/providers/"
                            "microsoft.containerservice/managedclusters/{cluster}/agentpools/"
                            "{pool}"),
};
#undef GP_AUTHORIZATION_ROUTES

}  // namespace

void AppendAuthorizationRoutes(std::vector<RouteListing>& out) { AppendRoutes(kRoutes, "", out); }

HttpResponse HandleAuthorization(const ApiRequest& request, const HandlerContext& context) {
  const ArmCall call(request, context);
  return DispatchArm({kRoutes,
                      {},
                      0,
                      "No Microsoft.Authorization resource at this path; Gangplank has role "
                      "definitions and role assignments at a subscription, resource group, "
                      "managed cluster or agent pool.",
                      resources::ApiSurface::kAuthorization},
                     call);
}

}  // namespace gangplank::api
