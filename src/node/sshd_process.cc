// sshd as a child process: fork/exec, reaping, adoption by pid file, banner checks.
#include "node/sshd_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/file_io.h"
#include "common/process.h"

namespace gangplank::node {
namespace fs = std::filesystem;

SshdProcess::SshdProcess(std::string sshd_path, NodeLayout layout)
    : sshd_path_(std::move(sshd_path)), layout_(std::move(layout)) {}

SshdProcess::~SshdProcess() = default;

namespace {

constexpr std::string_view kMissingPrivsepDir = "Missing privilege separation directory: ";

// The directory sshd names in its complaint about a missing privilege-separation directory, or
// empty when `err` is another complaint.
fs::path MissingPrivsepDirectory(const std::string& err) {
  const std::size_t at = err.find(kMissingPrivsepDir);
  if (at == std::string::npos) return {};
  const std::size_t from = at + kMissingPrivsepDir.size();
  const std::size_t end = err.find_first_of("\r\n", from);
  fs::path dir = err.substr(from, end == std::string::npos ? std::string::npos : end - from);
  return dir.is_absolute() ? dir.lexically_normal() : fs::path();
}

}  // namespace

Status EnsurePrivilegeSeparationDirectory(const fs::path& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return MakeError(StatusCode::kFailedPrecondition, "SshdPrivsepDirMissing",
                     "cannot create sshd's privilege separation directory " + dir.string() + ": " +
                         std::strerror(errno));
  }
  // sshd refuses a directory that is not root's or that others can write (at the first login,
  // not at `sshd -t`); one made before us with another umask is put right, anything else refused.
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return MakeError(StatusCode::kFailedPrecondition, "SshdPrivsepDirUnsafe",
                     dir.string() +
                         " (sshd's privilege separation directory) is not a directory; "
                         "remove it and provision the node again");
  }
  if (st.st_uid != 0 && ::lchown(dir.c_str(), 0, 0) != 0) {
    return MakeError(StatusCode::kFailedPrecondition, "SshdPrivsepDirUnsafe",
                     "cannot make root the owner of " + dir.string() + ": " + std::strerror(errno));
  }
  if ((st.st_mode & 07777) != 0755 && ::chmod(dir.c_str(), 0755) != 0) {
    return MakeError(StatusCode::kFailedPrecondition, "SshdPrivsepDirUnsafe",
                     "cannot set mode 0755 on " + dir.string() + ": " + std::strerror(errno));
  }
  return OkStatus();
}

constexpr const char* kDebianPrivsepDirectory = "/run/sshd";

Status CheckSshdConfig(const std::string& sshd_path, const fs::path& config) {
  if (sshd_path.empty()) {
    return MakeError(StatusCode::kFailedPrecondition, "SshdNotFound",
                     "no sshd in /usr/sbin, /usr/local/sbin, /sbin or PATH; install OpenSSH's "
                     "server (apt-get install openssh-server)");
  }
  const std::vector<std::string> test = {sshd_path, "-t", "-f", config.string()};
  // Debian's sshd chroots into /run/sshd (below): made first where it is missing (a fresh node),
  // so the check runs once instead of failing first.
  std::error_code ec;
  if (::geteuid() == 0 && !fs::exists(kDebianPrivsepDirectory, ec))
    (void)EnsurePrivilegeSeparationDirectory(kDebianPrivsepDirectory);
  std::string err;
  if (RunToCompletion(test, &err) == 0) return OkStatus();
  // As root, sshd chroots its pre-authentication child into a directory built into it (Debian:
  // /run/sshd) that the ssh service makes at boot; /run starts empty, so on a machine where that
  // service never ran it is missing. sshd names it: make it and ask again.
  if (const fs::path privsep = MissingPrivsepDirectory(err); !privsep.empty()) {
    if (Status made = EnsurePrivilegeSeparationDirectory(privsep); !made.ok()) return made;
    err.clear();
    if (RunToCompletion(test, &err) == 0) return OkStatus();
  }
  return MakeError(StatusCode::kFailedPrecondition, "SshdConfigRefused",
                   "sshd refuses the node's configuration: " + err.substr(0, 500));
}

Status SshdProcess::CheckConfig() const {
  return CheckSshdConfig(sshd_path_, layout_.sshd_config());
}

pid_t SshdProcess::AdoptFromPidFile() const {
  return LivePidFromFile(layout_.sshd_pid(), {layout_.sshd_config().string()});
}

bool SshdProcess::Running() {
  if (pid_ <= 0) return false;
  if (child_) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    return true;
  }
  if (::kill(pid_, 0) == 0 && AdoptFromPidFile() == pid_) return true;
  pid_ = -1;
  return false;
}

Status SshdProcess::EnsureRunning() {
  if (Running()) return OkStatus();
  if (const pid_t adopted = AdoptFromPidFile(); adopted > 0) {
    pid_ = adopted;
    child_ = false;
    return OkStatus();
  }
  if (Status dir = EnsureDirectory(layout_.sshd_log().parent_path(), 0700); !dir.ok()) return dir;
  std::vector<std::string> argv = {sshd_path_, "-D", "-f", layout_.sshd_config().string()};
  if (log_fd_ >= 0) {
    argv.push_back("-e");
  } else {
    argv.insert(argv.end(), {"-E", layout_.sshd_log().string()});
  }
  // Its own session: a signal to the agent's terminal does not reach it.
  auto started = StartChild(argv, ChildStreams::To(-1, log_fd_).InNewSession());
  if (!started) {
    return MakeError(StatusCode::kUnavailable, "SshdStartFailed", started.error().message);
  }
  const pid_t pid = *started;
  pid_ = pid;
  child_ = true;
  return OkStatus();
}

void SshdProcess::Stop() {
  if (pid_ <= 0) pid_ = AdoptFromPidFile();
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 200; ++i) {
    if (!Running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    if (child_) ::waitpid(pid_, nullptr, 0);
  }
  pid_ = -1;
  std::error_code ignored;
  fs::remove(layout_.sshd_pid(), ignored);
}

Status SshdProcess::Restart() {
  Stop();
  return EnsureRunning();
}

bool SshBannerAnswers(const std::string& address, int port, std::chrono::milliseconds timeout) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_INET;
  if (auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
      ::inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<std::uint16_t>(port));
    length = sizeof *v4;
  } else if (auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
             ::inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<std::uint16_t>(port));
    length = sizeof *v6;
    family = AF_INET6;
  } else {
    return false;
  }
  const int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto wait_for = [&](short events) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd entry{fd, events, 0};
    return ::poll(&entry, 1, static_cast<int>(left.count())) == 1 && (entry.revents & events);
  };
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&storage), length) == 0 || errno == EINPROGRESS) {
    int error = 0;
    socklen_t size = sizeof error;
    if (wait_for(POLLOUT) && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) == 0 &&
        error == 0) {
      std::string banner;
      char buffer[256];
      while (banner.size() < 8 && wait_for(POLLIN)) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n <= 0) break;
        banner.append(buffer, static_cast<std::size_t>(n));
      }
      ok = banner.starts_with("SSH-2.0-");
    }
  }
  ::close(fd);
  return ok;
}

std::string FindSshd() {
  for (const char* candidate : kSshdCandidates) {
    struct stat st {};
    if (::stat(candidate, &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) continue;
    if (::access(candidate, X_OK) == 0) return candidate;
  }
  return "";
}

}  // namespace gangplank::node
