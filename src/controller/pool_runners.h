// The long-running operations on clusters and pools: they bring the machines to the pool's count
// and model, wait (without blocking the engine) until every node reports it, and then mark the
// resource Succeeded.
#pragma once

#include <chrono>

#include "common/clock.h"
#include "controller/operations.h"
#include "resources/node_images.h"

namespace gangplank::controller {

using resources::NodeImageCatalog;

// The runners wait for nodes to report what they run, whatever the runtime behind them (real
// nodes, or controller/simulated_nodes.h).
struct ClusterRunnerOptions {
  std::chrono::seconds node_timeout{120};  // a node not ready this long after a change fails
  std::chrono::milliseconds poll{100};     // how often a waiting operation looks again
  std::string address_prefix = "127.42";   // node addresses come from PREFIX.0.0/16
};

void RegisterClusterRunners(OperationsEngine& operations, NodeImageCatalog& images,
                            const Clock& clock, ClusterRunnerOptions options);

}  // namespace gangplank::controller
