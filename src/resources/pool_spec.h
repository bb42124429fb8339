// Agent pools as requests give them: decoded and checked once (PoolSpec), then planned against
// what is stored (PlanPoolPut) into the writes that make them so. Pure: no store, no clock.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "resources/records.h"
#include "resources/resource_names.h"
#include "store/store.h"

namespace gangplank::resources {

inline constexpr std::string_view kPoolType = "Microsoft.ContainerService/managedClusters/agentPools";

// The newest node image of an OS SKU: new pools and new nodes start from it.
using LatestImage = std::function<std::string(const std::string& os_sku)>;

// AKS agent pool names: ^[a-z][a-z0-9]{0,11}$.
bool IsValidPoolName(std::string_view name);

// Checks one agent pool's properties (osType, osSKU, type, mode, count, sshAccess, powerState,
// maxSurge) and fills what AKS fills when they are left out. `path` prefixes error targets
// ("properties" or "properties.agentPoolProfiles[0]").
Status ValidatePoolProperties(boost::json::object& properties, const std::string& path);

// How many nodes an upgrade of a `count`-node pool may add at once: upgradeSettings.maxSurge as a
// node count ("3") or a percentage of the pool rounded up ("33%"), at least 1; default 10%.
Result<int> SurgeOf(const boost::json::object& pool_properties, int count);

// properties.powerState.code is not "Stopped".
bool PoolRunning(const boost::json::object& pool_properties);

// The SSH access mode a pool's properties ask for: LocalUser (default) or Disabled.
std::string SshAccessOf(const boost::json::object& properties);
// securityProfile.sshAccess as the request gave it, or `fallback` when it gave none (a client
// that does not know the field keeps the pool's access mode).
std::string SshAccessOr(const boost::json::object& properties, std::string_view fallback);

// A string member, or `fallback` when absent or not a string.
std::string StringOr(const boost::json::object& object, std::string_view key,
                     std::string_view fallback);


// One pool as a request gives it: in the newest api-version's shape, the read-only fields
// dropped, every field checked on its own (a bad field is a 400 whatever is stored).
struct PoolSpec {
  std::string name;
  boost::json::object properties;
};
Result<PoolSpec> DecodePoolSpec(std::string_view name, std::string_view body,
                                std::string_view api_version);

// The model of a pool made now: version 1 of the cluster's SSH model with the pool's access mode.
PoolModel NewPoolModel(const SshModel& ssh, const boost::json::object& properties);

// A pool record for `properties` (checked) with `model`, in provisioning `state`: the server's
// fields (versions, powerState, the image of a new pool) filled in.
PoolRecord PoolRow(const ResourceNames& names, boost::json::object properties,
                   const std::string& state, PoolModel model,
                   const std::string& kubernetes_version, const LatestImage& latest_image);

// The writes one request makes, and the node counts it asks for per pool id (the local-node quota
// counts them).
struct WritePlan {
  std::vector<store::Mutation> mutations;
  std::map<std::string, std::int64_t> node_counts;
  bool created = false;
};

// PUT or PATCH of one pool: merged over what the pool has, checked as a whole, its model moved on
// when its access mode changes. The cluster must still exist when it is written.
struct PoolPutInput {
  const ResourceNames& names;
  const ClusterRecord& cluster;
  const std::optional<PoolRecord>& before;
  std::size_t pools_in_cluster;
  const LatestImage& latest_image;
};
Result<WritePlan> PlanPoolPut(const PoolSpec& spec, const PoolPutInput& input);

// True when a cluster's pods take addresses from the nodes' subnet (Azure CNI without overlay):
// then a pool's default maxPods is 30, not 110.
bool AzureCni(const boost::json::object& cluster_properties);

}  // namespace gangplank::resources
