// UTF-8 repair and counting for printed output.
#include "common/text.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>

namespace gangplank {
namespace {

// Length of the well-formed sequence at text[i], or 0.
std::size_t SequenceLength(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // overlong
    if (lead == 0xED) high = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // overlong
    if (lead == 0xF4) high = 0x8F;  // past U+10FFFF
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  if (byte(1) < low || byte(1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k)
    if ((byte(k) & 0xC0) != 0x80) return 0;
  return length;
}

}  // namespace

std::string ValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = SequenceLength(text, i);
    if (length == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    } else {
      out.append(text, i, length);
      i += length;
    }
  }
  return out;
}

namespace {

// The code point of the well-formed sequence of `length` bytes at valid[i].
unsigned DecodeAt(std::string_view valid, std::size_t i, std::size_t length) {
  const auto lead = static_cast<unsigned char>(valid[i]);
  unsigned code = lead & (length == 4 ? 0x07u : length == 3 ? 0x0Fu : length == 2 ? 0x1Fu : 0x7Fu);
  for (std::size_t k = 1; k < length; ++k)
    code = (code << 6) | (static_cast<unsigned char>(valid[i + k]) & 0x3Fu);
  return code;
}

// Characters a terminal acts on (or that reorder what it shows) rather than prints.
bool ActsOnTerminal(unsigned code) {
  return code < 0x20 || code == 0x7F || (code >= 0x80 && code <= 0x9F) ||
         (code >= 0x202A && code <= 0x202E) || (code >= 0x2066 && code <= 0x2069) ||
         code == 0x200E || code == 0x200F || code == 0x061C;
}

void AppendEscape(std::string& out, unsigned code) {
  static constexpr std::pair<unsigned, const char*> kNamed[] = {
      {'\t', "\\t"}, {'\n', "\\n"}, {'\r', "\\r"}};
  if (code < 0x80) {
    for (const auto& [named, text] : kNamed)
      if (code == named) return void(out += text);
    return AppendOctalEscape(out, static_cast<unsigned char>(code));
  }
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "\\u%04x", code);
  out += buffer;
}

}  // namespace

std::string TerminalSafe(std::string_view text, Escapes style) {
  const std::string valid = ValidUtf8(text);
  std::string out;
  out.reserve(valid.size());
  for (std::size_t i = 0; i < valid.size();) {
    const std::size_t length = SequenceLength(valid, i);
    const unsigned code = DecodeAt(valid, i, length);
    const bool kept = !ActsOnTerminal(code) ||
                      (style == Escapes::kTerminalKeepNewlines && code == '\n') ||
                      (style == Escapes::kJsonString && code < 0x80);
    if (kept) {
      out.append(valid, i, length);
    } else {
      AppendEscape(out, code);
    }
    i += length;
  }
  return out;
}

bool IsIpAddress(std::string_view text) {
  if (text.empty() || text.size() > 45) return false;
  const std::string address(text);
  unsigned char buffer[16];
  return ::inet_pton(AF_INET, address.c_str(), buffer) == 1 ||
         ::inet_pton(AF_INET6, address.c_str(), buffer) == 1;
}

bool IsLinuxUserName(std::string_view name) {
  if (name.empty() || name.size() > 32) return false;
  if (name.back() == '$') name.remove_suffix(1);
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok =
        (c >= 'a' && c <= 'z') || c == '_' || (i > 0 && ((c >= '0' && c <= '9') || c == '-'));
    if (!ok) return false;
  }
  return !name.empty();
}

std::string AsciiJsonEscapes(std::string_view text) {
  const std::string valid = ValidUtf8(text);
  std::string out;
  const auto escape = [&out](unsigned unit) {
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "\\u%04x", unit & 0xFFFF);
    out += buffer;
  };
  for (std::size_t i = 0; i < valid.size();) {
    const std::size_t length = SequenceLength(valid, i);
    if (length == 1) {
      out.push_back(valid[i++]);
      continue;
    }
    unsigned code = DecodeAt(valid, i, length);
    i += length;
    if (code >= 0x10000) {
      code -= 0x10000;
      escape(0xD800 + (code >> 10));
      escape(0xDC00 + (code & 0x3FF));
    } else {
      escape(code);
    }
  }
  return out;
}

std::size_t CodePointCount(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

}  // namespace gangplank
