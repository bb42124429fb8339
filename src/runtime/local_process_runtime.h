// Local nodes: one gangplank-node process per node, each in its own directory with its own
// loopback address and a real sshd on port 22. Nodes are like VMs: they are not children of
// gangplankd, keep running when it stops, and a restarted gangplankd adopts them by pid file.
#pragma once

#include <filesystem>
#include <mutex>
#include <string>

#include "runtime/node_runtime.h"

namespace gangplank::runtime {

struct LocalRuntimeOptions {
  std::filesystem::path nodes_dir;  // one directory per node; must pass sshd's StrictModes
  std::string agent_path;           // the gangplank-node binary
  std::string server_url;           // https://HOST:PORT/ the agents report to
  std::string ca_file;              // the CA agents verify the server with
};

class LocalProcessRuntime final : public NodeRuntime {
 public:
  explicit LocalProcessRuntime(LocalRuntimeOptions options);

  Status Ensure(const NodeLaunch& node) override;
  Status Remove(const std::string& uid) override;
  std::vector<std::string> List() override;

  // The default place for a data dir's nodes: /var/lib/gangplank/nodes/<hash of the data dir>
  // (a node's authorized_keys must be readable by its admin user, and the data dir usually lives
  // in root's private home).
  static std::filesystem::path DefaultNodesDir(const std::string& data_dir);
  // Stops every node under `nodes_dir` (gangplank local down); returns how many there were.
  static int StopAll(const std::filesystem::path& nodes_dir);
  // StopAll, then removes `nodes_dir` and the default parents it leaves empty.
  static Status RemoveAll(const std::filesystem::path& nodes_dir);

 private:
  std::filesystem::path NodeDir(const std::string& uid) const { return options_.nodes_dir / uid; }

  LocalRuntimeOptions options_;
  std::mutex mutex_;
};

}  // namespace gangplank::runtime
