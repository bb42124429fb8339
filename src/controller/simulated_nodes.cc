// Simulated nodes: the desired state, reported back as the node's status.
#include "controller/simulated_nodes.h"

#include "resources/machine_store.h"

namespace gangplank::controller {

SimulatedNodeRuntime::SimulatedNodeRuntime(store::Store& store, const Clock& clock)
    : store_(store), clock_(clock) {}

Status SimulatedNodeRuntime::Ensure(const runtime::NodeLaunch& node, const runtime::Fence& fence) {
  // The machine as it is now, not as the caller read it: a report is about the newest model.
  auto machine = resources::GetMachine(store_, node.machine_id, resources::MachineDetail::kStatus);
  if (!machine) return machine.error();
  // Gone or provisioned anew: the node controller removes this node.
  if (!machine->has_value() || (*machine)->uid != node.uid) return OkStatus();
  const resources::Machine& current = **machine;
  const bool ready = resources::NodeReady(current);
  if (ready && Holds(node.uid)) return OkStatus();  // nothing to act on
  GP_RETURN_IF_ERROR(runtime::CheckFence(fence, "starting node " + node.uid));
  {
    std::lock_guard lock(mutex_);
    nodes_.insert(node.uid);
  }
  if (ready) return OkStatus();
  protocol::NodeStatus status;
  status.applied_model_version = current.desired.model_version;
  status.image_version = current.desired.image_version;
  status.reimage_generation = current.desired.reimage_generation;
  status.ssh_enabled = current.desired.ssh_enabled;
  status.entra_id = current.desired.entra_id;
  status.sshd_health = current.desired.SettledHealth();
  status.message = "simulated node (gangplankd --nodes simulated): no sshd runs";
  return resources::RecordNodeReport(store_, current.row.id, current.uid, status, {}, "", clock_);
}

bool SimulatedNodeRuntime::Settled(const runtime::NodeLaunch& node) {
  if (!Holds(node.uid)) return false;
  auto machine = resources::GetMachine(store_, node.machine_id, resources::MachineDetail::kStatus);
  return machine && machine->has_value() && (*machine)->uid == node.uid &&
         resources::NodeReady(**machine);
}

bool SimulatedNodeRuntime::Holds(const std::string& uid) {
  std::lock_guard lock(mutex_);
  return nodes_.contains(uid);
}

Status SimulatedNodeRuntime::Remove(const std::string& uid, const runtime::Fence&) {
  std::lock_guard lock(mutex_);
  nodes_.erase(uid);
  return OkStatus();
}

std::vector<std::string> SimulatedNodeRuntime::List() {
  std::lock_guard lock(mutex_);
  return {nodes_.begin(), nodes_.end()};
}

}  // namespace gangplank::controller
