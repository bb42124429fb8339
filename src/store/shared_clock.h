// The control plane's clock: the shared store's (the database server's) when replicas share one,
// so leases, operation deadlines and node timestamps written by one replica mean the same to the
// others whatever each host's own clock says; this process's own clock otherwise.
#pragma once

#include "common/clock.h"
#include "store/store.h"

namespace gangplank::store {

class SharedClock final : public Clock {
 public:
  SharedClock(const Store& store, const Clock& own) : store_(store), own_(own) {}
  std::chrono::system_clock::time_point Now() const override {
    if (const auto ms = store_.SharedClockMs()) {
      return std::chrono::system_clock::time_point(
          std::chrono::duration_cast<std::chrono::system_clock::duration>(
              std::chrono::milliseconds(*ms)));
    }
    return own_.Now();
  }
  // Intervals are this process's own: a replica's deadlines need no other's clock.
  std::chrono::steady_clock::time_point Monotonic() const override { return own_.Monotonic(); }

 private:
  const Store& store_;
  const Clock& own_;
};

}  // namespace gangplank::store
