// Microsoft Graph v1.0's directory subset: the handlers (graph_handlers.cc), routed from
// graph_routes.cc. Internal to api/.
#pragma once

#include "api/arm_router.h"

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

}  // namespace gangplank::api
