// The names a Microsoft.ContainerService path carries, and the ARM ids made from them.
#pragma once

#include <string>

namespace gangplank::resources {

struct ResourceNames {
  std::string subscription, group, cluster, pool;
  std::string group_id() const {
    return "/subscriptions/" + subscription + "/resourceGroups/" + group;
  }
  std::string cluster_id() const {
    return group_id() + "/providers/Microsoft.ContainerService/managedClusters/" + cluster;
  }
  std::string pool_id() const { return cluster_id() + "/agentPools/" + pool; }
};

}  // namespace gangplank::resources
