// LogTail: offsets into a growing file.
#include "node/log_tail.h"

#include <ctime>
#include <fstream>

#include "common/file_io.h"

namespace gangplank::node {

LogTail::LogTail(std::filesystem::path path, bool from_end) : path_(std::move(path)) {
  if (from_end) {
    std::error_code ec;
    offset_ = std::filesystem::file_size(path_, ec);
    if (ec) offset_ = 0;
  }
}

std::vector<std::string> LogTail::Take(std::size_t limit) {
  std::vector<std::string> lines;
  std::ifstream file(path_, std::ios::binary);
  if (!file) return lines;
  file.seekg(0, std::ios::end);
  const auto size = static_cast<std::uintmax_t>(file.tellg());
  if (size < offset_) offset_ = 0;
  file.seekg(static_cast<std::streamoff>(offset_));
  std::size_t taken = 0;
  std::string line;
  while (taken < limit && std::getline(file, line)) {
    if (file.eof()) break;  // not finished by its writer yet
    offset_ += line.size() + 1;
    taken += line.size() + 1;
    while (!line.empty() && line.back() == '\r') line.pop_back();  // sshd -E writes "\r\n"
    lines.push_back(std::move(line));
  }
  return lines;
}

std::string NowRfc3339() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

void AppendLogLine(const std::filesystem::path& path, const std::string& line) {
  (void)EnsureDirectory(path.parent_path(), 0700);
  std::ofstream(path, std::ios::app) << NowRfc3339() << " " << line << "\n";
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec || size <= kMaxLogBytes) return;
  auto text = ReadFile(path);
  if (!text) return;
  std::string kept = text->substr(text->size() / 2);
  kept = kept.substr(std::min(kept.size(), kept.find('\n') + 1));
  (void)WriteFileAtomically(path, kept, 0600, IfExists::kReplace);
}

}  // namespace gangplank::node
