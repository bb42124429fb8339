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

// The pid in `pid_file` if that process is alive and its command line contains `marker`.
pid_t LivePid(const fs::path& pid_file, const std::string& marker) {
  auto text = ReadFile(pid_file, 64);
  if (!text) return -1;
  const pid_t pid = static_cast<pid_t>(std::atol(text->c_str()));
  if (pid <= 1) return -1;
  auto cmdline = ReadFile("/proc/" + std::to_string(pid) + "/cmdline", 1 << 16);
  if (!cmdline) return -1;
  for (char& c : *cmdline) {
    if (c == '\0') c = ' ';
  }
  return cmdline->find(marker) == std::string::npos ? -1 : pid;
}

// True while `pid` runs; a zombie (exited, not yet reaped by init) has stopped.
bool Alive(pid_t pid) {
  if (::kill(pid, 0) != 0) return false;
  auto stat = ReadFile("/proc/" + std::to_string(pid) + "/stat", 4096);
  if (!stat) return false;
  const std::size_t close = stat->rfind(')');  // the command name may contain spaces
  return close == std::string::npos || close + 2 >= stat->size() || (*stat)[close + 2] != 'Z';
}

// SIGTERM, up to 2 s, then SIGKILL; the process is not our child, so we poll for it to go.
void StopProcess(pid_t pid) {
  if (pid <= 1) return;
  ::kill(pid, SIGTERM);
  for (int i = 0; i < 200; ++i) {
    if (!Alive(pid)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid, SIGKILL);
  for (int i = 0; i < 100 && Alive(pid); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

std::string AgentMarker(const fs::path& dir) { return "--node-dir " + dir.string(); }
std::string SshdMarker(const fs::path& dir) { return (dir / "ssh" / "sshd_config").string(); }

void StopNodeProcesses(const fs::path& dir) {
  StopProcess(LivePid(dir / "agent.pid", AgentMarker(dir)));  // first, so it restarts nothing
  StopProcess(LivePid(dir / "sshd.pid", SshdMarker(dir)));
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
  return fs::path("/var/lib/gangplank/nodes") / hex;
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
  if (LivePid(dir / "agent.pid", AgentMarker(dir)) > 0) return OkStatus();
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
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
    return MakeError(StatusCode::kUnavailable, "NodeStartFailed", "pipe failed");
  const pid_t child = ::fork();
  if (child < 0) {
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return MakeError(StatusCode::kUnavailable, "NodeStartFailed", "fork failed");
  }
  if (child == 0) {
    // Double fork: the agent is nobody's child here, like a VM, and outlives gangplankd.
    ::setsid();
    const pid_t agent = ::fork();
    if (agent == 0) {
      const int null = ::open("/dev/null", O_RDONLY);
      const int out = ::open((dir / "logs" / "agent.out").c_str(),
                             O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
      ::dup2(null, 0);
      ::dup2(out, 1);
      ::dup2(out, 2);
      ExecInChild(argv);  // nothing of gangplankd's (its listening socket!) leaks into a node
    }
    const std::string pid = std::to_string(agent);
    (void)!::write(pipe_fds[1], pid.data(), pid.size());
    ::_exit(agent > 0 ? 0 : 1);
  }
  ::close(pipe_fds[1]);
  char buffer[32] = {};
  const ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer - 1);
  ::close(pipe_fds[0]);
  ::waitpid(child, nullptr, 0);
  if (n <= 0)
    return MakeError(StatusCode::kUnavailable, "NodeStartFailed", "the agent did not start");
  return WriteFileAtomically(dir / "agent.pid", std::string(buffer, static_cast<std::size_t>(n)),
                             0644, IfExists::kReplace);
}

Status LocalProcessRuntime::Remove(const std::string& uid) {
  if (!IsNodeUid(uid)) return OkStatus();
  std::lock_guard lock(mutex_);
  const fs::path dir = NodeDir(uid);
  StopNodeProcesses(dir);
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec) {
    return MakeError(StatusCode::kUnavailable, "NodeRemoveFailed",
                     "cannot remove " + dir.string() + ": " + ec.message());
  }
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

}  // namespace gangplank::runtime
