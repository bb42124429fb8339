// Base64 through OpenSSL's EVP block codec; the strictness checks are ours because OpenSSL is
// lenient.
#include "common/base64.h"

#include <openssl/evp.h>

#include <array>

namespace gangplank {
namespace {

// The 6-bit value of each base64 character, -1 for anything else.
constexpr std::array<signed char, 256> MakeAlphabet() {
  std::array<signed char, 256> table{};
  table.fill(-1);
  constexpr std::string_view kChars =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (std::size_t i = 0; i < kChars.size(); ++i) {
    table[static_cast<unsigned char>(kChars[i])] = static_cast<signed char>(i);
  }
  return table;
}
constexpr std::array<signed char, 256> kAlphabet = MakeAlphabet();

signed char ValueOf(char c) { return kAlphabet[static_cast<unsigned char>(c)]; }

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string Base64EncodeUnpadded(std::string_view bytes) {
  std::string out = Base64Encode(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  return out;
}

std::string Base64UrlEncode(std::string_view bytes) {
  std::string out = Base64EncodeUnpadded(bytes);
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  std::string standard(text);
  for (char& c : standard) {
    if (c == '-') {
      c = '+';
    } else if (c == '_') {
      c = '/';
    } else if (c == '+' || c == '/' || c == '=') {
      return std::nullopt;  // not base64url
    }
  }
  while (standard.size() % 4 != 0) standard.push_back('=');
  return Base64DecodeStrict(standard);
}

bool Base64DecodeStrictInto(std::string_view text, std::string& out) {
  if (text.size() % 4 != 0) return false;
  std::size_t padding = 0;
  if (!text.empty() && text.back() == '=') {
    padding = (text.size() >= 2 && text[text.size() - 2] == '=') ? 2 : 1;
  }
  const std::size_t body = text.size() - padding;
  for (std::size_t i = 0; i < body; ++i) {
    if (ValueOf(text[i]) < 0) return false;
  }
  // The bits that padding leaves over must be zero, or two texts would decode to the same bytes
  // (OpenSSH's b64_pton refuses them too).
  if (padding == 1 && (ValueOf(text[body - 1]) & 0x3) != 0) return false;
  if (padding == 2 && (ValueOf(text[body - 1]) & 0xf) != 0) return false;
  out.resize(text.size() / 4 * 3);
  if (text.empty()) return true;
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return false;
  // EVP_DecodeBlock counts the zero bytes that padding stands for; drop them.
  out.resize(static_cast<std::size_t>(n) - padding);
  return true;
}

std::optional<std::string> Base64DecodeStrict(std::string_view text) {
  std::string out;
  if (!Base64DecodeStrictInto(text, out)) return std::nullopt;
  return out;
}

}  // namespace gangplank
