// Reading a log file as it grows: the complete lines written since the last read.
#pragma once

#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

namespace gangplank::node {

class LogTail {
 public:
  // `from_end`: skip what the file holds now (a system log's old history).
  explicit LogTail(std::filesystem::path path, bool from_end = false);

  // Complete lines appended since the last call, up to about `limit` bytes; a line its writer has
  // not finished is left for the next call, and a file that shrank (rotated, cut) is read anew.
  std::vector<std::string> Take(std::size_t limit = std::numeric_limits<std::size_t>::max());
  std::uintmax_t offset() const { return offset_; }
  void Restart() { offset_ = 0; }

 private:
  std::filesystem::path path_;
  std::uintmax_t offset_ = 0;
};

// Logs a node keeps are cut to their newer half beyond this size.
inline constexpr std::uintmax_t kMaxLogBytes = 4u << 20;

// "2026-11-25T13:00:40Z": when the agent saw something.
std::string NowRfc3339();

// Appends "TIME LINE" to a log the agent owns, keeping it under kMaxLogBytes.
void AppendLogLine(const std::filesystem::path& path, const std::string& line);

}  // namespace gangplank::node
