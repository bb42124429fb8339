// The clock seam: real time in production, a settable clock in tests (token expiry, operations).
#pragma once

#include <chrono>

namespace gangplank {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::now();
  }
};

// Seconds since the Unix epoch, as JWT claims and ARM timestamps count them.
inline long long UnixSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace gangplank
