// Parses the authentication lines sshd writes (auth.c's auth_log and the invalid-user notices).
#include "node/login_events.h"

#include <charconv>
#include <vector>

namespace gangplank::node {

namespace {

std::vector<std::string_view> Words(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t start = text.find_first_not_of(' ', at);
    if (start == std::string_view::npos) break;
    const std::size_t end = std::min(text.find(' ', start), text.size());
    words.push_back(text.substr(start, end - start));
    at = end;
  }
  return words;
}

int PortOf(std::string_view text) {
  int port = 0;
  std::from_chars(text.data(), text.data() + text.size(), port);
  return port;
}

}  // namespace

std::optional<LoginEvent> ParseLoginEvent(std::string_view line) {
  // sshd ends the lines it writes with -E in "\r\n".
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n' || line.back() == ' '))
    line.remove_suffix(1);
  // "Accepted publickey for azureuser from 127.0.0.1 port 40022 ssh2: ED25519 SHA256:…"
  // "Failed publickey for [invalid user ]bob from 127.0.0.1 port 40022 ssh2: RSA SHA256:…"
  // "Invalid user bob from 127.0.0.1 port 40022"
  for (std::string_view marker : {"Accepted ", "Failed ", "Invalid user "}) {
    const std::size_t at = line.find(marker);
    if (at == std::string_view::npos) continue;
    const auto words = Words(line.substr(at));
    LoginEvent event;
    std::size_t i = 0;
    if (marker == "Invalid user ") {
      if (words.size() < 7 || words[3] != "from" || words[5] != "port") return std::nullopt;
      event.user = words[2];
      event.source = words[4];
      event.source_port = PortOf(words[6]);
      event.method = "none";
      return event;
    }
    event.accepted = marker == "Accepted ";
    if (words.size() < 8 || words[2] != "for") return std::nullopt;
    event.method = words[1];
    i = 3;
    if (words[i] == "invalid" && i + 1 < words.size() && words[i + 1] == "user") i += 2;
    if (i + 5 > words.size() || words[i + 1] != "from" || words[i + 3] != "port")
      return std::nullopt;
    event.user = words[i];
    event.source = words[i + 2];
    event.source_port = PortOf(words[i + 4]);
    if (i + 7 < words.size() && words[i + 5] == "ssh2:") {
      event.key_type = words[i + 6];
      event.fingerprint = words[i + 7];
    }
    return event;
  }
  return std::nullopt;
}

}  // namespace gangplank::node
