// The SSH wire encoding, with the strictness OpenSSH's sshbuf applies to mpints.
#include "sshkey/wire.h"

namespace gangplank::sshkey {

std::optional<std::uint32_t> WireReader::ReadU32() {
  if (data_.size() < 4) {
    data_ = {};
    return std::nullopt;
  }
  const auto* p = reinterpret_cast<const unsigned char*>(data_.data());
  const std::uint32_t value = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
                              (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
  data_.remove_prefix(4);
  return value;
}

std::optional<std::string_view> WireReader::ReadString() {
  const auto length = ReadU32();
  if (!length || *length > data_.size()) {
    data_ = {};
    return std::nullopt;
  }
  std::string_view value = data_.substr(0, *length);
  data_.remove_prefix(*length);
  return value;
}

std::optional<std::string_view> WireReader::ReadMpint() {
  auto value = ReadString();
  if (!value) return std::nullopt;
  if (value->empty()) return value;  // zero
  const auto first = static_cast<unsigned char>((*value)[0]);
  if (first & 0x80) return std::nullopt;  // negative
  if (first == 0) {
    // A leading zero is only allowed to keep the next byte's high bit from reading as a sign.
    if (value->size() == 1 || !(static_cast<unsigned char>((*value)[1]) & 0x80))
      return std::nullopt;
    value->remove_prefix(1);
  }
  return value;
}

}  // namespace gangplank::sshkey
