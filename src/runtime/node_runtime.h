// The node runtime seam: how the control plane makes a node exist. Local nodes are runc
// containers (container_runtime.h); a VM runtime would implement the same calls.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/error.h"

namespace gangplank::runtime {

struct NodeLaunch {
  std::string uid;         // names the node for the runtime (its directory, for local nodes)
  std::string machine_id;  // the ARM machine it is
  // Issues the credential its agent presents to the control plane. Asked only when the runtime
  // writes one (a start, a token file due for renewal): a look at a running node signs nothing.
  std::function<std::string()> token;
  std::string hostname;    // the node's name (aks-POOL-NNNNNNNN-vmssNNNNNN)
  std::string address;     // its address on the node network
  std::string image_version;           // the node image it is made from
  std::int64_t reimage_generation = 0;  // a new generation is a new node from a fresh image
  long long disk_bytes = 0;  // the size of its disk (osDiskSizeGB); 0: the runtime's largest
};

// Asked before every step an act takes on the host: false once the caller may no longer act (the
// leader lease it acts under ran out, as when its process was paused). The act then stops where
// it is and undoes nothing: what it did is the next holder's to finish or take back. Empty:
// the caller always may (a single gangplankd, tests).
using Fence = std::function<bool()>;

// OK while `fence` lets the caller act; Aborted once it does not, naming the act it stopped.
inline Status CheckFence(const Fence& fence, const std::string& act) {
  if (!fence || fence()) return OkStatus();
  return MakeError(StatusCode::kAborted, "NodeActFenced",
                   act + " stopped: this replica no longer leads the node controller");
}

class NodeRuntime {
 public:
  virtual ~NodeRuntime() = default;
  // Starts the node's agent unless it runs; cheap when it does (called on every sync). Aborted
  // when the node already runs a newer reimage generation than asked for (a stale request).
  // A step the fence stops ends it with Aborted too.
  virtual Status Ensure(const NodeLaunch& node, const Fence& fence = {}) = 0;
  // Whether Ensure would find nothing to do: the node runs as `node` asks, started or adopted by
  // this runtime, with nothing of it due for renewal. Cheap and without side effects: a sweep
  // asks it of every node and calls Ensure for the others only.
  virtual bool Settled(const NodeLaunch& node) = 0;
  // Stops the node's agent and sshd and removes everything the node kept; done when it returns
  // OK (Aborted: the fence stopped it part way).
  virtual Status Remove(const std::string& uid, const Fence& fence = {}) = 0;
  // Every node the runtime holds (running or not), by uid.
  virtual std::vector<std::string> List() = 0;
  // From now on, `on_exit(uid)` is called (on a thread of the runtime's) as soon as a node the
  // runtime started or adopted stops by itself, not when the runtime stops it: the controller
  // learns of a dead node at once instead of at its next sweep.
  virtual void WatchExits(std::function<void(const std::string& uid)> on_exit) = 0;
};

}  // namespace gangplank::runtime
