// A lease on a singleton role (the node controller) kept in the store: one replica holds it and
// renews it; when it stops renewing, another takes it over after the lease runs out.
#pragma once

#include <chrono>
#include <string>

#include "common/clock.h"
#include "store/store.h"

namespace gangplank::controller {

inline constexpr std::string_view kLeaseKind = "lease";

class LeaderLease {
 public:
  LeaderLease(store::Store& store, const Clock& clock, std::string role, std::string owner,
              std::chrono::milliseconds duration = std::chrono::seconds(6));

  // Takes the lease when it is free or lapsed, renews it when half of it is gone; true while
  // this process holds it (its last successful write has not run out).
  bool Hold();
  const std::string& owner() const { return owner_; }

 private:
  long long NowMs() const;

  store::Store& store_;
  const Clock& clock_;
  const std::string id_;
  const std::string owner_;
  const std::chrono::milliseconds duration_;
  long long held_until_ms_ = 0;
};

}  // namespace gangplank::controller
