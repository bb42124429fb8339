// Operation status (Azure-AsyncOperation) and operation result (Location) URLs.
#include <boost/beast/http/field.hpp>

#include "api/container_service.h"

namespace gangplank::api {
namespace http = boost::beast::http;

namespace {

ArmAnswer GetOperation(const ArmCall& call, bool result_form) {
  const ApiRequest& request = call.request;
  const HandlerContext& context = call.context;
  const std::string& api_version = call.api_version;
  std::string id = "/subscriptions/" + call.names.subscription +
                   "/providers/Microsoft.ContainerService/locations/" + call.location +
                   "/operations/" + call.operation;
  GP_ASSIGN_OR_RETURN(const auto operation, context.operations.Get(id));
  if (!operation) {
    return MakeError(StatusCode::kNotFound, "NotFound",
                     "Operation '" + call.operation.substr(0, 64) + "' was not found.");
  }
  const controller::Operation& op = *operation;
  GP_RETURN_IF_ERROR(
      RequireMayFollow(call, "Microsoft.ContainerService/managedClusters/read", op.target));
  if (!result_form) {
    HttpResponse response =
        JsonTextResponse(request.http, HttpStatus::ok, controller::OperationStatusJson(op));
    // ARM clients wait Retry-After between polls (30 s without it): operations here are quick.
    if (op.status == "InProgress") response.set(http::field::retry_after, "1");
    return response;
  }
  if (op.status == "InProgress") {
    HttpResponse response = EmptyResponse(request.http, HttpStatus::accepted);
    response.set(http::field::location, OperationResultUrl(context, op, api_version));
    response.set(http::field::retry_after, "1");
    return response;
  }
  if (op.status == "Failed" && op.error) {
    return ArmErrorResponse(request.http, HttpStatus::bad_request, op.error->reason,
                            op.error->message);
  }
  // Done: 200 with the resource the operation produced (the pool after upgradeNodeImageVersion,
  // the cluster after a PUT), or with no body when there is none (a delete). Never 204: the SDKs
  // check this status against the statuses the spec gives the operation, and 204 is not among
  // upgradeNodeImageVersion's.
  for (std::string_view kind : {kPoolKind, kClusterKind}) {
    GP_ASSIGN_OR_RETURN(const auto row, context.store.Get(kind, op.target));
    if (!row) continue;
    GP_ASSIGN_OR_RETURN(const json::object view,
                        kind == kPoolKind ? PoolViewFor(*row, api_version)
                                          : ClusterView(context.store, *row, api_version));
    return JsonResponse(request.http, HttpStatus::ok, view);
  }
  return EmptyResponse(request.http, HttpStatus::ok);
}

}  // namespace

ArmAnswer GetOperationStatus(const ArmCall& call) { return GetOperation(call, false); }
ArmAnswer GetOperationResult(const ArmCall& call) { return GetOperation(call, true); }

}  // namespace gangplank::api
