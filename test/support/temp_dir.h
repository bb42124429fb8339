// A scratch directory that is removed with everything in it when the test ends, pass or fail.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace gangplank::testing {

class TempDir {
 public:
  TempDir();
  // A directory under `base` (created 0755 if missing) with `mode`: for files that must pass
  // sshd's StrictModes, which refuses anything under the world-writable /tmp.
  TempDir(const std::string& base, unsigned mode);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string Join(std::string_view name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Writes a file with the given mode, for fixtures.
void WriteTestFile(const std::string& path, std::string_view contents, unsigned mode = 0644);
std::string ReadTestFile(const std::string& path);

// Permission bits of a file (07777 mask); fails the test if the file is missing.
unsigned FileMode(const std::string& path);

}  // namespace gangplank::testing
