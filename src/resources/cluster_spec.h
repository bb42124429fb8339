// Managed clusters as requests give them: decoded and checked once (ClusterSpec), then planned
// against what is stored (PlanClusterPut) into the writes of the cluster and its pools. Pure: no
// store, no clock; randomness comes from the RandomSource seam.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/random_source.h"
#include "resources/pool_spec.h"
#include "resources/records.h"
#include "resources/resource_names.h"

namespace gangplank::resources {

inline constexpr std::string_view kClusterType = "Microsoft.ContainerService/ManagedClusters";

// AKS cluster names: 1-63 letters, digits, '-' and '_', starting and ending alphanumeric.
bool IsValidClusterName(std::string_view name);

// Checks linuxProfile (adminUsername, 1-10 public keys, each checked with the sshkey library)
// into the SSH model; an absent linuxProfile gives nullopt (the caller generates a key).
Result<std::optional<SshModel>> ParseLinuxProfile(const boost::json::object& properties);

// Removes every field the AKS spec marks as a secret (x-ms-secret: the service principal's
// secret, the Windows admin password, …) from a cluster's properties: Gangplank acts on none of
// them, so they are neither stored nor returned, as AKS never returns them.
void DropSecrets(boost::json::object& properties);

// One PUT body of a managed cluster, checked on its own.
struct ClusterSpec {
  std::string location;             // as ARM spells it ("westus2")
  boost::json::object resource;     // the body as sent: tags, identity, sku, fields ARM keeps
  boost::json::object properties;   // type-checked, read-only input dropped, no pools
  std::optional<SshModel> ssh;      // linuxProfile as sent
  std::vector<PoolSpec> pools;      // agentPoolProfiles, in the newest shape, each checked alone
};
Result<ClusterSpec> DecodeClusterSpec(std::string_view name, std::string_view body,
                                      std::string_view api_version);

// What a cluster PUT is planned against.
struct ClusterPutInput {
  const ResourceNames& names;
  const std::optional<ClusterRecord>& before;
  const std::vector<PoolRecord>& pools;          // the cluster's pools as stored
  const std::optional<SshModel>& generated_ssh;  // the key of a new cluster sent without one
  const LatestImage& latest_image;
  RandomSource& random;
};

// PUT of a cluster: the request merged over what the cluster has, defaults filled, the server's
// fields computed, pools created or updated, and a changed key entered into every pool's model.
// The cluster's write comes first.
Result<WritePlan> PlanClusterPut(const ClusterSpec& spec, const ClusterPutInput& input);

}  // namespace gangplank::resources
