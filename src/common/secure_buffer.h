// Containers for secret material that are wiped (OPENSSL_cleanse) whenever their memory is
// released.
#pragma once

#include <openssl/crypto.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gangplank {

template <typename T>
struct WipingAllocator {
  using value_type = T;
  WipingAllocator() = default;
  template <typename U>
  WipingAllocator(const WipingAllocator<U>&) {}  // NOLINT: allocator conversion

  T* allocate(std::size_t n) { return std::allocator<T>().allocate(n); }
  void deallocate(T* p, std::size_t n) {
    OPENSSL_cleanse(p, n * sizeof(T));
    std::allocator<T>().deallocate(p, n);
  }
  template <typename U>
  bool operator==(const WipingAllocator<U>&) const {
    return true;
  }
};

// Vector growth releases old buffers through the allocator, so no stale copy survives.
using SecureBytes = std::vector<std::uint8_t, WipingAllocator<std::uint8_t>>;
// Capacity is reserved up front by callers so small-string storage is never used for secrets.
using SecureString = std::basic_string<char, std::char_traits<char>, WipingAllocator<char>>;

// Wipes a plain string that may hold secret material (a file that turned out to be a private key)
// when the scope ends.
class WipeOnExit {
 public:
  explicit WipeOnExit(std::string& data) : data_(data) {}
  ~WipeOnExit() { OPENSSL_cleanse(data_.data(), data_.size()); }
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;

 private:
  std::string& data_;
};

}  // namespace gangplank
