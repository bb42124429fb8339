// authorized_keys options: the names sshd knows, with or without a quoted value.
#include "sshkey/key_options.h"

#include <strings.h>

#include <algorithm>
#include <array>

#include "sshkey/key_errors.h"

namespace gangplank::sshkey {
namespace {

// Checks an option's value; returns an explanation of what is expected, or nothing when valid.
using ValueCheck = std::string_view (*)(std::string_view value);

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}
bool IsPort(std::string_view s) { return s == "*" || (AllDigits(s) && s.size() <= 5); }

std::string_view CheckNonEmpty(std::string_view value) {
  return value.empty() ? "a non-empty value" : "";
}
std::string_view CheckAny(std::string_view) { return ""; }
std::string_view CheckExpiryTime(std::string_view value) {
  if (!value.empty() && (value.back() == 'Z' || value.back() == 'z')) value.remove_suffix(1);
  const bool ok =
      AllDigits(value) && (value.size() == 8 || value.size() == 12 || value.size() == 14);
  return ok ? "" : "a time as YYYYMMDD[HHMM[SS]][Z]";
}
std::string_view CheckTunnel(std::string_view value) {
  return value == "any" || AllDigits(value) ? "" : "a tunnel device number or \"any\"";
}
std::string_view CheckEnvironment(std::string_view value) {
  const std::size_t equals = value.find('=');
  const std::string_view name = value.substr(0, equals);
  const bool ok = equals != std::string_view::npos && !name.empty() &&
                  !(name[0] >= '0' && name[0] <= '9') &&
                  std::all_of(name.begin(), name.end(), [](char c) {
                    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9') || c == '_';
                  });
  return ok ? "" : "NAME=value with a name of letters, digits and underscores";
}
std::string_view CheckPermitOpen(std::string_view value) {
  const std::size_t colon = value.rfind(':');
  const bool ok = colon != std::string_view::npos && colon > 0 && IsPort(value.substr(colon + 1));
  return ok ? "" : "host:port (port a number or *)";
}
std::string_view CheckPermitListen(std::string_view value) {
  const std::size_t colon = value.rfind(':');
  return IsPort(colon == std::string_view::npos ? value : value.substr(colon + 1))
             ? ""
             : "[host:]port (port a number or *)";
}

struct OptionSpec {
  std::string_view name;
  ValueCheck check;  // nullptr: a flag without a value
  bool negatable;    // sshd also accepts "no-" in front
};

// From OpenSSH's auth-options.c (sshauthopt_parse); sshd matches names case-insensitively.
constexpr std::array<OptionSpec, 17> kOptions = {{
    {"agent-forwarding", nullptr, true},
    {"port-forwarding", nullptr, true},
    {"pty", nullptr, true},
    {"user-rc", nullptr, true},
    {"x11-forwarding", nullptr, true},
    {"touch-required", nullptr, true},
    {"verify-required", nullptr, true},
    {"restrict", nullptr, false},
    {"cert-authority", nullptr, false},
    {"command", CheckAny, false},
    {"principals", CheckNonEmpty, false},
    {"from", CheckNonEmpty, false},
    {"expiry-time", CheckExpiryTime, false},
    {"environment", CheckEnvironment, false},
    {"permitopen", CheckPermitOpen, false},
    {"permitlisten", CheckPermitListen, false},
    {"tunnel", CheckTunnel, false},
}};

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

const OptionSpec* FindOption(std::string_view name) {
  const bool negated = name.size() > 3 && EqualsIgnoringCase(name.substr(0, 3), "no-");
  for (const OptionSpec& spec : kOptions) {
    if (EqualsIgnoringCase(spec.name, name)) return &spec;
    if (negated && spec.negatable && EqualsIgnoringCase(spec.name, name.substr(3))) return &spec;
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
      if (spec->check == nullptr) {
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
      if (!closed) {
        return OptionError("the value of option \"" + option.name + "\" has no closing quote");
      }
      if (const std::string_view expected = spec->check(value); !expected.empty()) {
        return OptionError("option \"" + option.name + "\" needs " + std::string(expected));
      }
      option.value = std::move(value);
    } else if (spec->check != nullptr) {
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
