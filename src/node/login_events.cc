// Parses the authentication lines sshd writes (auth.c's auth_log and the invalid-user notices).
// The user name in them is whatever a client offered, spaces and all, so a line is read only
// from its start (sshd's fixed message) and its end (address, port, key: sshd's own), and the
// name is what lies between.
#include "node/login_events.h"

#include <array>
#include <charconv>
#include <vector>

#include "common/text.h"

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

std::optional<int> PortOf(std::string_view text) {
  int port = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc() || end != text.data() + text.size() || port < 1 || port > 65535)
    return std::nullopt;
  return port;
}

// The authentication methods auth_log names (with keyboard-interactive's "/pam" and the like).
bool IsMethod(std::string_view method) {
  static constexpr std::array<std::string_view, 6> kMethods = {
      "publickey", "password", "keyboard-interactive", "none", "hostbased", "gssapi-with-mic"};
  const std::string_view base = method.substr(0, method.find('/'));
  for (const std::string_view known : kMethods)
    if (base == known) return true;
  return false;
}

// "sshd[123]: " or "sshd: " as sshd -E writes it, or nothing as sshd -e does.
std::string_view WithoutProgramPrefix(std::string_view line) {
  if (!line.starts_with("sshd")) return line;
  const std::size_t colon = line.find(": ");
  if (colon == std::string_view::npos) return line;
  const std::string_view program = line.substr(0, colon);
  if (program == "sshd") return line.substr(colon + 2);
  if (program.starts_with("sshd[") && program.ends_with("]") && program.size() > 6 &&
      program.substr(5, program.size() - 6).find_first_not_of("0123456789") ==
          std::string_view::npos)
    return line.substr(colon + 2);
  return line;
}

// "from ADDRESS port PORT" at words[at..at+3].
bool SourceAt(const std::vector<std::string_view>& words, std::size_t at, protocol::LoginEvent& event) {
  if (at + 4 > words.size() || words[at] != "from" || words[at + 2] != "port") return false;
  const auto port = PortOf(words[at + 3]);
  if (!IsIpAddress(words[at + 1]) || !port) return false;
  event.source = words[at + 1];
  event.source_port = *port;
  return true;
}

// The user part between two fixed parts of the line; a name that cannot be a Linux user's is
// kept (escaped by whoever prints it) but the event becomes an invalid-user one.
void SetUser(std::string_view user, protocol::LoginEvent& event) {
  event.user = user.substr(0, 100);
  if (!IsLinuxUserName(user) && !protocol::IsIdentityLoginName(user)) {
    event.accepted = false;
    event.invalid_user = true;
  }
}

// "Invalid user NAME from ADDRESS port PORT"
std::optional<protocol::LoginEvent> ParseInvalidUser(std::string_view message) {
  const auto words = Words(message);
  if (words.size() < 7) return std::nullopt;
  protocol::LoginEvent event;
  if (!SourceAt(words, words.size() - 4, event)) return std::nullopt;
  const std::size_t name_start = std::string_view("Invalid user ").size();
  const std::size_t name_end =
      static_cast<std::size_t>(words[words.size() - 4].data() - message.data());
  if (name_end <= name_start) return std::nullopt;
  event.user = message.substr(name_start, name_end - 1 - name_start).substr(0, 100);
  event.invalid_user = true;
  event.method = "none";
  return event;
}

// A certificate's part at the end of a line: "… ssh2: TYPE FP ID KEY_ID (serial N) CA CA_TYPE
// CA_FP". Fills the event and cuts `message` to "… ssh2: TYPE FP"; false when there is none.
bool SplitCertificate(std::string_view& message, protocol::LoginEvent& event) {
  const std::size_t serial_at = message.rfind(" (serial ");
  if (serial_at == std::string_view::npos) return false;
  const auto tail = Words(message.substr(serial_at + 9));  // "N)" "CA" CA_TYPE CA_FP
  if (tail.size() != 4 || !tail[0].ends_with(")") || tail[1] != "CA" ||
      !tail[3].starts_with("SHA256:"))
    return false;
  std::uint64_t serial = 0;
  const std::string_view number = tail[0].substr(0, tail[0].size() - 1);
  if (std::from_chars(number.data(), number.data() + number.size(), serial).ptr !=
      number.data() + number.size())
    return false;
  // The key id may hold spaces: it runs from after "ssh2: TYPE FP ID " to " (serial".
  const std::string_view head = message.substr(0, serial_at);
  const auto words = Words(head);
  for (std::size_t i = words.size(); i-- > 0;) {
    if (words[i] != "ssh2:" || i + 4 >= words.size() || words[i + 3] != "ID" ||
        !words[i + 2].starts_with("SHA256:"))
      continue;
    const std::size_t id_at = static_cast<std::size_t>(words[i + 4].data() - message.data());
    event.key_id = std::string(message.substr(id_at, serial_at - id_at)).substr(0, 200);
    event.serial = serial;
    event.ca_fingerprint = std::string(tail[2]) + " " + std::string(tail[3]);
    const std::size_t end = static_cast<std::size_t>(words[i + 2].data() - message.data()) +
                            words[i + 2].size();
    message = message.substr(0, end);
    return true;
  }
  return false;
}

// "Accepted|Failed METHOD for [invalid user ]NAME from ADDRESS port PORT ssh2[: TYPE FP[ cert]]"
std::optional<protocol::LoginEvent> ParseAuthResult(std::string_view message) {
  auto words = Words(message);
  protocol::LoginEvent event;
  if (SplitCertificate(message, event)) words = Words(message);
  if (words.size() < 8 || words[2] != "for" || !IsMethod(words[1])) return std::nullopt;
  event.accepted = words[0] == "Accepted";
  event.method = words[1];
  std::size_t end = words.size();
  if (words[end - 1] != "ssh2") {
    // ": TYPE SHA256:…" after "ssh2:" (the key's type and fingerprint, sshd's own words).
    if (end < 3 || words[end - 3] != "ssh2:" || !words[end - 1].starts_with("SHA256:"))
      return std::nullopt;
    event.key_type = words[end - 2];
    event.fingerprint = words[end - 1];
    end -= 3;
  } else {
    end -= 1;
  }
  if (end < 4 + 4 || !SourceAt(words, end - 4, event)) return std::nullopt;
  const std::size_t name_start = static_cast<std::size_t>(words[3].data() - message.data());
  const std::size_t name_end = static_cast<std::size_t>(words[end - 4].data() - message.data()) - 1;
  if (name_end <= name_start) return std::nullopt;
  std::string_view user = message.substr(name_start, name_end - name_start);
  if (user.starts_with("invalid user ")) {
    user.remove_prefix(13);
    event.accepted = false;
    event.invalid_user = true;
  }
  SetUser(user, event);
  return event;
}

}  // namespace

std::optional<protocol::LoginEvent> ParseLoginEvent(std::string_view line) {
  // sshd ends the lines it writes with -E in "\r\n".
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n' || line.back() == ' '))
    line.remove_suffix(1);
  const std::string_view message = WithoutProgramPrefix(line);
  if (message.starts_with("Invalid user ")) return ParseInvalidUser(message);
  if (message.starts_with("Accepted ") || message.starts_with("Failed "))
    return ParseAuthResult(message);
  return std::nullopt;
}

std::optional<protocol::LoginEvent> LoginEventReader::Read(std::string_view line) {
  std::string reason = std::move(reason_);
  reason_.clear();
  std::string_view message = WithoutProgramPrefix(line);
  while (!message.empty() && (message.back() == '\r' || message.back() == '\n'))
    message.remove_suffix(1);
  if (message.starts_with("Certificate invalid: ")) {
    reason_ = "certificate " + std::string(message.substr(21, 100));  // "expired", …
    return std::nullopt;
  }
  if (message == "Certificate does not contain an authorized principal") {
    reason_ = "not authorized: the certificate's principal may not log in here (now)";
    return std::nullopt;
  }
  auto event = ParseLoginEvent(line);
  if (event && !event->accepted && !event->key_id.empty())
    event->reason = reason.empty() ? "certificate not signed by a CA this node trusts" : reason;
  return event;
}

}  // namespace gangplank::node
