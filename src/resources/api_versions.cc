// Supported api-versions: every version the published REST specs define from 2019 on (managed
// clusters: Microsoft.ContainerService/aks/{stable,preview}; groups and subscriptions:
// Microsoft.Resources), and which Microsoft.ContainerService version brings which feature.
#include "resources/api_versions.h"

#include <algorithm>
#include <span>

namespace gangplank::resources {
namespace {

constexpr std::string_view kSubscriptions[] = {"2016-06-01",  // az's login still sends it
                                               "2019-06-01", "2019-11-01", "2020-01-01",
                                               "2021-01-01", "2022-12-01"};

constexpr std::string_view kResourceGroups[] = {
    "2019-03-01", "2019-05-01", "2019-05-10", "2019-07-01", "2019-08-01", "2019-10-01",
    "2020-06-01", "2020-08-01", "2020-10-01", "2021-01-01", "2021-04-01", "2022-09-01",
    "2023-07-01", "2024-03-01", "2024-07-01", "2024-11-01", "2025-03-01", "2025-04-01"};

// Microsoft.Authorization: role definitions and assignments (az 2.45 sends 2018-01-01-preview for
// definitions and 2020-04-01-preview for assignments; the SDKs newer ones).
constexpr std::string_view kAuthorization[] = {
    "2015-07-01",         "2018-01-01-preview", "2018-07-01",         "2018-09-01-preview",
    "2020-03-01-preview", "2020-04-01-preview", "2020-08-01-preview", "2020-10-01-preview",
    "2021-04-01-preview", "2022-01-01-preview", "2022-04-01",         "2022-05-01-preview"};

// Microsoft.Insights' activity log (eventtypes/management/values): one version, az's.
constexpr std::string_view kInsights[] = {"2015-04-01"};

// Sorted by date; a preview sorts after the stable version of the same month.
constexpr std::string_view kContainerService[] = {
    "2019-02-01",         "2019-04-01",         "2019-06-01",         "2019-08-01",
    "2019-10-01",         "2019-11-01",         "2020-01-01",         "2020-02-01",
    "2020-03-01",         "2020-04-01",         "2020-06-01",         "2020-07-01",
    "2020-09-01",         "2020-11-01",         "2020-12-01",         "2021-02-01",
    "2021-03-01",         "2021-05-01",         "2021-07-01",         "2021-08-01",
    "2021-09-01",         "2021-10-01",         "2021-11-01-preview", "2022-01-01",
    "2022-01-02-preview", "2022-02-01",         "2022-02-02-preview", "2022-03-01",
    "2022-03-02-preview", "2022-04-01",         "2022-04-02-preview", "2022-05-02-preview",
    "2022-06-01",         "2022-06-02-preview", "2022-07-01",         "2022-07-02-preview",
    "2022-08-02-preview", "2022-08-03-preview", "2022-09-01",         "2022-09-02-preview",
    "2022-10-02-preview", "2022-11-01",         "2022-11-02-preview", "2023-01-01",
    "2023-01-02-preview", "2023-02-01",         "2023-02-02-preview", "2023-03-01",
    "2023-03-02-preview", "2023-04-01",         "2023-04-02-preview", "2023-05-01",
    "2023-05-02-preview", "2023-06-01",         "2023-06-02-preview", "2023-07-01",
    "2023-07-02-preview", "2023-08-01",         "2023-08-02-preview", "2023-09-01",
    "2023-09-02-preview", "2023-10-01",         "2023-10-02-preview", "2023-11-01",
    "2023-11-02-preview", "2024-01-01",         "2024-01-02-preview", "2024-02-01",
    "2024-02-02-preview", "2024-03-02-preview", "2024-04-02-preview", "2024-05-01",
    "2024-05-02-preview", "2024-06-02-preview", "2024-07-01",         "2024-07-02-preview",
    "2024-08-01",         "2024-09-01",         "2024-09-02-preview", "2024-10-01",
    "2024-10-02-preview", "2025-01-01",         "2025-01-02-preview", "2025-02-01",
    "2025-02-02-preview", "2025-03-01",         "2025-03-02-preview", "2025-04-01",
    "2025-04-02-preview", "2025-05-01",         "2025-05-02-preview", "2025-06-01",
    "2025-06-02-preview", "2025-07-01",         "2025-07-02-preview", "2025-08-01",
    "2025-08-02-preview", "2025-09-01",         "2025-09-02-preview", "2025-10-01",
    "2025-10-02-preview", "2026-01-01",         "2026-01-02-preview", "2026-02-01",
    "2026-02-02-preview", "2026-03-01",         "2026-03-02-preview", "2026-04-01",
    "2026-04-02-preview", "2026-05-01",         "2026-05-02-preview", "2026-06-01",
    "2026-06-02-preview", "2026-07-01",         "2026-07-02-preview", "2026-08-01",
    "2026-08-02-preview"};

// Which versions bring a feature: every stable version from `stable` on, every preview from
// `preview` on (and from `stable` on: a preview carries what the stable before it has); up to
// `stable_until` and `preview_until` when newer versions dropped it.
struct FeatureSince {
  Feature feature;
  std::string_view stable;              // empty: no stable version has it
  std::string_view preview;             // empty: only stable versions bring it
  std::string_view what;                // for error messages
  std::string_view stable_until = {};   // the last stable version that has it; empty: all since
  std::string_view preview_until = {};  // the last preview that has it; empty: all since
};

constexpr FeatureSince kFeatures[] = {
    {Feature::kUpgradeNodeImage, "2020-07-01", "2021-11-01-preview", "node image upgrades"},
    {Feature::kRotateCertificates, "2020-07-01", "2021-11-01-preview",
     "rotating cluster certificates"},
    {Feature::kStartStop, "2020-09-01", "2021-11-01-preview", "stopping and starting clusters"},
    {Feature::kAbort, "2023-01-01", "2022-07-02-preview", "aborting the latest operation"},
    {Feature::kKubernetesVersions, "2023-03-01", "2023-03-02-preview",
     "listing Kubernetes versions"},
    {Feature::kMachines, "2024-07-01", "2023-07-02-preview", "the machines of an agent pool"},
    {Feature::kDeleteMachines, "2024-07-01", "2023-10-02-preview",
     "deleting machines of an agent pool"},
    {Feature::kPoolSshAccess, "2025-09-01", "2023-07-02-preview",
     "securityProfile.sshAccess on agent pools"},
    {Feature::kEntraIdSshAccess, "2026-06-01", "2025-08-02-preview",
     "securityProfile.sshAccess EntraId"},
    // ManagedClusters_GetOSOptions: in the specs of 2021-03-01 to 2024-02-01 and of
    // 2021-11-01-preview to 2024-05-02-preview; newer versions dropped it.
    {Feature::kOsOptions, "2021-03-01", "2021-11-01-preview", "the OS options of a location",
     "2024-02-01", "2024-05-02-preview"},
};

}  // namespace

std::span<const std::string_view> SupportedVersions(ApiSurface surface) {
  switch (surface) {
    case ApiSurface::kSubscriptions:
      return kSubscriptions;
    case ApiSurface::kResourceGroups:
      return kResourceGroups;
    case ApiSurface::kContainerService:
      return kContainerService;
    case ApiSurface::kAuthorization:
      return kAuthorization;
    case ApiSurface::kInsights:
      return kInsights;
  }
  return {};
}

namespace {

// The newest stable and newest preview versions, for error messages (the full list is long).
std::string Newest(std::span<const std::string_view> versions) {
  std::string_view stable, preview;
  for (std::string_view v : versions) (v.ends_with("-preview") ? preview : stable) = v;
  std::string out =
      "every version from " + std::string(versions.front()) + " to " + std::string(stable);
  if (!preview.empty()) out += " and previews up to " + std::string(preview);
  return out;
}

const FeatureSince& Row(Feature feature) {
  return *std::find_if(std::begin(kFeatures), std::end(kFeatures),
                       [&](const FeatureSince& row) { return row.feature == feature; });
}

std::string_view Date(std::string_view version) { return version.substr(0, 10); }

}  // namespace

Status CheckApiVersion(ApiSurface surface, std::string_view api_version, bool present) {
  const auto supported = SupportedVersions(surface);
  if (!present || api_version.empty()) {
    return MakeError(StatusCode::kInvalidArgument, "MissingApiVersionParameter",
                     "The api-version query parameter (?api-version=) is required for all "
                     "requests. Supported versions: " +
                         Newest(supported) + ".");
  }
  if (std::find(supported.begin(), supported.end(), api_version) != supported.end())
    return OkStatus();
  return MakeError(StatusCode::kInvalidArgument, "InvalidApiVersionParameter",
                   "The api-version '" + std::string(api_version.substr(0, 32)) +
                       "' is not supported. Supported versions: " + Newest(supported) + ".");
}

bool Supports(std::string_view api_version, Feature feature) {
  const FeatureSince& row = Row(feature);
  const std::string_view date = Date(api_version);
  const bool since_stable = !row.stable.empty() && date >= row.stable;
  if (!api_version.ends_with("-preview"))
    return since_stable && (row.stable_until.empty() || date <= row.stable_until);
  if (!row.preview_until.empty() && date > Date(row.preview_until)) return false;
  return since_stable || (!row.preview.empty() && date >= Date(row.preview));
}

std::string UnsupportedMessage(std::string_view api_version, Feature feature) {
  const FeatureSince& row = Row(feature);
  std::string message = "api-version " + std::string(api_version.substr(0, 32)) +
                        " does not have " + std::string(row.what) + "; use api-version " +
                        std::string(row.stable);
  message += row.stable_until.empty() ? " or later" : " to " + std::string(row.stable_until);
  if (!row.preview.empty()) {
    message += " (or " + std::string(row.preview) +
               (row.preview_until.empty() ? " or a later preview"
                                          : " to " + std::string(row.preview_until)) +
               ")";
  }
  return message + ".";
}

std::string_view NewestStableContainerService() {
  const auto stable = std::find_if(std::rbegin(kContainerService), std::rend(kContainerService),
                                   [](std::string_view v) { return !v.ends_with("-preview"); });
  return *stable;
}

}  // namespace gangplank::resources
