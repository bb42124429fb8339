// Child processes: started with posix_spawn without leaks, run to completion, detached, pid files.
#include "common/process.h"

#include <fcntl.h>
#include <spawn.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <cstdlib>

#include "common/file_io.h"

namespace gangplank {

namespace {

// A child ready to start: argv and the set-up of its descriptors are built before anything
// starts, so that starting it (posix_spawn: glibc's clone-and-exec, nothing of this process's
// heap touched in between) is safe in a process with threads. A fork followed by anything that
// allocates can deadlock on a lock another thread held at the fork; under the sanitizers such a
// child spun forever.
class PreparedChild {
 public:
  PreparedChild(const std::vector<std::string>& argv, const ChildStreams& streams)
      : argv_(argv) {
    for (auto& arg : argv_) pointers_.push_back(arg.data());
    pointers_.push_back(nullptr);
    ::posix_spawn_file_actions_init(&actions_);
    ::posix_spawnattr_init(&attributes_);
    if (!streams.inherit) {
      ::posix_spawn_file_actions_addopen(&actions_, 0, "/dev/null", O_RDONLY, 0);
      if (!streams.log_path.empty()) {
        ::posix_spawn_file_actions_addopen(&actions_, 1, streams.log_path.c_str(),
                                           O_WRONLY | O_CREAT | O_APPEND, 0600);
        ::posix_spawn_file_actions_adddup2(&actions_, 1, 2);
      } else {
        Redirect(streams.out, 1);
        Redirect(streams.err, 2);
      }
    }
    ::posix_spawn_file_actions_addclosefrom_np(&actions_, 3);  // nothing of ours leaks
    // A clean signal state: the thread that starts it may have signals blocked.
    sigset_t none, all;
    ::sigemptyset(&none);
    ::sigfillset(&all);
    ::posix_spawnattr_setsigmask(&attributes_, &none);
    ::posix_spawnattr_setsigdefault(&attributes_, &all);
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (streams.new_session) flags |= POSIX_SPAWN_SETSID;
    ::posix_spawnattr_setflags(&attributes_, flags);
  }
  PreparedChild(const PreparedChild&) = delete;
  PreparedChild& operator=(const PreparedChild&) = delete;
  ~PreparedChild() {
    ::posix_spawn_file_actions_destroy(&actions_);
    ::posix_spawnattr_destroy(&attributes_);
  }

  // The child's pid, or -errno when it could not be started (the program is missing, …).
  pid_t Start() const {
    pid_t pid = -1;
    const int error =
        ::posix_spawn(&pid, pointers_[0], &actions_, &attributes_, pointers_.data(), environ);
    return error == 0 ? pid : -error;
  }

 private:
  // `fd` becomes `target`; -1 means /dev/null.
  void Redirect(int fd, int target) {
    if (fd < 0) {
      ::posix_spawn_file_actions_addopen(&actions_, target, "/dev/null", O_WRONLY, 0);
    } else if (fd != target) {
      ::posix_spawn_file_actions_adddup2(&actions_, fd, target);
    }
  }

  std::vector<std::string> argv_;
  std::vector<char*> pointers_;
  posix_spawn_file_actions_t actions_;
  posix_spawnattr_t attributes_;
};

int ExitStatus(pid_t pid) {
  if (pid < 0) return kNotStarted;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Reads `fd` to its end (what the child and anything it left behind wrote), keeping `limit` bytes.
void ReadAll(int fd, std::string& into, std::size_t limit) {
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0 && into.size() < limit) into.append(buffer, static_cast<std::size_t>(n));
  }
}

}  // namespace

Result<pid_t> StartChild(const std::vector<std::string>& argv, const ChildStreams& streams) {
  const pid_t pid = PreparedChild(argv, streams).Start();
  if (pid < 0) {
    return MakeError(StatusCode::kUnavailable, "SpawnFailed",
                     "cannot start " + argv.front() + ": " + std::strerror(-pid));
  }
  return pid;
}

int RunToCompletion(const std::vector<std::string>& argv, std::string* stderr_text) {
  if (!stderr_text) return ExitStatus(PreparedChild(argv, ChildStreams::Inherited()).Start());
  int pipe_fds[2] = {-1, -1};
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    *stderr_text = "pipe failed";
    return -1;
  }
  const pid_t pid = PreparedChild(argv, ChildStreams::To(-1, pipe_fds[1])).Start();
  ::close(pipe_fds[1]);
  stderr_text->clear();
  ReadAll(pipe_fds[0], *stderr_text, 65536);
  ::close(pipe_fds[0]);
  if (pid < 0) *stderr_text = "cannot start " + argv.front() + ": " + std::strerror(-pid);
  return ExitStatus(pid);
}

int RunCapturing(const std::vector<std::string>& argv, std::string& output) {
  output.clear();
  int pipe_fds[2] = {-1, -1};
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return -1;
  const pid_t pid = PreparedChild(argv, ChildStreams::To(pipe_fds[1], pipe_fds[1])).Start();
  ::close(pipe_fds[1]);
  ReadAll(pipe_fds[0], output, 1 << 20);
  ::close(pipe_fds[0]);
  if (pid < 0) output = "cannot start " + argv.front() + ": " + std::strerror(-pid);
  return ExitStatus(pid);
}

int RunLoggingTo(const std::vector<std::string>& argv, const std::string& log_path) {
  return ExitStatus(PreparedChild(argv, ChildStreams::AppendingTo(log_path)).Start());
}

Result<pid_t> SpawnDetached(const std::vector<std::string>& argv, const std::string& log_path) {
  const PreparedChild prepared(argv, ChildStreams::AppendingTo(log_path).InNewSession());
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
    return MakeError(StatusCode::kUnavailable, "SpawnFailed", "pipe failed");
  // The go-between starts the program and exits at once, so that init, not this process, is
  // its parent. It only starts the prepared child and writes the pid's bytes: nothing allocates.
  const pid_t child = ::fork();
  if (child < 0) {
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return MakeError(StatusCode::kUnavailable, "SpawnFailed", "fork failed");
  }
  if (child == 0) {
    const pid_t grandchild = prepared.Start();
    (void)!::write(pipe_fds[1], &grandchild, sizeof grandchild);
    ::_exit(grandchild > 0 ? 0 : 1);
  }
  ::close(pipe_fds[1]);
  pid_t pid = -1;
  const ssize_t n = ::read(pipe_fds[0], &pid, sizeof pid);
  ::close(pipe_fds[0]);
  ::waitpid(child, nullptr, 0);
  if (n != sizeof pid || pid <= 0) {
    return MakeError(StatusCode::kUnavailable, "SpawnFailed",
                     argv.front() + " did not start" +
                         (n == sizeof pid && pid < 0 ? std::string(": ") + std::strerror(-pid)
                                                     : std::string()));
  }
  return pid;
}

namespace {

// The process's arguments joined with spaces; empty when it is gone (or a zombie).
std::string CommandLine(pid_t pid) {
  auto cmdline = ReadFile("/proc/" + std::to_string(pid) + "/cmdline", 1 << 16);
  if (!cmdline) return "";
  for (char& c : *cmdline) {
    if (c == '\0') c = ' ';
  }
  return *cmdline;
}

bool HasEvery(const std::string& cmdline, const std::vector<std::string>& markers) {
  if (cmdline.empty()) return false;
  for (const auto& marker : markers) {
    if (cmdline.find(marker) == std::string::npos) return false;
  }
  return true;
}

}  // namespace

pid_t LivePidFromFile(const std::filesystem::path& pid_file,
                      const std::vector<std::string>& markers) {
  auto text = ReadFile(pid_file, 64);
  if (!text) return -1;
  const pid_t pid = static_cast<pid_t>(std::atol(text->c_str()));
  if (pid <= 1) return -1;
  return HasEvery(CommandLine(pid), markers) ? pid : -1;
}

std::vector<pid_t> PidsWithCommandLine(const std::vector<std::string>& markers) {
  std::vector<pid_t> pids;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::atol(name.c_str()));
    if (pid > 1 && pid != ::getpid() && HasEvery(CommandLine(pid), markers)) pids.push_back(pid);
  }
  return pids;
}

bool ProcessAlive(pid_t pid) {
  if (::kill(pid, 0) != 0) return false;
  auto stat = ReadFile("/proc/" + std::to_string(pid) + "/stat", 4096);
  if (!stat) return false;
  const std::size_t close = stat->rfind(')');  // the command name may contain spaces
  return close == std::string::npos || close + 2 >= stat->size() || (*stat)[close + 2] != 'Z';
}

std::string ExecutableSibling(const std::string& name) {
  std::error_code ec;
  return (std::filesystem::read_symlink("/proc/self/exe", ec).parent_path() / name).string();
}

Status RunOrFail(const std::vector<std::string>& argv, const std::string& reason,
                 const std::string& what) {
  std::string output;
  if (RunCapturing(argv, output) == 0) return OkStatus();
  std::string command;
  for (const auto& word : argv) command += (command.empty() ? "" : " ") + word;
  if (output.size() > 800) output = output.substr(output.size() - 800);
  return MakeError(StatusCode::kUnavailable, reason,
                   what + " failed ('" + command.substr(0, 300) + "'): " + output);
}

}  // namespace gangplank
