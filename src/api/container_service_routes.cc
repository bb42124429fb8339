// Routes for everything under /providers/Microsoft.ContainerService: one table of path patterns,
// verbs and handlers, with the api-version feature each route needs.
#include <array>
#include <span>

#include "api/container_service.h"
#include "resources/api_versions.h"

namespace gangplank::api {
namespace {

using resources::Feature;

// Path patterns below the provider ("managedclusters/{cluster}/…"): literal segments in lower
// case, or one of the captures {cluster}, {pool}, {machine}, {location}, {operation}, {role}.
struct Route {
  std::string_view pattern;
  HttpVerb verb;
  ArmAnswer (*handle)(const ArmCall& call);
  std::optional<Feature> needs = std::nullopt;
};

// Operations AKS has that Gangplank cannot honour, and why: a clear 400, not a 404.
struct Refusal {
  std::string_view pattern;
  HttpVerb verb;
  std::string_view why;
};

constexpr std::string_view kNoKubernetes =
    "Gangplank manages node pools and SSH access to their nodes; it runs no Kubernetes control "
    "plane, so ";
constexpr std::string_view kNoEntra =
    "Gangplank's clusters have no Microsoft Entra ID or service principal to reset, so ";

// Under /subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.ContainerService/.
const Route kGroupRoutes[] = {
    {"managedclusters", HttpVerb::get, ListClustersInGroup},
    {"managedclusters/{cluster}", HttpVerb::put, PutCluster},
    {"managedclusters/{cluster}", HttpVerb::get, GetCluster},
    {"managedclusters/{cluster}", HttpVerb::patch, PatchCluster},
    {"managedclusters/{cluster}", HttpVerb::delete_, DeleteCluster},
    {"managedclusters/{cluster}/agentpools", HttpVerb::get, ListPools},
    {"managedclusters/{cluster}/agentpools/{pool}", HttpVerb::put, PutPool},
    {"managedclusters/{cluster}/agentpools/{pool}", HttpVerb::get, GetPool},
    {"managedclusters/{cluster}/agentpools/{pool}", HttpVerb::patch, PutPool},
    {"managedclusters/{cluster}/agentpools/{pool}", HttpVerb::delete_, DeletePool},
    {"managedclusters/{cluster}/agentpools/{pool}/upgradenodeimageversion", HttpVerb::post,
     UpgradeNodeImage, Feature::kUpgradeNodeImage},
    {"managedclusters/{cluster}/agentpools/{pool}/machines", HttpVerb::get, ListMachines,
     Feature::kMachines},
    {"managedclusters/{cluster}/agentpools/{pool}/machines/{machine}", HttpVerb::get, GetMachine,
     Feature::kMachines},
    {"managedclusters/{cluster}/agentpools/{pool}/machines/{machine}/logs", HttpVerb::get,
     GetMachineLogs, Feature::kMachines},
    {"managedclusters/{cluster}/upgradeprofiles/default", HttpVerb::get, GetClusterUpgradeProfile},
    {"managedclusters/{cluster}/availableagentpoolversions", HttpVerb::get,
     ListAvailablePoolVersions},
    {"managedclusters/{cluster}/listclusterusercredential", HttpVerb::post, ListUserCredential},
    {"managedclusters/{cluster}/listclusteradmincredential", HttpVerb::post, ListAdminCredential},
    {"managedclusters/{cluster}/listclustermonitoringusercredential", HttpVerb::post,
     ListMonitoringCredential},
    {"managedclusters/{cluster}/accessprofiles/{role}/listcredential", HttpVerb::post,
     GetAccessProfile},
    {"managedclusters/{cluster}/rotateclustercertificates", HttpVerb::post,
     RotateClusterCertificates, Feature::kRotateCertificates},
    {"managedclusters/{cluster}/stop", HttpVerb::post, StopCluster, Feature::kStartStop},
    {"managedclusters/{cluster}/start", HttpVerb::post, StartCluster, Feature::kStartStop},
    {"managedclusters/{cluster}/abort", HttpVerb::post, AbortClusterOperation, Feature::kAbort},
    {"managedclusters/{cluster}/agentpools/{pool}/abort", HttpVerb::post, AbortPoolOperation,
     Feature::kAbort},
    {"managedclusters/{cluster}/agentpools/{pool}/deletemachines", HttpVerb::post, DeleteMachines,
     Feature::kDeleteMachines},
    {"managedclusters/{cluster}/agentpools/{pool}/upgradeprofiles/default", HttpVerb::get,
     GetPoolUpgradeProfile},
};

constexpr std::string_view kNodesFromCount =
    "Gangplank makes a pool's machines from its count and model (scale or upgrade the pool), so ";

const Refusal kGroupRefusals[] = {
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

// Under /subscriptions/{s}/providers/Microsoft.ContainerService/.
const Route kSubscriptionRoutes[] = {
    {"managedclusters", HttpVerb::get, ListClustersInSubscription},
    {"locations/{location}/operations/{operation}", HttpVerb::get, GetOperationStatus},
    {"locations/{location}/operationresults/{operation}", HttpVerb::get, GetOperationResult},
    {"locations/{location}/kubernetesversions", HttpVerb::get, ListKubernetesVersions,
     Feature::kKubernetesVersions},
    {"locations/{location}/orchestrators", HttpVerb::get, ListOrchestrators},
    {"locations/{location}/osoptions/default", HttpVerb::get, GetOsOptions, Feature::kOsOptions},
};

// Fills `call`'s names from `path` when it has the pattern's shape.
bool Match(std::string_view pattern, std::span<const std::string> path,
           std::span<const std::string> original, ArmCall& call) {
  std::size_t i = 0;
  while (!pattern.empty()) {
    const std::size_t slash = pattern.find('/');
    const std::string_view part = pattern.substr(0, slash);
    pattern = slash == std::string_view::npos ? std::string_view() : pattern.substr(slash + 1);
    if (i >= path.size()) return false;
    if (part == "{cluster}") call.names.cluster = original[i];
    else if (part == "{pool}") call.names.pool = original[i];
    else if (part == "{machine}") call.machine = original[i];
    else if (part == "{location}") call.location = original[i];
    else if (part == "{operation}") call.operation = original[i];
    else if (part == "{role}") call.role = original[i];
    else if (part != path[i]) return false;
    ++i;
  }
  return i == path.size();
}

std::string Verbs(std::span<const Route> routes, std::string_view pattern) {
  std::string verbs;
  for (const Route& route : routes) {
    if (route.pattern != pattern) continue;
    if (!verbs.empty()) verbs += ", ";
    verbs += std::string(boost::beast::http::to_string(route.verb));
  }
  return verbs;
}

HttpResponse Dispatch(std::span<const Route> routes, std::span<const Refusal> refusals,
                      const ArmCall& call, std::size_t skip) {
  const auto& request = call.request;
  const std::span<const std::string> path(request.lower_segments.begin() + skip,
                                          request.lower_segments.end());
  const std::span<const std::string> original(request.segments.begin() + skip,
                                              request.segments.end());
  const Route* same_path = nullptr;
  for (const Route& route : routes) {
    ArmCall attempt = call;
    if (!Match(route.pattern, path, original, attempt)) continue;
    if (route.verb != request.http.method()) {
      same_path = &route;
      continue;
    }
    if (route.needs && !resources::Supports(call.api_version, *route.needs)) {
      return ArmErrorResponse(request.http, HttpStatus::bad_request, "NoRegisteredProviderFound",
                              resources::UnsupportedMessage(call.api_version, *route.needs));
    }
    ArmAnswer answer = route.handle(attempt);
    if (!answer) return ArmErrorResponse(request.http, answer.error());
    return std::move(answer).value();
  }
  for (const Refusal& refusal : refusals) {
    ArmCall attempt = call;
    if (!Match(refusal.pattern, path, original, attempt) || refusal.verb != request.http.method())
      continue;
    std::string_view operation = refusal.pattern;  // its last literal segment names it
    while (operation.ends_with('}')) operation = operation.substr(0, operation.rfind('/'));
    operation = operation.substr(operation.rfind('/') + 1);
    return ArmErrorResponse(request.http, HttpStatus::bad_request, "OperationNotSupported",
                            std::string(refusal.why) + "'" + std::string(operation) +
                                "' is not supported.");
  }
  if (same_path) {
    return ArmErrorResponse(request.http, HttpStatus::method_not_allowed, "MethodNotAllowed",
                            "This resource takes " + Verbs(routes, same_path->pattern) + ".");
  }
  return ArmErrorResponse(request.http, HttpStatus::not_found, "NotFound",
                          "No Microsoft.ContainerService resource or operation at this path.");
}

}  // namespace

HttpResponse HandleContainerService(const ApiRequest& request, const HandlerContext& context) {
  ArmCall call{request, context, {}, request.Query("api-version").value_or(""), {}, {}, {}, {}};
  call.names.subscription = request.segments[1];
  // /subscriptions/S/providers/Microsoft.ContainerService/… (4 segments before the routes)
  if (request.lower_segments[2] == "providers") return Dispatch(kSubscriptionRoutes, {}, call, 4);
  // /subscriptions/S/resourceGroups/G/providers/Microsoft.ContainerService/… (6)
  call.names.group = request.segments[3];
  return Dispatch(kGroupRoutes, kGroupRefusals, call, 6);
}

}  // namespace gangplank::api
