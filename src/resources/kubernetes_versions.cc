// The Kubernetes version table (kubernetes_versions.h).
#include "resources/kubernetes_versions.h"

#include <algorithm>

namespace gangplank::resources {
namespace {

constexpr KubernetesVersion kVersions[] = {
    {"1.25.6", true, false},  {"1.26.6", false, false}, {"1.27.9", false, false},
    {"1.28.9", false, false}, {"1.29.4", false, false}, {"1.30.0", false, true},
};

}  // namespace

std::span<const KubernetesVersion> KubernetesVersions() { return kVersions; }

std::string_view DefaultKubernetesVersion() {
  return std::find_if(std::begin(kVersions), std::end(kVersions),
                      [](const KubernetesVersion& v) { return v.is_default; })
      ->version;
}

}  // namespace gangplank::resources
