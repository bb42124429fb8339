// The public-key parser: line, RFC 4716 and PEM forms, all ending in ParseKeyBlob's validation.
#include "sshkey/parse.h"

#include <strings.h>

#include "common/base64.h"
#include "sshkey/key_errors.h"
#include "sshkey/key_options.h"
#include "sshkey/pem.h"
#include "sshkey/private_key_detect.h"
#include "sshkey/wire.h"

namespace gangplank::sshkey {
namespace {

constexpr std::string_view kRfc4716Begin = "---- BEGIN SSH2 PUBLIC KEY ----";
constexpr std::string_view kRfc4716End = "---- END SSH2 PUBLIC KEY ----";
constexpr std::string_view kPemBegin = "-----BEGIN ";
constexpr std::string_view kPemEnd = "-----END ";

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

std::string_view TrimLeft(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  return s;
}

std::string_view Trim(std::string_view s) {
  s = TrimLeft(s);
  while (!s.empty() && (IsSpace(s.back()) || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

std::string_view NextToken(std::string_view s) {
  std::size_t end = 0;
  while (end < s.size() && !IsSpace(s[end])) ++end;
  return s.substr(0, end);
}

// True when a token after the first one is a key type: the first token was meant as options.
bool NamesKeyTypeLater(std::string_view line) {
  std::string_view rest = TrimLeft(line.substr(NextToken(line).size()));
  while (!rest.empty()) {
    const std::string_view token = NextToken(rest);
    if (FindAlgorithm(token) != nullptr || LooksLikeKeyType(token)) return true;
    rest = TrimLeft(rest.substr(token.size()));
  }
  return false;
}

// Splits text into lines without copying; tracks 1-based line numbers.
class LineCursor {
 public:
  explicit LineCursor(std::string_view text) : text_(text) {}
  bool Next(std::string_view& line) {
    if (position_ >= text_.size()) return false;
    const std::size_t end = text_.find('\n', position_);
    const std::size_t stop = end == std::string_view::npos ? text_.size() : end;
    line = text_.substr(position_, stop - position_);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    position_ = stop + 1;
    ++number_;
    return true;
  }
  std::size_t number() const { return number_; }

 private:
  std::string_view text_;
  std::size_t position_ = 0;
  std::size_t number_ = 0;
};

Result<PublicKey> ParseRfc4716Body(std::string_view body_base64, std::string comment,
                                   const ParsePolicy& policy) {
  std::string blob;
  if (!Base64DecodeStrictInto(body_base64, blob)) {
    return KeyError(reason::kInvalidRfc4716,
                    "the SSH2 (RFC 4716) public key body is not valid base64");
  }
  auto key = ParseKeyBlob(blob, "", policy);
  if (key) key->comment = std::move(comment);
  return key;
}

// Collects an RFC 4716 block from the line after BEGIN through END.
Result<PublicKey> ParseRfc4716Block(LineCursor& cursor, const ParsePolicy& policy) {
  std::string body;
  std::string comment;
  bool in_headers = true;
  bool continued = false;
  std::string header;
  std::string_view line;
  while (cursor.Next(line)) {
    line = Trim(line);
    if (line == kRfc4716End) return ParseRfc4716Body(body, std::move(comment), policy);
    if (in_headers && (continued || line.find(':') != std::string_view::npos)) {
      // RFC 4716 §3.3: "Tag: value", a trailing backslash continues the header on the next line.
      continued = !line.empty() && line.back() == '\\';
      header += continued ? line.substr(0, line.size() - 1) : line;
      if (!continued) {
        const std::size_t colon = header.find(':');
        const std::string_view tag = std::string_view(header).substr(0, colon);
        std::string_view value = Trim(std::string_view(header).substr(colon + 1));
        if (tag.size() == 7 && strncasecmp(tag.data(), "comment", 7) == 0) {
          if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
            value = value.substr(1, value.size() - 2);
          }
          comment = std::string(value);
        }
        header.clear();
      }
      continue;
    }
    in_headers = false;
    body += line;
  }
  return KeyError(reason::kInvalidRfc4716,
                  "the SSH2 (RFC 4716) public key has no \"---- END SSH2 PUBLIC KEY ----\" line");
}

Result<PublicKey> ParsePemBlock(std::string_view first_line, LineCursor& cursor,
                                const ParsePolicy& policy) {
  std::string block(first_line);
  block.push_back('\n');
  std::string_view line;
  while (cursor.Next(line)) {
    line = Trim(line);
    block += line;
    block.push_back('\n');
    if (line.starts_with(kPemEnd)) return ParsePemPublicKey(block, policy);
  }
  return KeyError(reason::kInvalidPemKey, "the PEM public key has no \"-----END\" line");
}

Error MissingKeyType() {
  return KeyError(reason::kMalformedKeyLine,
                  "the key type is missing before the key data: a public key line reads \"TYPE "
                  "BASE64 [COMMENT]\", for example \"ssh-ed25519 AAAAC3Nza... user@host\"");
}

}  // namespace

Result<PublicKey> ParseKeyBlob(std::string_view blob, std::string_view declared_type,
                               const ParsePolicy& policy) {
  WireReader reader(blob);
  const auto type = reader.ReadString();
  if (!type) {
    return KeyError(reason::kTruncatedKey, "the key data is truncated; copy the whole key again");
  }
  if (!declared_type.empty() && *type != declared_type) {
    const std::string inner = PrintableExcerpt(*type);
    return KeyError(reason::kKeyTypeMismatch,
                    "the line says " + std::string(declared_type) + " but the key data is a \"" +
                        inner + "\" key; the type and the data must come from the same key");
  }
  const KeyAlgorithm* algorithm = FindAlgorithm(*type);
  if (algorithm == nullptr) return RefusedTypeError(*type);
  auto body = algorithm->parse_body(reader, *algorithm, policy);
  if (!body) return body.error();
  if (!reader.AtEnd()) {
    return KeyError(reason::kTrailingBytes,
                    "the " + std::string(algorithm->name) + " key data has " +
                        std::to_string(reader.remaining()) + " unexpected bytes after the key");
  }
  PublicKey key;
  key.algorithm = algorithm;
  key.blob = std::string(blob);
  key.bits = body->bits;
  key.application = std::move(body->application);
  return key;
}

Result<PublicKey> ParseAuthorizedKeysLine(std::string_view line, const ParsePolicy& policy) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  std::string_view rest = TrimLeft(line);
  if (rest.empty()) return KeyError(reason::kEmptyInput, "no key was given (the line is empty)");

  std::vector<KeyOption> options;
  std::string_view type = NextToken(rest);
  if (FindAlgorithm(type) == nullptr && !LooksLikeKeyType(type)) {
    if (type.starts_with("AAAA")) return MissingKeyType();
    if (!StartsWithKeyOption(rest) && type.find('=') == std::string_view::npos &&
        !NamesKeyTypeLater(rest)) {
      return KeyError(
          reason::kMalformedKeyLine,
          "this is not a public key: a public key line reads \"TYPE BASE64 [COMMENT]\", "
          "for example \"ssh-ed25519 AAAAC3Nza... user@host\"");
    }
    auto parsed = ParseKeyOptions(rest);
    if (!parsed) return parsed.error();
    options = std::move(parsed.value());
    type = NextToken(rest);
    if (type.empty()) {
      return KeyError(reason::kMalformedKeyLine,
                      "the key is missing after the options; an authorized_keys line reads "
                      "\"[OPTIONS] TYPE BASE64 [COMMENT]\"");
    }
    if (type.starts_with("AAAA")) return MissingKeyType();
  }
  if (FindAlgorithm(type) == nullptr) return RefusedTypeError(type);
  rest = TrimLeft(rest.substr(type.size()));
  const std::string_view encoded = NextToken(rest);
  if (encoded.empty()) {
    return KeyError(reason::kMalformedKeyLine,
                    "the key data is missing after \"" + std::string(type) +
                        "\"; a public key line reads \"TYPE BASE64 [COMMENT]\"");
  }
  std::string blob;
  if (!Base64DecodeStrictInto(encoded, blob)) {
    return KeyError(reason::kInvalidBase64,
                    "the key data is not valid base64; it may have been cut short or wrapped "
                    "when it was copied");
  }
  auto key = ParseKeyBlob(blob, type, policy);
  if (!key) return key;
  key->comment = std::string(TrimLeft(rest.substr(encoded.size())));
  key->options = std::move(options);
  return key;
}

Result<std::vector<ParsedEntry>> ParsePublicKeys(std::string_view text, const ParsePolicy& policy) {
  if (Trim(text).empty())
    return KeyError(reason::kEmptyInput, "no key was given (the input is empty)");
  if (ContainsPrivateKey(text)) return PrivateKeyError();

  std::vector<ParsedEntry> entries;
  LineCursor cursor(text);
  std::string_view line;
  while (cursor.Next(line)) {
    const std::string_view trimmed = Trim(line);
    if (trimmed.empty() || trimmed.front() == '#') continue;
    const std::size_t number = cursor.number();
    if (trimmed == kRfc4716Begin) {
      entries.push_back({number, ParseRfc4716Block(cursor, policy)});
    } else if (trimmed.starts_with(kPemBegin)) {
      entries.push_back({number, ParsePemBlock(trimmed, cursor, policy)});
    } else {
      entries.push_back({number, ParseAuthorizedKeysLine(line, policy)});
    }
  }
  return entries;
}

Result<PublicKey> ParseSinglePublicKey(std::string_view text, const ParsePolicy& policy) {
  auto entries = ParsePublicKeys(text, policy);
  if (!entries) return entries.error();
  if (entries->empty()) {
    return KeyError(reason::kEmptyInput, "no key was given (only comments or blank lines)");
  }
  if (entries->size() > 1) {
    return KeyError(reason::kTooManyKeys, std::to_string(entries->size()) +
                                              " keys were given where exactly one is expected");
  }
  return std::move(entries->front().key);
}

}  // namespace gangplank::sshkey
