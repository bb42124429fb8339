// An exclusive flock(2) on a file for as long as the object lives: how processes on one host take
// turns (building a node image, choosing a node network).
#pragma once

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>

namespace gangplank {

class FileLock {
 public:
  // Creates `path` (0600) when missing and blocks until the lock is this process's. When the file
  // cannot be opened, nothing is locked (the callers' work is still correct, only not serialised).
  explicit FileLock(const std::filesystem::path& path)
      : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_;
};

}  // namespace gangplank
