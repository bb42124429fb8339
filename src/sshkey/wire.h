// The SSH wire encoding (RFC 4251 §5): uint32, string and mpint readers and writers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gangplank::sshkey {

// Reads from a borrowed buffer; every getter returns nullopt on truncation and leaves the reader
// failed, so a parser can chain reads and check once.
class WireReader {
 public:
  explicit WireReader(std::string_view data) : data_(data) {}

  std::optional<std::uint32_t> ReadU32();
  std::optional<std::string_view> ReadString();
  // The magnitude bytes of a non-negative mpint in minimal form; nullopt if negative, padded with
  // a needless zero byte, or truncated.
  std::optional<std::string_view> ReadMpint();

  bool AtEnd() const { return data_.empty(); }
  std::size_t remaining() const { return data_.size(); }

 private:
  std::string_view data_;
};

// Writes into any std::basic_string; the private-key writer uses a SecureString so every
// intermediate buffer holding secrets is wiped when released.
template <typename Buffer>
class BasicWireWriter {
 public:
  void WriteU32(std::uint32_t value) {
    const char bytes[4] = {static_cast<char>(value >> 24), static_cast<char>(value >> 16),
                           static_cast<char>(value >> 8), static_cast<char>(value)};
    out_.append(bytes, 4);
  }
  void WriteString(std::string_view bytes) {
    WriteU32(static_cast<std::uint32_t>(bytes.size()));
    out_.append(bytes.data(), bytes.size());
  }
  // Writes big-endian magnitude bytes as a positive mpint (minimal, sign byte added when needed).
  void WriteMpint(std::string_view magnitude) {
    while (!magnitude.empty() && magnitude.front() == '\0') magnitude.remove_prefix(1);
    const bool sign_byte = !magnitude.empty() && (static_cast<unsigned char>(magnitude[0]) & 0x80);
    WriteU32(static_cast<std::uint32_t>(magnitude.size() + (sign_byte ? 1 : 0)));
    if (sign_byte) out_.push_back('\0');
    out_.append(magnitude.data(), magnitude.size());
  }
  void WriteRaw(std::string_view bytes) { out_.append(bytes.data(), bytes.size()); }

  const Buffer& data() const { return out_; }
  Buffer& mutable_data() { return out_; }

 private:
  Buffer out_;
};

using WireWriter = BasicWireWriter<std::string>;

}  // namespace gangplank::sshkey
