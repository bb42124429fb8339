// The Kubernetes versions Gangplank reports for clusters and pools. It runs no Kubernetes: the
// version is a label clients set and check (kubernetesVersions, orchestrators, upgrade profiles),
// so one table says which exist, which is the default and which each can move to.
#pragma once

#include <span>
#include <string_view>

namespace gangplank::resources {

struct KubernetesVersion {
  std::string_view version;  // major.minor.patch
  bool is_default = false;
  bool is_preview = false;
};

// Oldest first; every later version is an upgrade of an earlier one.
std::span<const KubernetesVersion> KubernetesVersions();
std::string_view DefaultKubernetesVersion();

}  // namespace gangplank::resources
