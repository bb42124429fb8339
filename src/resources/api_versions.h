// The api-versions Gangplank answers, and what each Microsoft.ContainerService version brings: one
// table that the router (which versions exist, which routes a version has), the handlers (what a
// request may set) and the views (what a response shows) all read.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "common/error.h"

namespace gangplank::resources {

enum class ApiSurface {
  kSubscriptions,
  kResourceGroups,
  kContainerService,
  kAuthorization,
  kInsights
};

// What a Microsoft.ContainerService api-version brings that Gangplank acts on or shows.
enum class Feature {
  kUpgradeNodeImage,    // agentPools/{p}/upgradeNodeImageVersion
  kStartStop,           // managedClusters/{c}/stop and /start
  kAbort,               // managedClusters/{c}/abort, agentPools/{p}/abort
  kKubernetesVersions,  // locations/{l}/kubernetesVersions
  kMachines,            // agentPools/{p}/machines[/{m}]
  kDeleteMachines,      // agentPools/{p}/deleteMachines
  kPoolSshAccess,       // agentPool securityProfile.sshAccess: LocalUser | Disabled
  kEntraIdSshAccess,    // securityProfile.sshAccess: EntraId (refused: Gangplank has no Entra ID)
  kRotateCertificates,  // managedClusters/{c}/rotateClusterCertificates
  kOsOptions,           // locations/{l}/osOptions/default (removed after 2024-02-01)
};

// InvalidArgument with ARM's MissingApiVersionParameter / InvalidApiVersionParameter reasons,
// naming the newest supported versions.
Status CheckApiVersion(ApiSurface surface, std::string_view api_version, bool present);

// Every version a surface answers, oldest first.
std::span<const std::string_view> SupportedVersions(ApiSurface surface);

// True when `api_version` (a supported Microsoft.ContainerService version) has `feature`.
bool Supports(std::string_view api_version, Feature feature);
// Why a request at `api_version` cannot use `feature`, and the first versions that have it.
std::string UnsupportedMessage(std::string_view api_version, Feature feature);

// The newest stable Microsoft.ContainerService version (what Gangplank's own CLI sends).
std::string_view NewestStableContainerService();

}  // namespace gangplank::resources
