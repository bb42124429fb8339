// Supported api-versions: what the reference clients (az 2.45, azure-mgmt-containerservice) send.
#include "api/api_versions.h"

#include <array>
#include <span>

namespace gangplank::api {
namespace {

constexpr std::array<std::string_view, 5> kSubscriptions = {
    "2016-06-01", "2019-06-01", "2019-11-01", "2020-01-01", "2022-12-01"};
constexpr std::array<std::string_view, 5> kResourceGroups = {
    "2019-07-01", "2020-06-01", "2021-04-01", "2022-09-01", "2023-07-01"};
constexpr std::array<std::string_view, 2> kContainerService = {"2022-09-01", "2022-11-01"};

std::span<const std::string_view> Supported(ApiSurface surface) {
  switch (surface) {
    case ApiSurface::kSubscriptions:
      return kSubscriptions;
    case ApiSurface::kResourceGroups:
      return kResourceGroups;
    case ApiSurface::kContainerService:
      return kContainerService;
  }
  return {};
}

std::string Joined(std::span<const std::string_view> versions) {
  std::string out;
  for (std::string_view v : versions) {
    if (!out.empty()) out += ", ";
    out += v;
  }
  return out;
}

}  // namespace

Status CheckApiVersion(ApiSurface surface, std::string_view api_version, bool present) {
  const auto supported = Supported(surface);
  if (!present || api_version.empty()) {
    return MakeError(StatusCode::kInvalidArgument, "MissingApiVersionParameter",
                     "The api-version query parameter (?api-version=) is required for all "
                     "requests. Supported versions: " +
                         Joined(supported));
  }
  for (std::string_view v : supported) {
    if (v == api_version) return OkStatus();
  }
  return MakeError(StatusCode::kInvalidArgument, "InvalidApiVersionParameter",
                   "The api-version '" + std::string(api_version.substr(0, 32)) +
                       "' is not supported. Supported versions: " + Joined(supported));
}

}  // namespace gangplank::api
