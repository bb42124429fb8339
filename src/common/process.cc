// Child processes: exec without leaks, run to completion, detached spawn, pid files.
#include "common/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "common/file_io.h"

namespace gangplank {

void ExecInChild(const std::vector<std::string>& argv) {
  ::close_range(3, ~0U, 0);
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  ::execv(args[0], args.data());
  ::_exit(127);
}

int RunToCompletion(const std::vector<std::string>& argv, std::string* stderr_text) {
  int pipe_fds[2] = {-1, -1};
  if (stderr_text && ::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    *stderr_text = "pipe failed";
    return -1;
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (stderr_text) {
      ::dup2(pipe_fds[1], 2);
      const int null = ::open("/dev/null", O_RDWR);
      ::dup2(null, 0);
      ::dup2(null, 1);
    }
    ExecInChild(argv);
  }
  if (stderr_text) {
    ::close(pipe_fds[1]);
    stderr_text->clear();
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0 && stderr_text->size() < 65536)
      stderr_text->append(buffer, static_cast<std::size_t>(n));
    ::close(pipe_fds[0]);
  }
  if (pid < 0) return -1;
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int RunCapturing(const std::vector<std::string>& argv, std::string& output) {
  output.clear();
  int pipe_fds[2] = {-1, -1};
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return -1;
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    ::dup2(pipe_fds[1], 1);
    ::dup2(pipe_fds[1], 2);
    ExecInChild(argv);
  }
  ::close(pipe_fds[1]);
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0) {
    if (output.size() < (1 << 20)) output.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(pipe_fds[0]);
  if (pid < 0) return -1;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int RunLoggingTo(const std::vector<std::string>& argv, const std::string& log_path) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int null = ::open("/dev/null", O_RDONLY);
    const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (null < 0 || log < 0) ::_exit(127);
    ::dup2(null, 0);
    ::dup2(log, 1);
    ::dup2(log, 2);
    ExecInChild(argv);
  }
  if (pid < 0) return -1;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

Result<pid_t> SpawnDetached(const std::vector<std::string>& argv, const std::string& log_path) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
    return MakeError(StatusCode::kUnavailable, "SpawnFailed", "pipe failed");
  const pid_t child = ::fork();
  if (child < 0) {
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return MakeError(StatusCode::kUnavailable, "SpawnFailed", "fork failed");
  }
  if (child == 0) {
    ::setsid();
    const pid_t grandchild = ::fork();
    if (grandchild == 0) {
      const int null = ::open("/dev/null", O_RDONLY);
      const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
      ::dup2(null, 0);
      ::dup2(log, 1);
      ::dup2(log, 2);
      ExecInChild(argv);
    }
    const std::string pid = std::to_string(grandchild);
    (void)!::write(pipe_fds[1], pid.data(), pid.size());
    ::_exit(grandchild > 0 ? 0 : 1);
  }
  ::close(pipe_fds[1]);
  char buffer[32] = {};
  const ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer - 1);
  ::close(pipe_fds[0]);
  ::waitpid(child, nullptr, 0);
  const pid_t pid = n > 0 ? static_cast<pid_t>(std::atol(buffer)) : -1;
  if (pid <= 0) {
    return MakeError(StatusCode::kUnavailable, "SpawnFailed", argv.front() + " did not start");
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

}  // namespace gangplank
