// Starting and finding programs: nothing of the parent (listening sockets, files) leaks into a
// child; detached processes (nodes, a background gangplankd) are found again by pid file.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"

namespace gangplank {

// Exit status of a Run* call whose program could not be started (missing, not executable), as a
// shell says it.
inline constexpr int kNotStarted = 127;

// How a child's standard streams are set up. Standard input is /dev/null unless `inherit`.
struct ChildStreams {
  bool inherit = false;      // share this process's standard streams
  int out = -1, err = -1;    // descriptors that become 1 and 2; -1: /dev/null
  std::string log_path;      // when set, 1 and 2 append to this file (created 0600)
  bool new_session = false;  // its own session: a signal to our terminal does not reach it

  static ChildStreams Inherited() {
    ChildStreams streams;
    streams.inherit = true;
    return streams;
  }
  static ChildStreams To(int out, int err) {
    ChildStreams streams;
    streams.out = out;
    streams.err = err;
    return streams;
  }
  static ChildStreams AppendingTo(std::string path) {
    ChildStreams streams;
    streams.log_path = std::move(path);
    return streams;
  }
  ChildStreams InNewSession() && {
    new_session = true;
    return std::move(*this);
  }
};

// Starts argv[0] (a path) with argv and no descriptor of this process above 2, with an empty
// signal mask and default signal actions. Safe in a process with threads (posix_spawn).
Result<pid_t> StartChild(const std::vector<std::string>& argv, const ChildStreams& streams);

// Runs argv to completion and returns its exit status (-1 when a signal ended it, kNotStarted
// when it could not start). With
// `stderr_text`, standard input and output are /dev/null and standard error (at most 64 KiB) is
// captured there; without, the child shares this process's standard streams.
int RunToCompletion(const std::vector<std::string>& argv, std::string* stderr_text = nullptr);

// Runs argv to completion and returns its exit status; its standard output and error (at most
// 1 MiB) land in `output`. Only for programs that leave no process behind holding the pipe.
int RunCapturing(const std::vector<std::string>& argv, std::string& output);

// Runs argv to completion with standard input /dev/null and standard output and error appended
// to `log_path` (what a daemon it starts inherits, too); returns its exit status (-1: a signal).
// Runs argv like RunCapturing; Unavailable with `reason` when it fails, naming `what` was being
// done, the command and the end of what it printed (tools such as ip, nft and runc say why).
Status RunOrFail(const std::vector<std::string>& argv, const std::string& reason,
                 const std::string& what);

int RunLoggingTo(const std::vector<std::string>& argv, const std::string& log_path);

// Starts argv as nobody's child (double fork, its own session), standard input /dev/null and
// standard output and error appended to `log_path`; returns its pid. It outlives this process.
Result<pid_t> SpawnDetached(const std::vector<std::string>& argv, const std::string& log_path);

// The pid in `pid_file` when that process runs and its command line (arguments joined with
// spaces) contains every marker; -1 otherwise. An exited process that init has not reaped yet has
// an empty command line, so it does not count.
pid_t LivePidFromFile(const std::filesystem::path& pid_file,
                      const std::vector<std::string>& markers);

// Every process whose command line contains every marker (for example a node's own config path):
// how processes a pid file no longer names (one started as its owner was being stopped) are still
// stopped by PID.
std::vector<pid_t> PidsWithCommandLine(const std::vector<std::string>& markers);

// True while `pid` runs: not gone, and not a zombie waiting for init.
bool ProcessAlive(pid_t pid);

// NAME in the directory of the running executable (gangplankd beside gangplank, …).
std::string ExecutableSibling(const std::string& name);

}  // namespace gangplank
