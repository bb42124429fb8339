// Microsoft.Resources as Gangplank serves it: its one subscription, resource groups, and where a
// group's deletion is polled. Routed from resource_manager_routes.cc; internal to api/.
#pragma once

#include "api/arm_router.h"

namespace gangplank::api {

// subscription_handlers.cc
ArmAnswer ListSubscriptions(const ArmCall& call);
ArmAnswer GetSubscription(const ArmCall& call);
// Not found unless `call` names the subscription this server has.
Status RequireOurSubscription(const ArmCall& call);

// resource_group_handlers.cc
ArmAnswer ListGroups(const ArmCall& call);
ArmAnswer PutGroup(const ArmCall& call);
ArmAnswer GetGroup(const ArmCall& call);
ArmAnswer HeadGroup(const ArmCall& call);
ArmAnswer DeleteGroup(const ArmCall& call);
ArmAnswer ListGroupResources(const ArmCall& call);
ArmAnswer GetGroupOperationResult(const ArmCall& call);

// ssh_ca_handlers.cc: Gangplank.Ssh/userCertificateAuthority and its rotation steps
ArmAnswer GetSshCa(const ArmCall& call);
ArmAnswer AddNextSshCa(const ArmCall& call);
ArmAnswer SwitchSshCa(const ArmCall& call);
ArmAnswer DropSshCa(const ArmCall& call);

}  // namespace gangplank::api
