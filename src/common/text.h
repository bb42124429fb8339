// Small text helpers shared by the layers that print untrusted text.
#pragma once

#include <string>
#include <string_view>

namespace gangplank {

// Appends "\ooo", the octal escape ssh-keygen and vis(3) use for control bytes.
inline void AppendOctalEscape(std::string& out, unsigned char byte) {
  const char escaped[4] = {'\\', static_cast<char>('0' + (byte >> 6)),
                           static_cast<char>('0' + ((byte >> 3) & 7)),
                           static_cast<char>('0' + (byte & 7))};
  out.append(escaped, 4);
}

// `text` as valid UTF-8: every byte that does not begin a well-formed sequence (RFC 3629: no
// overlongs, no surrogates, nothing past U+10FFFF) becomes U+FFFD, so JSON output always parses.
std::string ValidUtf8(std::string_view text);

// Valid UTF-8 with every non-ASCII character as \u escapes (surrogate pairs above U+FFFF), as
// Python's json.dumps writes JSON text by default.
std::string AsciiJsonEscapes(std::string_view text);

// How TerminalSafe writes what it escapes.
enum class Escapes {
  kTerminal,              // \t \n \r, other bytes below 0x80 as \ooo, the rest as \u202e
  kTerminalKeepNewlines,  // the same, but '\n' stays (multi-line text such as logs)
  kJsonString,            // only non-ASCII ones, as \u202e (a JSON serializer does the rest)
};

// `text` safe to put on a terminal: valid UTF-8 with every control character (C0, tab too, DEL,
// C1) and every bidirectional control written as an escape instead of acted on. The one function
// through which the CLI prints text that came from a server or a node, in every format.
std::string TerminalSafe(std::string_view text, Escapes style = Escapes::kTerminal);

// What shadow's useradd takes as a user name: [a-z_][a-z0-9_-]*[$]?, at most 32 characters.
bool IsLinuxUserName(std::string_view name);

// An IPv4 or IPv6 address in its text form (nothing else: no names, no ports, no options).
bool IsIpAddress(std::string_view text);

// Characters, not bytes, of valid UTF-8: for lining up table columns.
std::size_t CodePointCount(std::string_view text);

}  // namespace gangplank
