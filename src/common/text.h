// Small text helpers shared by the layers that print untrusted text.
#pragma once

#include <string>

namespace gangplank {

// Appends "\ooo", the octal escape ssh-keygen and vis(3) use for control bytes.
inline void AppendOctalEscape(std::string& out, unsigned char byte) {
  const char escaped[4] = {'\\', static_cast<char>('0' + (byte >> 6)),
                           static_cast<char>('0' + ((byte >> 3) & 7)),
                           static_cast<char>('0' + (byte & 7))};
  out.append(escaped, 4);
}

}  // namespace gangplank
