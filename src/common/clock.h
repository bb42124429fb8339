// The time seam (Envoy's TimeSource): wall time for what is written down and compared across
// machines (token expiry, leases, timestamps), monotonic time for intervals and deadlines in this
// process (retries, renewals). Real time in production; test/mocks/fake_clock.h moves both.
#pragma once

#include <chrono>

namespace gangplank {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall time.
  virtual std::chrono::system_clock::time_point Now() const = 0;
  // Monotonic time: never goes back, whatever the wall clock does.
  virtual std::chrono::steady_clock::time_point Monotonic() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::now();
  }
  std::chrono::steady_clock::time_point Monotonic() const override {
    return std::chrono::steady_clock::now();
  }
};

// Seconds since the Unix epoch, as JWT claims and ARM timestamps count them.
inline long long UnixSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace gangplank
