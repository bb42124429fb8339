// The stored documents of managed clusters, agent pools and machines (row kinds, the SSH model,
// small accessors), shared by the API handlers and the controllers.
#pragma once

#include <boost/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "resources/machine.h"
#include "resources/records.h"
#include "store/store.h"

namespace gangplank::controller {

// Row kinds. Cluster rows: {"resource": ARM resource without agentPoolProfiles, "ssh": SSH model}.
// Pool rows: {"resource": ARM agent pool, "model": {"version", "adminUsername", "publicKeys",
// "sshAccess", "serviceGenerated"}}. Machine rows: see machines.h.
using resources::kClusterKind;
using resources::kPoolKind;
using resources::kMachineKind;
inline constexpr std::string_view kPoolType = "Microsoft.ContainerService/managedClusters/agentPools";
inline constexpr std::string_view kMachineType =
    "Microsoft.ContainerService/managedClusters/agentPools/machines";

// Operation types (runners in pool_runners.cc).
inline constexpr const char* kPutCluster = "PutManagedCluster";
inline constexpr const char* kDeleteCluster = "DeleteManagedCluster";
inline constexpr const char* kPutPool = "PutAgentPool";
inline constexpr const char* kDeletePool = "DeleteAgentPool";
inline constexpr const char* kUpgradeImage = "UpgradeNodeImageVersion";
inline constexpr const char* kAbort = "AbortLatestOperation";
inline constexpr const char* kDeleteGroup = "DeleteResourceGroup";
inline constexpr std::string_view kGroupKind = "resourceGroup";

// The cluster a cluster or pool id belongs to (the id itself for a cluster).
std::string ClusterIdOf(const std::string& id);

using resources::SshFromJson;
using resources::SshJson;
using resources::SshModel;

// The ARM agent pool of a pool row.
boost::json::object PoolView(const store::Resource& row);
Result<std::vector<store::Resource>> PoolsOf(store::Store& store, const std::string& cluster_id);

// The SSH access mode a pool's properties ask for: LocalUser (default) or Disabled.
std::string SshAccessOf(const boost::json::object& properties);
// securityProfile.sshAccess as the request gave it, or `fallback` when it gave none (a client
// that does not know the field keeps the pool's access mode).
std::string SshAccessOr(const boost::json::object& properties, std::string_view fallback);

// A string member, or `fallback` when absent or not a string.
std::string StringOr(const boost::json::object& object, std::string_view key,
                     std::string_view fallback);

}  // namespace gangplank::controller
