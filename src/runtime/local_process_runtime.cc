// Local node processes: detached gangplank-node agents, found again through their pid files.
#include "runtime/local_process_runtime.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "common/file_io.h"
#include "common/process.h"

namespace gangplank::runtime {
namespace fs = std::filesystem;

namespace {

bool IsNodeUid(const std::string& uid) {
  return !uid.empty() && uid.size() <= 64 &&
         uid.find_first_not_of("0123456789abcdef-") == std::string::npos;
}

// SIGTERM, up to 2 s, then SIGKILL; the process is not our child, so we poll for it to go.
void StopProcess(pid_t pid) {
  if (pid <= 1) return;
  ::kill(pid, SIGTERM);
  for (int i = 0; i < 200; ++i) {
    if (!ProcessAlive(pid)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid, SIGKILL);
  for (int i = 0; i < 100 && ProcessAlive(pid); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

std::string AgentMarker(const fs::path& dir) { return "--node-dir " + dir.string(); }
std::string SshdMarker(const fs::path& dir) { return (dir / "ssh" / "sshd_config").string(); }

void StopNodeProcesses(const fs::path& dir) {
  StopProcess(
      LivePidFromFile(dir / "agent.pid", {AgentMarker(dir)}));  // first, so it restarts nothing
  // Every sshd of this node, not only the one its pid file names: an agent stopped while it was
  // restarting sshd leaves one whose pid file was never written.
  for (const pid_t pid : PidsWithCommandLine({SshdMarker(dir)})) StopProcess(pid);
}

const fs::path kDefaultNodesRoot = "/var/lib/gangplank/nodes";

// Removes `nodes_dir` when it is empty, and then the default root's directories when they are:
// the last node of a data dir leaves nothing behind. A directory something else uses stays.
void RemoveEmptyNodeDirectories(const fs::path& nodes_dir) {
  std::error_code ignored;  // not empty, or gone already: either way nothing to do
  fs::remove(nodes_dir, ignored);
  if (fs::exists(nodes_dir, ignored)) return;
  if (nodes_dir.parent_path() != kDefaultNodesRoot) return;
  if (fs::remove(kDefaultNodesRoot, ignored)) fs::remove(kDefaultNodesRoot.parent_path(), ignored);
}

Status RemoveTree(const fs::path& dir) {
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (!ec) return OkStatus();
  return MakeError(StatusCode::kUnavailable, "NodeRemoveFailed",
                   "cannot remove " + dir.string() + ": " + ec.message());
}

}  // namespace

LocalProcessRuntime::LocalProcessRuntime(LocalRuntimeOptions options)
    : options_(std::move(options)) {}

fs::path LocalProcessRuntime::DefaultNodesDir(const std::string& data_dir) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  const std::string absolute = fs::absolute(data_dir).lexically_normal().string();
  EVP_Digest(absolute.data(), absolute.size(), digest, &length, EVP_sha256(), nullptr);
  char hex[13];
  for (int i = 0; i < 6; ++i) std::snprintf(hex + 2 * i, 3, "%02x", digest[i]);
  return kDefaultNodesRoot / hex;
}

Status LocalProcessRuntime::Ensure(const NodeLaunch& node) {
  if (::geteuid() != 0) {
    return MakeError(StatusCode::kFailedPrecondition, "LocalNodesNeedRoot",
                     "local nodes need root: each runs sshd on port 22 of its own loopback "
                     "address and lets in a real admin user; run gangplankd as root");
  }
  if (!IsNodeUid(node.uid)) {
    return MakeError(StatusCode::kInvalidArgument, "InvalidNodeUid", "node uid is not a uuid");
  }
  std::lock_guard lock(mutex_);
  const fs::path dir = NodeDir(node.uid);
  if (LivePidFromFile(dir / "agent.pid", {AgentMarker(dir)}) > 0) return OkStatus();
  for (const fs::path& path : {options_.nodes_dir, dir}) {
    if (Status made = EnsureDirectory(path, 0755); !made.ok()) return made;
  }
  if (Status logs = EnsureDirectory(dir / "logs", 0700); !logs.ok()) return logs;
  if (Status token = WriteFileAtomically(dir / "token", node.token, 0600, IfExists::kReplace);
      !token.ok())
    return token;
  if (Status machine =
          WriteFileAtomically(dir / "machine", node.machine_id + "\n", 0644, IfExists::kReplace);
      !machine.ok())
    return machine;

  const std::vector<std::string> argv = {
      options_.agent_path, "--server",     options_.server_url,      "--ca-file",
      options_.ca_file,    "--token-file", (dir / "token").string(), "--node-dir",
      dir.string()};
  // Nobody's child, like a VM: it outlives gangplankd, and nothing of gangplankd's (its
  // listening socket!) leaks into it.
  auto pid = SpawnDetached(argv, (dir / "logs" / "agent.out").string());
  if (!pid) return pid.error();
  return WriteFileAtomically(dir / "agent.pid", std::to_string(*pid), 0644, IfExists::kReplace);
}

Status LocalProcessRuntime::Remove(const std::string& uid) {
  if (!IsNodeUid(uid)) return OkStatus();
  std::lock_guard lock(mutex_);
  const fs::path dir = NodeDir(uid);
  StopNodeProcesses(dir);
  if (Status removed = RemoveTree(dir); !removed.ok()) return removed;
  RemoveEmptyNodeDirectories(options_.nodes_dir);  // Ensure makes it again for the next node
  return OkStatus();
}

std::vector<std::string> LocalProcessRuntime::List() {
  std::vector<std::string> uids;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(options_.nodes_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_directory() && IsNodeUid(name)) uids.push_back(name);
  }
  return uids;
}

int LocalProcessRuntime::StopAll(const fs::path& nodes_dir) {
  int stopped = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(nodes_dir, ec)) {
    if (!entry.is_directory() || !IsNodeUid(entry.path().filename().string())) continue;
    StopNodeProcesses(entry.path());
    ++stopped;
  }
  return stopped;
}

Status LocalProcessRuntime::RemoveAll(const fs::path& nodes_dir) {
  StopAll(nodes_dir);
  if (Status removed = RemoveTree(nodes_dir); !removed.ok()) return removed;
  RemoveEmptyNodeDirectories(nodes_dir);
  return OkStatus();
}

}  // namespace gangplank::runtime
