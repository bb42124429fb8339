// Subscriptions: Gangplank serves one, created on first start (its id is in credentials.json).
#include <boost/json.hpp>

#include "api/arm_response.h"
#include "api/handlers.h"

namespace gangplank::api {
namespace json = boost::json;

namespace {

json::object SubscriptionJson(const std::string& id) {
  return json::object{
      {"id", "/subscriptions/" + id},
      {"subscriptionId", id},
      {"tenantId", "adfs"},
      {"displayName", "Gangplank"},
      {"state", "Enabled"},
      {"authorizationSource", "RoleBased"},
      {"managedByTenants", json::array{}},
      {"subscriptionPolicies", json::object{{"locationPlacementId", "Public_2014-09-01"},
                                            {"quotaId", "Internal_2014-09-01"},
                                            {"spendingLimit", "Off"}}}};
}

}  // namespace

HttpResponse HandleSubscriptions(const ApiRequest& request, const HandlerContext& context) {
  if (request.http.method() != HttpVerb::get) {
    return ArmErrorResponse(request.http, HttpStatus::method_not_allowed, "MethodNotAllowed",
                            "subscriptions are read-only here");
  }
  const std::string& ours = context.config.admin.subscription_id;
  if (request.segments.size() == 1) {
    return JsonResponse(request.http, HttpStatus::ok,
                        json::object{{"value", json::array{SubscriptionJson(ours)}}});
  }
  if (store::IdKey(request.segments[1]) != store::IdKey(ours)) {
    return ArmErrorResponse(
        request.http, HttpStatus::not_found, "SubscriptionNotFound",
        "The subscription '" + request.segments[1].substr(0, 64) + "' could not be found.");
  }
  return JsonResponse(request.http, HttpStatus::ok, SubscriptionJson(ours));
}

}  // namespace gangplank::api
