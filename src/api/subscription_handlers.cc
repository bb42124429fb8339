// Subscriptions: Gangplank serves one, created on first start (its id is in credentials.json).
#include <boost/json.hpp>

#include "api/arm_response.h"
#include "api/resource_manager.h"
#include "store/store.h"

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

Status RequireOurSubscription(const ArmCall& call) {
  const std::string& asked = call.names.subscription;
  if (store::IdKey(asked) == store::IdKey(call.context.config.admin.subscription_id))
    return OkStatus();
  return MakeError(StatusCode::kNotFound, "SubscriptionNotFound",
                   "The subscription '" + asked.substr(0, 64) + "' could not be found.");
}

ArmAnswer ListSubscriptions(const ArmCall& call) {
  return JsonResponse(
      call.request.http, HttpStatus::ok,
      json::object{
          {"value", json::array{SubscriptionJson(call.context.config.admin.subscription_id)}}});
}

ArmAnswer GetSubscription(const ArmCall& call) {
  GP_RETURN_IF_ERROR(RequireOurSubscription(call));
  return JsonResponse(call.request.http, HttpStatus::ok,
                      SubscriptionJson(call.context.config.admin.subscription_id));
}

}  // namespace gangplank::api
