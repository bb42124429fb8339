// authorized_keys options: the names sshd knows, with or without a quoted value.
#include "sshkey/key_options.h"

#include <strings.h>

#include <algorithm>
#include <array>

#include "sshkey/key_errors.h"

namespace gangplank::sshkey {
namespace {

struct OptionSpec {
  std::string_view name;
  bool takes_value;
};

// From OpenSSH's auth-options.c; sshd matches names case-insensitively.
constexpr std::array<OptionSpec, 22> kOptions = {{
    {"agent-forwarding", false},
    {"cert-authority", false},
    {"command", true},
    {"environment", true},
    {"expiry-time", true},
    {"from", true},
    {"no-agent-forwarding", false},
    {"no-port-forwarding", false},
    {"no-pty", false},
    {"no-touch-required", false},
    {"no-user-rc", false},
    {"no-x11-forwarding", false},
    {"permitlisten", true},
    {"permitopen", true},
    {"port-forwarding", false},
    {"principals", true},
    {"pty", false},
    {"restrict", false},
    {"tunnel", true},
    {"user-rc", false},
    {"verify-required", false},
    {"x11-forwarding", false},
}};

const OptionSpec* FindOption(std::string_view name) {
  for (const OptionSpec& spec : kOptions) {
    if (spec.name.size() == name.size() &&
        strncasecmp(spec.name.data(), name.data(), name.size()) == 0) {
      return &spec;
    }
  }
  return nullptr;
}

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

Error OptionError(std::string message) {
  return KeyError(reason::kInvalidKeyOptions, std::move(message));
}

}  // namespace

bool StartsWithKeyOption(std::string_view token) {
  std::size_t end = 0;
  while (end < token.size() && IsNameChar(token[end])) ++end;
  if (end == 0) return false;
  if (end < token.size() && token[end] != '=' && token[end] != ',' && !IsSpace(token[end])) {
    return false;
  }
  return FindOption(token.substr(0, end)) != nullptr;
}

Result<std::vector<KeyOption>> ParseKeyOptions(std::string_view& text) {
  std::vector<KeyOption> options;
  std::size_t i = 0;
  for (;;) {
    const std::size_t name_start = i;
    while (i < text.size() && IsNameChar(text[i])) ++i;
    const std::string_view name = text.substr(name_start, i - name_start);
    if (name.empty())
      return OptionError("an authorized_keys option is expected before the key type");
    const OptionSpec* spec = FindOption(name);
    if (spec == nullptr) {
      return OptionError("unknown authorized_keys option \"" + std::string(name.substr(0, 40)) +
                         "\"; see sshd(8) AUTHORIZED_KEYS FILE FORMAT for the supported ones");
    }
    KeyOption option{std::string(name), std::nullopt};
    if (i < text.size() && text[i] == '=') {
      if (!spec->takes_value) {
        return OptionError("option \"" + option.name + "\" does not take a value");
      }
      if (++i >= text.size() || text[i] != '"') {
        return OptionError("the value of option \"" + option.name + "\" must be in double quotes");
      }
      ++i;
      std::string value;
      bool closed = false;
      while (i < text.size()) {
        const char c = text[i++];
        if (c == '\\' && i < text.size() && text[i] == '"') {
          value.push_back('"');
          ++i;
        } else if (c == '"') {
          closed = true;
          break;
        } else {
          value.push_back(c);
        }
      }
      if (!closed)
        return OptionError("the value of option \"" + option.name + "\" has no closing quote");
      option.value = std::move(value);
    } else if (spec->takes_value) {
      return OptionError("option \"" + option.name + "\" needs a value, like " + option.name +
                         "=\"...\"");
    }
    options.push_back(std::move(option));
    if (i < text.size() && text[i] == ',') {
      ++i;
      continue;
    }
    if (i < text.size() && !IsSpace(text[i])) {
      return OptionError("unexpected character after option \"" + options.back().name +
                         "\"; options are separated by commas, with no spaces");
    }
    break;
  }
  while (i < text.size() && IsSpace(text[i])) ++i;
  text.remove_prefix(i);
  return options;
}

std::string RenderKeyOptions(const std::vector<KeyOption>& options) {
  std::string out;
  for (const KeyOption& option : options) {
    if (!out.empty()) out.push_back(',');
    out += option.name;
    if (option.value) {
      out += "=\"";
      for (char c : *option.value) {
        if (c == '"') out.push_back('\\');
        out.push_back(c);
      }
      out.push_back('"');
    }
  }
  return out;
}

}  // namespace gangplank::sshkey
