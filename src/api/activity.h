// The activity log at the API: each write and action recorded as it is answered, refusals before
// routing too, and the Azure Activity Log's read API (…/eventtypes/management/values).
#pragma once

#include "api/arm_router.h"

namespace gangplank::api {

// Records what `call` asked and how it was answered (Accepted for a long-running operation, whose
// end the operations engine records; Succeeded; or Failed with the HTTP status and the reason).
void RecordRequest(const ArmCall& call, const HttpResponse& response);
// The event RecordRequest would write for `call` answered `answered` with the Azure-AsyncOperation
// of `operation_name`, as a write to commit with the change itself (one commit, not two).
store::Mutation AcceptedRequestEvent(const ArmCall& call, const std::string& operation_name,
                                     HttpStatus answered);
// Records a write refused before routing (no or a bad token: 401), at most a few per second so
// that a flood of bad requests cannot fill the log.
void RecordUnauthenticated(const ApiRequest& request, const HandlerContext& context,
                           const HttpResponse& response);

// Records a refused sign-in of `name` (why: WrongPassword, Locked, Disabled, UnknownUser) at the
// subscription, at most a few per second.
void RecordSignIn(const ApiRequest& request, const HandlerContext& context, const std::string& name,
                  std::string_view why);

// GET /subscriptions/{s}/providers/Microsoft.Insights/eventtypes/management/values.
ArmAnswer ListActivityEvents(const ArmCall& call);

}  // namespace gangplank::api
