// Base64 through OpenSSL's EVP block codec; the strictness checks are ours because OpenSSL is
// lenient.
#include "common/base64.h"

#include <openssl/evp.h>

#include <array>

namespace gangplank {
namespace {

constexpr std::array<bool, 256> MakeAlphabet() {
  std::array<bool, 256> table{};
  for (char c = 'A'; c <= 'Z'; ++c) table[static_cast<unsigned char>(c)] = true;
  for (char c = 'a'; c <= 'z'; ++c) table[static_cast<unsigned char>(c)] = true;
  for (char c = '0'; c <= '9'; ++c) table[static_cast<unsigned char>(c)] = true;
  table['+'] = true;
  table['/'] = true;
  return table;
}
constexpr std::array<bool, 256> kAlphabet = MakeAlphabet();

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

bool Base64DecodeStrictInto(std::string_view text, std::string& out) {
  if (text.size() % 4 != 0) return false;
  std::size_t padding = 0;
  if (!text.empty() && text.back() == '=') {
    padding = (text.size() >= 2 && text[text.size() - 2] == '=') ? 2 : 1;
  }
  const std::size_t body = text.size() - padding;
  for (std::size_t i = 0; i < body; ++i) {
    if (!kAlphabet[static_cast<unsigned char>(text[i])]) return false;
  }
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
