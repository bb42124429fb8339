// Supervises one node's real OpenSSH sshd (`sshd -D`): start, restart when it dies, stop, and a
// health check that reads the SSH banner the way a client would.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "common/error.h"
#include "net/listening.h"
#include "node/sshd_files.h"

namespace gangplank::node {

class SshdProcess {
 public:
  SshdProcess(std::string sshd_path, NodeLayout layout);
  ~SshdProcess();  // leaves sshd running: a node's sshd outlives an agent restart
  SshdProcess(const SshdProcess&) = delete;
  SshdProcess& operator=(const SshdProcess&) = delete;

  // CheckSshdConfig on the node's sshd_config: a pass means sshd can start.
  Status CheckConfig() const;
  // Starts sshd unless it runs (one started by an earlier agent is adopted from the pid file).
  Status EnsureRunning();
  Status Restart();
  // Stops sshd (SIGTERM, then SIGKILL after 2 s) and waits for it.
  void Stop();
  bool Running();
  pid_t pid() const { return pid_; }
  // sshd logs to this descriptor (its standard error, `-e`) instead of the log file: on a node
  // that is its own machine, where sshd never outlives the agent, the agent reads it as it comes.
  void LogTo(int fd) { log_fd_ = fd; }

 private:
  // The pid in sshd's pid file when that process is our sshd (its command line names our config).
  pid_t AdoptFromPidFile() const;

  std::string sshd_path_;
  NodeLayout layout_;
  pid_t pid_ = -1;
  bool child_ = false;  // started by this agent (reaped with waitpid) or adopted (probed with kill)
  int log_fd_ = -1;
};

// `sshd -t -f CONFIG` after making the privilege-separation directory that sshd says it misses
// (asked of sshd, not assumed). Errors are FailedPrecondition: waiting does not fix them.
Status CheckSshdConfig(const std::string& sshd_path, const std::filesystem::path& config);

// Makes DIR as sshd needs its privilege-separation directory: a directory of root's, mode 0755.
Status EnsurePrivilegeSeparationDirectory(const std::filesystem::path& dir);

// True when a socket listens on ADDRESS:PORT: net/listening.h. Cheap, unlike a banner check.
using net::Listening;

// True when ADDRESS:PORT accepts a TCP connection and sends an "SSH-2.0-" banner within `timeout`.
bool SshBannerAnswers(const std::string& address, int port, std::chrono::milliseconds timeout);

// Where the agent looks for sshd, in this order, never in PATH (the agent runs as root; a PATH
// entry a user can write would choose the program root starts). A candidate counts only if root
// owns it and nobody else may write it. `gangplank-node --sshd PATH` names another one.
inline constexpr const char* kSshdCandidates[] = {"/usr/sbin/sshd", "/usr/local/sbin/sshd",
                                                  "/sbin/sshd"};
// The first of kSshdCandidates that qualifies; empty when there is none.
std::string FindSshd();

}  // namespace gangplank::node
