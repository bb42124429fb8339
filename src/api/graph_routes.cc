// Routes for Microsoft Graph v1.0 (below /v1.0): applications, service principals, users,
// groups, directory objects. Reading is open to every signed-in caller; the handlers check writers
// themselves.
#include "api/graph.h"

namespace gangplank::api {
namespace {

const ArmRoute kRoutes[] = {
    {"v1.0/applications", HttpVerb::get, ListApplications},
    {"v1.0/applications", HttpVerb::post, CreateApplication},
    {"v1.0/applications/{object}", HttpVerb::get, GetApplication},
    {"v1.0/applications/{object}", HttpVerb::patch, PatchApplication},
    {"v1.0/applications/{object}", HttpVerb::delete_, DeleteApplication},
    {"v1.0/applications/{object}/addpassword", HttpVerb::post, AddPassword},
    {"v1.0/applications/{object}/removepassword", HttpVerb::post, RemovePassword},
    {"v1.0/serviceprincipals", HttpVerb::get, ListServicePrincipals},
    {"v1.0/serviceprincipals", HttpVerb::post, CreateServicePrincipal},
    {"v1.0/serviceprincipals/{object}", HttpVerb::get, GetServicePrincipal},
    {"v1.0/serviceprincipals/{object}", HttpVerb::delete_, DeleteServicePrincipal},
    {"v1.0/directoryobjects/getbyids", HttpVerb::post, GetDirectoryObjectsByIds},
    {"v1.0/users", HttpVerb::get, ListUsers},
    {"v1.0/users", HttpVerb::post, CreateUser},
    {"v1.0/users/{object}", HttpVerb::get, GetUser},
    {"v1.0/users/{object}", HttpVerb::patch, PatchUser},
    {"v1.0/users/{object}", HttpVerb::delete_, DeleteUser},
    {"v1.0/users/{object}/getmembergroups", HttpVerb::post, GetMemberGroups},
    {"v1.0/me", HttpVerb::get, GetMe},
    {"v1.0/groups", HttpVerb::get, ListSecurityGroups},
    {"v1.0/groups", HttpVerb::post, CreateSecurityGroup},
    {"v1.0/groups/{object}", HttpVerb::get, GetSecurityGroup},
    {"v1.0/groups/{object}", HttpVerb::delete_, DeleteSecurityGroup},
    {"v1.0/groups/{object}/members", HttpVerb::get, ListGroupMembers},
    {"v1.0/groups/{object}/members/$ref", HttpVerb::post, AddGroupMember},
    {"v1.0/groups/{object}/members/{member}/$ref", HttpVerb::delete_, RemoveGroupMember},
    {"v1.0/groups/{object}/getmembergroups", HttpVerb::post, GetMemberGroups},
    {"v1.0/serviceprincipals/{object}/getmembergroups", HttpVerb::post, GetMemberGroups},
    {"v1.0/directoryobjects/{object}/checkmembergroups", HttpVerb::post, CheckMemberGroups},
    {"v1.0/directoryobjects/{object}/getmembergroups", HttpVerb::post, GetMemberGroups},
};

}  // namespace

HttpResponse HandleGraph(const ApiRequest& request, const HandlerContext& context) {
  const ArmCall call(request, context);
  return DispatchArm({kRoutes, {}, 0, "No Microsoft Graph resource at this path."}, call);
}

}  // namespace gangplank::api
