// Routes for everything under /providers/Microsoft.ContainerService: one table of path patterns,
// verbs and handlers, with the api-version feature each route needs.
#include "api/container_service.h"
#include "resources/api_versions.h"

namespace gangplank::api {
namespace {

using resources::Feature;

constexpr std::string_view kNoKubernetes =
    "Gangplank manages node pools and SSH access to their nodes; it runs no Kubernetes control "
    "plane, so ";
constexpr std::string_view kNoEntra =
    "Gangplank's clusters have no Microsoft Entra ID or service principal to reset, so ";

// Under /subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.ContainerService/.
const ArmRoute kGroupRoutes[] = {
    {"managedclusters", HttpVerb::get, ListClustersInGroup,
     "Microsoft.ContainerService/managedClusters/read", std::nullopt, Authorize::kAtOrBelow},
    {"managedclusters/{cluster}", HttpVerb::put, PutCluster,
     "Microsoft.ContainerService/managedClusters/write"},
    {"managedclusters/{cluster}", HttpVerb::get, GetCluster,
     "Microsoft.ContainerService/managedClusters/read"},
    {"managedclusters/{cluster}", HttpVerb::patch, PatchCluster,
     "Microsoft.ContainerService/managedClusters/write"},
    {"managedclusters/{cluster}", HttpVerb::delete_, DeleteCluster,
     "Microsoft.ContainerService/managedClusters/delete"},
    {"managedclusters/{cluster}/agentpools", HttpVerb::get, ListPools,
     "Microsoft.ContainerService/managedClusters/agentPools/read", std::nullopt,
     Authorize::kAtOrBelow},
    {"managedclusters/{cluster}/agentpools/{pool}", HttpVerb::put, PutPool,
     "Microsoft.ContainerService/managedClusters/agentPools/write"},
    {"managedclusters/{cluster}/agentpools/{pool}", HttpVerb::get, GetPool,
     "Microsoft.ContainerService/managedClusters/agentPools/read"},
    {"managedclusters/{cluster}/agentpools/{pool}", HttpVerb::patch, PutPool,
     "Microsoft.ContainerService/managedClusters/agentPools/write"},
    {"managedclusters/{cluster}/agentpools/{pool}", HttpVerb::delete_, DeletePool,
     "Microsoft.ContainerService/managedClusters/agentPools/delete"},
    {"managedclusters/{cluster}/agentpools/{pool}/upgradenodeimageversion", HttpVerb::post,
     UpgradeNodeImage,
     "Microsoft.ContainerService/managedClusters/agentPools/upgradeNodeImageVersion/action",
     Feature::kUpgradeNodeImage},
    {"managedclusters/{cluster}/agentpools/{pool}/machines", HttpVerb::get, ListMachines,
     "Microsoft.ContainerService/managedClusters/agentPools/machines/read", Feature::kMachines},
    {"managedclusters/{cluster}/agentpools/{pool}/machines/{machine}", HttpVerb::get, GetMachine,
     "Microsoft.ContainerService/managedClusters/agentPools/machines/read", Feature::kMachines},
    {"managedclusters/{cluster}/agentpools/{pool}/machines/{machine}/logs", HttpVerb::get,
     GetMachineLogs, "Microsoft.ContainerService/managedClusters/agentPools/machines/read",
     Feature::kMachines},
    {"managedclusters/{cluster}/upgradeprofiles/default", HttpVerb::get, GetClusterUpgradeProfile,
     "Microsoft.ContainerService/managedClusters/upgradeProfiles/read"},
    {"managedclusters/{cluster}/availableagentpoolversions", HttpVerb::get,
     ListAvailablePoolVersions,
     "Microsoft.ContainerService/managedClusters/availableAgentPoolVersions/read"},
    {"managedclusters/{cluster}/listclusterusercredential", HttpVerb::post, ListUserCredential,
     "Microsoft.ContainerService/managedClusters/listClusterUserCredential/action"},
    {"managedclusters/{cluster}/listclusteradmincredential", HttpVerb::post, ListAdminCredential,
     "Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action"},
    {"managedclusters/{cluster}/listclustermonitoringusercredential", HttpVerb::post,
     ListMonitoringCredential,
     "Microsoft.ContainerService/managedClusters/listClusterMonitoringUserCredential/action"},
    {"managedclusters/{cluster}/accessprofiles/{role}/listcredential", HttpVerb::post,
     GetAccessProfile,
     "Microsoft.ContainerService/managedClusters/accessProfiles/listCredential/action"},
    {"managedclusters/{cluster}/rotateclustercertificates", HttpVerb::post,
     RotateClusterCertificates,
     "Microsoft.ContainerService/managedClusters/rotateClusterCertificates/action",
     Feature::kRotateCertificates},
    {"managedclusters/{cluster}/stop", HttpVerb::post, StopCluster,
     "Microsoft.ContainerService/managedClusters/stop/action", Feature::kStartStop},
    {"managedclusters/{cluster}/start", HttpVerb::post, StartCluster,
     "Microsoft.ContainerService/managedClusters/start/action", Feature::kStartStop},
    {"managedclusters/{cluster}/abort", HttpVerb::post, AbortClusterOperation,
     "Microsoft.ContainerService/managedClusters/abort/action", Feature::kAbort},
    {"managedclusters/{cluster}/agentpools/{pool}/abort", HttpVerb::post, AbortPoolOperation,
     "Microsoft.ContainerService/managedClusters/agentPools/abort/action", Feature::kAbort},
    {"managedclusters/{cluster}/agentpools/{pool}/deletemachines", HttpVerb::post, DeleteMachines,
     "Microsoft.ContainerService/managedClusters/agentPools/deleteMachines/action",
     Feature::kDeleteMachines},
    {"managedclusters/{cluster}/agentpools/{pool}/upgradeprofiles/default", HttpVerb::get,
     GetPoolUpgradeProfile,
     "Microsoft.ContainerService/managedClusters/agentPools/upgradeProfiles/read"},
};

constexpr std::string_view kNodesFromCount =
    "Gangplank makes a pool's machines from its count and model (scale or upgrade the pool), so ";

const ArmRefusal kGroupRefusals[] = {
    {"managedclusters/{cluster}/agentpools/{pool}/machines/{machine}", HttpVerb::put,
     kNodesFromCount},
    {"managedclusters/{cluster}/agentpools/{pool}/completeupgrade", HttpVerb::post,
     kNodesFromCount},
    {"managedclusters/{cluster}/agentpools/{pool}/listbootstrapdata", HttpVerb::post,
     kNodesFromCount},
    {"managedclusters/{cluster}/resetserviceprincipalprofile", HttpVerb::post, kNoEntra},
    {"managedclusters/{cluster}/resetaadprofile", HttpVerb::post, kNoEntra},
    {"managedclusters/{cluster}/runcommand", HttpVerb::post, kNoKubernetes},
    {"managedclusters/{cluster}/generateupgradeinsights", HttpVerb::post, kNoKubernetes},
    {"managedclusters/{cluster}/upgradeinsights/{operation}", HttpVerb::get, kNoKubernetes},
    {"managedclusters/{cluster}/commandresults/{operation}", HttpVerb::get, kNoKubernetes},
    {"managedclusters/{cluster}/rotateserviceaccountsigningkeys", HttpVerb::post, kNoKubernetes},
    {"managedclusters/{cluster}/outboundnetworkdependenciesendpoints", HttpVerb::get,
     kNoKubernetes},
    {"managedclusters/{cluster}/maintenanceconfigurations", HttpVerb::get, kNoKubernetes},
    {"managedclusters/{cluster}/maintenanceconfigurations/{operation}", HttpVerb::put,
     kNoKubernetes},
    {"managedclusters/{cluster}/privateendpointconnections", HttpVerb::get, kNoKubernetes},
    {"managedclusters/{cluster}/trustedaccessrolebindings", HttpVerb::get, kNoKubernetes},
    {"managedclusters/{cluster}/meshupgradeprofiles", HttpVerb::get, kNoKubernetes},
};

constexpr std::string_view kNotContainerService =
    "No Microsoft.ContainerService resource or operation at this path.";

// Under /subscriptions/{s}/providers/Microsoft.ContainerService/.
const ArmRoute kSubscriptionRoutes[] = {
    {"managedclusters", HttpVerb::get, ListClustersInSubscription,
     "Microsoft.ContainerService/managedClusters/read", std::nullopt, Authorize::kAtOrBelow},
    // Open to every caller: the handler asks whether the caller may read what the operation acts
    // on.
    {"locations/{location}/operations/{operation}", HttpVerb::get, GetOperationStatus},
    {"locations/{location}/operationresults/{operation}", HttpVerb::get, GetOperationResult},
    {"locations/{location}/kubernetesversions", HttpVerb::get, ListKubernetesVersions,
     "Microsoft.ContainerService/locations/kubernetesVersions/read", Feature::kKubernetesVersions},
    {"locations/{location}/orchestrators", HttpVerb::get, ListOrchestrators,
     "Microsoft.ContainerService/locations/orchestrators/read"},
    {"locations/{location}/osoptions/default", HttpVerb::get, GetOsOptions,
     "Microsoft.ContainerService/locations/osOptions/read", Feature::kOsOptions},
};

}  // namespace

void AppendContainerServiceRoutes(std::vector<RouteListing>& out) {
  AppendRoutes(kSubscriptionRoutes,
               "subscriptions/{subscription}/providers/microsoft.containerservice/", out);
  AppendRoutes(kGroupRoutes,
               "subscriptions/{subscription}/resourcegroups/{group}/providers/"
               "microsoft.containerservice/",
               out);
}

HttpResponse HandleContainerService(const ApiRequest& request, const HandlerContext& context) {
  ArmCall call(request, context);
  call.names.subscription = request.segments[1];
  // /subscriptions/S/providers/Microsoft.ContainerService/… (4 segments before the routes)
  if (request.lower_segments[2] == "providers")
    return DispatchArm({kSubscriptionRoutes, {}, 4, kNotContainerService}, call);
  // /subscriptions/S/resourceGroups/G/providers/Microsoft.ContainerService/… (6)
  call.names.group = request.segments[3];
  return DispatchArm({kGroupRoutes, kGroupRefusals, 6, kNotContainerService}, call);
}

}  // namespace gangplank::api
