// A clock tests move by hand (token expiry, operation timestamps).
#pragma once

#include "common/clock.h"

namespace gangplank::testing {

class FakeClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override { return now_; }
  void Advance(std::chrono::milliseconds by) { now_ += by; }

 private:
  std::chrono::system_clock::time_point now_ = std::chrono::system_clock::now();
};

}  // namespace gangplank::testing
