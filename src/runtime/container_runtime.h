// Local nodes as containers: each node is its own machine, started by runc (the OCI runtime AKS
// nodes run their containers with) from an overlay on a node image — its own root file system,
// /etc/passwd, PID, UTS (hostname = the machine name), IPC, mount and cgroup namespaces, and a
// network namespace with one address on the control plane's node bridge. The node agent is the
// container's first process; it reaches the control plane through the node gateway's socket,
// bind-mounted read-only. Nodes are not gangplankd's children: they keep running when it stops,
// and a restarted gangplankd adopts them (runc's state and the init's cgroup).
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <sys/types.h>
#include <string>
#include <thread>

#include "runtime/node_image_builder.h"
#include "runtime/node_network.h"
#include "runtime/node_runtime.h"

namespace gangplank::runtime {

struct ContainerRuntimeOptions {
  std::filesystem::path nodes_dir;      // NODES_DIR/<uid> per node; NODES_DIR/control the socket
  NodeImageBuilder* images = nullptr;   // the root file systems
  NodeNetwork network;
  std::string runc = "/usr/sbin/runc";
  long long memory_limit_bytes = 256ll << 20;  // per node (cgroup), so one node cannot starve the host
  int pids_limit = 512;
  // The largest disk a node gets (a pool's osDiskSizeGB above it is cut to it): what one node
  // can take of the host's disk.
  long long max_disk_bytes = 8ll << 30;
};

class ContainerRuntime final : public NodeRuntime {
 public:
  explicit ContainerRuntime(ContainerRuntimeOptions options);

  // Starts the node unless it runs on `node.reimage_generation`. A new generation is a new
  // machine: the old container, its processes and its disk (the overlay's upper layer) are gone
  // first, and the new one starts from the image named in `node`. A node that stopped (killed,
  // host rebooted) on the same generation starts again with its disk, as a VM would.
  Status Ensure(const NodeLaunch& node, const Fence& fence = {}) override;
  // It runs `generation`'s container and its token file is not due for rewriting.
  bool Settled(const NodeLaunch& node) override;
  // Ends every process of the node and removes its container, overlay, address and directory.
  Status Remove(const std::string& uid, const Fence& fence = {}) override;
  std::vector<std::string> List() override;
  // A pidfd per node's first process, all waited on by one thread (no polling loop); an empty
  // function stops the calls.
  void WatchExits(std::function<void(const std::string& uid)> on_exit) override;
  ~ContainerRuntime() override;

  // The default place for a data dir's nodes: /var/lib/gangplank/nodes/<hash of the data dir>.
  static std::filesystem::path DefaultNodesDir(const std::string& data_dir);
  // The place replicas of one shared store share on a host: /var/lib/gangplank/nodes/<bridge>.
  static std::filesystem::path SharedNodesDir(const std::string& bridge);
  // Stops every node under `nodes_dir`, keeping their disks (gangplankd stop-nodes); returns how
  // many there were.
  static int StopAll(const std::filesystem::path& nodes_dir, const std::string& runc = "/usr/sbin/runc");
  // Stops and removes every node and then `nodes_dir` (stop-nodes --remove).
  static Status RemoveAll(const std::filesystem::path& nodes_dir,
                          const std::string& runc = "/usr/sbin/runc");

 private:
  std::filesystem::path NodeDir(const std::string& uid) const { return options_.nodes_dir / uid; }
  // The steps of Ensure that make a new machine's disk and start its container; each step that
  // changes the host asks the fence first.
  Status Prepare(const NodeLaunch& node, const std::string& image, const Fence& fence);
  Status Start(const NodeLaunch& node, const std::filesystem::path& lower, const Fence& fence);
  Status EnsureNodeNetns(const NodeLaunch& node, const std::filesystem::path& dir,
                         const Fence& fence);
  // Lets the node reach its cluster's nodes (and records it); takes that back at removal.
  Status Admit(const NodeLaunch& node);
  void Forget(const std::string& uid);

  // One lock per node: different nodes start and stop side by side.
  std::shared_ptr<std::mutex> NodeLock(const std::string& uid);
  // The first process of a node this process started or adopted (pid -1: forget it), and whether
  // that same process still runs on `generation`.
  void Remember(const std::string& uid, pid_t pid, std::int64_t generation);
  bool StillRunning(const std::string& uid, std::int64_t generation);

  // An open pidfd, closed with its last owner (the map entry, or the watcher while it waits).
  struct PidFd {
    int fd = -1;
    explicit PidFd(int f) : fd(f) {}
    ~PidFd();
    PidFd(const PidFd&) = delete;
    PidFd& operator=(const PidFd&) = delete;
  };
  struct Running {
    pid_t pid = -1;
    std::int64_t generation = 0;
    long long started = 0;  // its start time (ProcessStartTicks)
    std::shared_ptr<PidFd> exit;  // readable once the process has exited
  };
  void WatchLoop();
  void WakeWatcher();

  ContainerRuntimeOptions options_;
  std::mutex mutex_;  // guards node_locks_ and running_
  std::map<std::string, std::shared_ptr<std::mutex>> node_locks_;
  std::map<std::string, Running> running_;
  std::mutex callback_mutex_;  // held while on_exit_ runs or changes
  std::function<void(const std::string&)> on_exit_;
  int wake_fd_ = -1;  // an eventfd: the set of pidfds changed, or the watcher is to stop
  std::atomic<bool> stopping_{false};
  std::thread watcher_;
};

}  // namespace gangplank::runtime
