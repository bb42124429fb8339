// Crash-safe file writes and whole-file reads with errors that name the path.
#include "common/file_io.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace gangplank {
namespace {

Error ErrnoError(int err, std::string_view action, const std::filesystem::path& path) {
  StatusCode code = StatusCode::kInternal;
  std::string reason = "FileError";
  if (err == ENOENT || err == ENOTDIR) {
    code = StatusCode::kNotFound;
    reason = "FileNotFound";
  } else if (err == EACCES || err == EPERM || err == EROFS) {
    code = StatusCode::kPermissionDenied;
    reason = "PermissionDenied";
  } else if (err == EEXIST) {
    code = StatusCode::kAlreadyExists;
    reason = "FileExists";
  } else if (err == EISDIR) {
    code = StatusCode::kInvalidArgument;
    reason = "IsADirectory";
  }
  return MakeError(code, reason,
                   std::string(action) + " " + path.string() + ": " + std::strerror(err));
}

Status SyncDirectory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, "cannot open directory", dir);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return ErrnoError(err, "cannot sync directory", dir);
  return OkStatus();
}

Status WriteAll(int fd, std::string_view contents, const std::filesystem::path& path) {
  while (!contents.empty()) {
    const ssize_t n = ::write(fd, contents.data(), contents.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "cannot write", path);
    }
    contents.remove_prefix(static_cast<std::size_t>(n));
  }
  return OkStatus();
}

// Moves `from` to `to` without ever replacing an existing `to`.
int RenameNoReplace(const char* from, const char* to) {
  if (::renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return -1;
  // Filesystems without RENAME_NOREPLACE: link() fails with EEXIST just as atomically.
  if (::link(from, to) != 0) return -1;
  ::unlink(from);
  return 0;
}

}  // namespace

Result<bool> WriteFileIfChanged(const std::filesystem::path& path, std::string_view contents,
                                mode_t mode) {
  auto current = ReadFile(path, contents.size() + 1);
  if (current && *current == contents) return false;
  GP_RETURN_IF_ERROR(WriteFileAtomically(path, contents, mode, IfExists::kReplace));
  return true;
}

Status WriteFileAtomically(const std::filesystem::path& path, std::string_view contents,
                           mode_t mode, IfExists if_exists) {
  const std::filesystem::path dir = path.parent_path();
  std::string temp = (dir / ("." + path.filename().string() + ".tmp.XXXXXX")).string();
  const int fd = ::mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, "cannot create a file in", dir.empty() ? "." : dir);

  auto fail = [&](Error error) -> Status {
    ::close(fd);
    ::unlink(temp.c_str());
    return error;
  };
  if (::fchmod(fd, mode) != 0) return fail(ErrnoError(errno, "cannot set mode of", temp));
  if (Status written = WriteAll(fd, contents, temp); !written.ok()) return fail(written.error());
  if (::fsync(fd) != 0) return fail(ErrnoError(errno, "cannot sync", temp));
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return ErrnoError(err, "cannot close", temp);
  }

  const int rc = if_exists == IfExists::kReplace ? ::rename(temp.c_str(), path.c_str())
                                                 : RenameNoReplace(temp.c_str(), path.c_str());
  if (rc != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    if (err == EEXIST) {
      return MakeError(StatusCode::kAlreadyExists, "FileExists",
                       path.string() + " already exists; it was left untouched");
    }
    return ErrnoError(err, "cannot write", path);
  }
  // The rename has happened: the file is in place. A directory that cannot be opened for fsync
  // (mode 0300, some network filesystems) must not turn a finished write into a reported failure.
  (void)SyncDirectory(dir);
  return OkStatus();
}

Status EnsureDirectory(const std::filesystem::path& dir, mode_t mode) {
  if (dir.empty()) return OkStatus();
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return OkStatus();
    return MakeError(StatusCode::kFailedPrecondition, "NotADirectory",
                     dir.string() + " exists and is not a directory");
  }
  if (errno != ENOENT) return ErrnoError(errno, "cannot inspect", dir);
  if (dir.has_parent_path() && dir.parent_path() != dir) {
    if (Status parent = EnsureDirectory(dir.parent_path(), mode); !parent.ok()) return parent;
  }
  if (::mkdir(dir.c_str(), mode) != 0) {
    if (errno == EEXIST) return OkStatus();  // created meanwhile by someone else: leave it be
    return ErrnoError(errno, "cannot create directory", dir);
  }
  // mkdir applies the umask; the mode asked for is the mode wanted.
  if (::chmod(dir.c_str(), mode) != 0) return ErrnoError(errno, "cannot set mode of", dir);
  return OkStatus();
}

namespace {

// Reads `fd` to the end into `data`, refusing more than `max_bytes`; the stack buffer is wiped.
template <typename Buffer>
Status ReadAll(int fd, const std::filesystem::path& name, std::size_t max_bytes, Buffer& data) {
  char buffer[65536];
  Status status = OkStatus();
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      status = ErrnoError(errno, "cannot read", name);
      break;
    }
    if (n == 0) break;
    if (data.size() + static_cast<std::size_t>(n) > max_bytes) {
      status = MakeError(StatusCode::kInvalidArgument, "FileTooLarge",
                         name.string() + " is larger than " + std::to_string(max_bytes >> 20) +
                             " MiB, more than any key file; check the path");
      break;
    }
    data.append(buffer, static_cast<std::size_t>(n));
  }
  OPENSSL_cleanse(buffer, sizeof buffer);  // the file may have been a private key
  return status;
}

template <typename Buffer>
Result<Buffer> ReadWhole(const std::filesystem::path& path, std::size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, "cannot read", path);
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return ErrnoError(EISDIR, "cannot read", path);
  }
  Buffer data;
  // Reserving the known size up front means a regular file is read without reallocating.
  if (S_ISREG(st.st_mode) && st.st_size > 0 && static_cast<std::size_t>(st.st_size) <= max_bytes) {
    data.reserve(static_cast<std::size_t>(st.st_size));
  }
  Status status = ReadAll(fd, path, max_bytes, data);
  ::close(fd);
  if (!status.ok()) return status.error();
  return data;
}

}  // namespace

Result<std::string> ReadFile(const std::filesystem::path& path, std::size_t max_bytes) {
  return ReadWhole<std::string>(path, max_bytes);
}

Result<SecureString> ReadSecretFile(const std::filesystem::path& path, std::size_t max_bytes) {
  return ReadWhole<SecureString>(path, max_bytes);
}

Result<SecureString> ReadSecretStream(int fd, std::string_view name, std::size_t max_bytes) {
  SecureString data;
  Status status = ReadAll(fd, std::filesystem::path(name), max_bytes, data);
  if (!status.ok()) return status.error();
  return data;
}

}  // namespace gangplank
