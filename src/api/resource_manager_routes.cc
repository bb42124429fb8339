// Routes for Microsoft.Resources: the subscription, its resource groups and their deletions.
#include "api/activity.h"
#include "api/resource_manager.h"

namespace gangplank::api {
namespace {

using resources::ApiSurface;

// Below /subscriptions.
const ArmRoute kSubscriptionRoutes[] = {
    {"subscriptions", HttpVerb::get, ListSubscriptions},
    {"subscriptions/{subscription}", HttpVerb::get, GetSubscription},
};

const ArmRoute kGroupRoutes[] = {
    {"subscriptions/{subscription}/resourcegroups", HttpVerb::get, ListGroups,
     "Microsoft.Resources/subscriptions/resourceGroups/read", std::nullopt, Authorize::kAtOrBelow},
    {"subscriptions/{subscription}/resourcegroups/{group}", HttpVerb::put, PutGroup,
     "Microsoft.Resources/subscriptions/resourceGroups/write"},
    {"subscriptions/{subscription}/resourcegroups/{group}", HttpVerb::get, GetGroup,
     "Microsoft.Resources/subscriptions/resourceGroups/read"},
    {"subscriptions/{subscription}/resourcegroups/{group}", HttpVerb::head, HeadGroup,
     "Microsoft.Resources/subscriptions/resourceGroups/read"},
    {"subscriptions/{subscription}/resourcegroups/{group}", HttpVerb::delete_, DeleteGroup,
     "Microsoft.Resources/subscriptions/resourceGroups/delete"},
    {"subscriptions/{subscription}/resourcegroups/{group}/resources", HttpVerb::get,
     ListGroupResources, "Microsoft.Resources/subscriptions/resourceGroups/resources/read"},
    // Open to every caller: the handler asks whether the caller may read the deleted group.
    {"subscriptions/{subscription}/operationresults/{operation}", HttpVerb::get,
     GetGroupOperationResult},
};

// Microsoft.Insights: the activity log (what a caller may read of it).
const ArmRoute kInsightsRoutes[] = {
    {"subscriptions/{subscription}/providers/microsoft.insights/eventtypes/management/values",
     HttpVerb::get, ListActivityEvents, "Microsoft.Insights/eventtypes/values/read", std::nullopt,
     Authorize::kAtOrBelow},
};

// Gangplank.Ssh: the SSH user CAs EntraId nodes trust, and their rotation.
const ArmRoute kSshCaRoutes[] = {
    {"subscriptions/{subscription}/providers/gangplank.ssh/usercertificateauthority",
     HttpVerb::get, GetSshCa, "Gangplank.Ssh/userCertificateAuthority/read"},
    {"subscriptions/{subscription}/providers/gangplank.ssh/usercertificateauthority/addnext",
     HttpVerb::post, AddNextSshCa, "Gangplank.Ssh/userCertificateAuthority/addNext/action"},
    {"subscriptions/{subscription}/providers/gangplank.ssh/usercertificateauthority/switch",
     HttpVerb::post, SwitchSshCa, "Gangplank.Ssh/userCertificateAuthority/switch/action"},
    {"subscriptions/{subscription}/providers/gangplank.ssh/usercertificateauthority/drop",
     HttpVerb::post, DropSshCa, "Gangplank.Ssh/userCertificateAuthority/drop/action"},
};

constexpr std::string_view kNotFound = "No resource or operation at this path.";

}  // namespace

void AppendResourceManagerRoutes(std::vector<RouteListing>& out) {
  AppendRoutes(kSubscriptionRoutes, "", out);
  AppendRoutes(kGroupRoutes, "", out);
  AppendRoutes(kInsightsRoutes, "", out);
  AppendRoutes(kSshCaRoutes, "", out);
}

HttpResponse HandleResourceManager(const ApiRequest& request, const HandlerContext& context) {
  const ArmCall call(request, context);
  if (request.segments.size() <= 2)
    return DispatchArm({kSubscriptionRoutes, {}, 0, kNotFound, ApiSurface::kSubscriptions}, call);
  const auto& path = request.lower_segments;
  const bool provider = path.size() > 3 && path[2] == "providers";
  if (provider && path[3] == "microsoft.insights")
    return DispatchArm({kInsightsRoutes, {}, 0, kNotFound, ApiSurface::kInsights}, call);
  if (provider && path[3] == "gangplank.ssh")
    return DispatchArm({kSshCaRoutes, {}, 0, kNotFound}, call);
  return DispatchArm({kGroupRoutes, {}, 0, kNotFound, ApiSurface::kResourceGroups}, call);
}

}  // namespace gangplank::api
