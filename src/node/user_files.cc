// authorized_keys written through directory descriptors (openat/mkdirat/fchown/renameat).
#include "node/user_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/random.h"

namespace gangplank::node {
namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_;
};

Error Failed(const std::string& what, const std::filesystem::path& path, int error) {
  return MakeError(StatusCode::kUnavailable, "AuthorizedKeysNotWritten",
                   "cannot " + what + " " + path.string() + ": " + std::strerror(error));
}

Error Refused(const std::filesystem::path& path, const std::string& why) {
  // Waiting cannot fix this: the user (or an admin) has to remove the link.
  return MakeError(StatusCode::kFailedPrecondition, "UnsafeSshDirectory",
                   path.string() + " " + why +
                       "; gangplank-node never follows links in a user's home as root. Remove it "
                       "(the agent makes a real directory) and the next change applies");
}

// Opens DIR/NAME as a directory the user may own, never through a symlink.
Result<int> OpenOwnedDirectory(int dir, const char* name, const std::filesystem::path& path,
                               const UserAccount& user) {
  const int fd = ::openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ELOOP || errno == ENOTDIR) {  // a link gives either, with O_DIRECTORY
      struct stat link {};
      const bool is_link = ::fstatat(dir, name, &link, AT_SYMLINK_NOFOLLOW) == 0 &&
                           S_ISLNK(link.st_mode);
      return Refused(path, is_link ? "is a symbolic link" : "is not a directory");
    }
    return Failed("open", path, errno);
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0 || (info.st_uid != user.uid && info.st_uid != 0)) {
    ::close(fd);
    return Refused(path, "belongs to neither the user nor root");
  }
  return fd;
}

}  // namespace

Status WriteAuthorizedKeys(const UserAccount& user, std::string_view contents, bool make_home) {
  const std::filesystem::path ssh_path = user.home / ".ssh";
  if (make_home) {
    Fd parent(::open(user.home.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!parent.ok()) return Failed("open", user.home.parent_path(), errno);
    const std::string name = user.home.filename().string();
    if (::mkdirat(parent.get(), name.c_str(), 0755) == 0) {
      Fd home(::openat(parent.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!home.ok() || ::fchown(home.get(), user.uid, user.gid) != 0)
        return Failed("give", user.home, errno);
    } else if (errno != EEXIST) {
      return Failed("create", user.home, errno);
    }
  }
  // Links above the home (/home → /srv/home) are an administrator's; the home itself and
  // everything below it are opened without following links, through descriptors.
  Fd home(::open(user.home.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!home.ok()) {
    if (errno == ELOOP) return Refused(user.home, "is a symbolic link");
    return Failed("open", user.home, errno);
  }
  if (::mkdirat(home.get(), ".ssh", 0700) != 0 && errno != EEXIST)
    return Failed("create", ssh_path, errno);
  auto opened = OpenOwnedDirectory(home.get(), ".ssh", ssh_path, user);
  if (!opened) return opened.error();
  Fd ssh(*opened);
  if (::fchown(ssh.get(), user.uid, user.gid) != 0 || ::fchmod(ssh.get(), 0700) != 0)
    return Failed("give", ssh_path, errno);
  // A new file beside the old one, renamed over it: rename replaces a link named
  // authorized_keys, never what it points at.
  const std::string temp = ".authorized_keys." + NewUuid();
  Fd file(::openat(ssh.get(), temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                   0600));
  if (!file.ok()) return Failed("create", ssh_path / temp, errno);
  std::size_t written = 0;
  while (written < contents.size()) {
    const ssize_t n = ::write(file.get(), contents.data() + written, contents.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = errno;
      ::unlinkat(ssh.get(), temp.c_str(), 0);
      return Failed("write", ssh_path / temp, error);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fchown(file.get(), user.uid, user.gid) != 0 || ::fsync(file.get()) != 0 ||
      ::renameat(ssh.get(), temp.c_str(), ssh.get(), "authorized_keys") != 0) {
    const int error = errno;
    ::unlinkat(ssh.get(), temp.c_str(), 0);
    return Failed("write", ssh_path / "authorized_keys", error);
  }
  ::fsync(ssh.get());
  return OkStatus();
}

}  // namespace gangplank::node
