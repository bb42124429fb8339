// Row kinds and operation types of managed clusters, agent pools and resource groups, and the
// accessors that read pool rows; shared by the API handlers and the controllers.
#pragma once

#include <boost/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "resources/pool_spec.h"
#include "resources/records.h"
#include "store/store.h"

namespace gangplank::resources {

// Row kinds (clusters and pools: records.h; machines: machine.h).
inline constexpr std::string_view kGroupKind = "resourceGroup";

// Operation types (runners in controller/pool_runners.cc).
inline constexpr const char* kPutCluster = "PutManagedCluster";
inline constexpr const char* kDeleteCluster = "DeleteManagedCluster";
inline constexpr const char* kPutPool = "PutAgentPool";
inline constexpr const char* kDeletePool = "DeleteAgentPool";
inline constexpr const char* kUpgradeImage = "UpgradeNodeImageVersion";
inline constexpr const char* kAbortType = "AbortLatestOperation";
inline constexpr const char* kDeleteGroup = "DeleteResourceGroup";

// The cluster a cluster or pool id belongs to (the id itself for a cluster).
std::string ClusterIdOf(const std::string& id);

// The ARM agent pool of a pool row (empty when the row cannot be read).
boost::json::object PoolView(const store::Resource& row);
Result<std::vector<store::Resource>> PoolsOf(store::Store& store, const std::string& cluster_id);

}  // namespace gangplank::resources
