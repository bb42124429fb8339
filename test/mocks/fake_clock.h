// A clock tests move by hand (token expiry, operation timestamps, retry delays). Both times still
// flow as real time does; Advance jumps them forward. Safe to read from the engines' threads.
#pragma once

#include <atomic>

#include "common/clock.h"

namespace gangplank::testing {

class FakeClock final : public Clock {
 public:
  FakeClock() = default;
  // A copy stands still where the original was (a paused replica's clock).
  FakeClock(const FakeClock& other)
      : start_(other.start_), advanced_ms_(other.advanced_ms_.load()) {}
  std::chrono::system_clock::time_point Now() const override {
    return start_ + std::chrono::milliseconds(advanced_ms_.load());
  }
  std::chrono::steady_clock::time_point Monotonic() const override {
    return std::chrono::steady_clock::now() + std::chrono::milliseconds(advanced_ms_.load());
  }
  void Advance(std::chrono::milliseconds by) { advanced_ms_ += by.count(); }

 private:
  const std::chrono::system_clock::time_point start_ = std::chrono::system_clock::now();
  std::atomic<long long> advanced_ms_{0};
};

}  // namespace gangplank::testing
