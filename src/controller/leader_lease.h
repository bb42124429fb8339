// A lease on a singleton role (the node controller) kept in the store: one replica holds it and
// renews it; when it stops renewing, another takes it over after the lease runs out. Each
// takeover starts a new term, and every act the holder takes on a node is fenced by it.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>

#include "common/clock.h"
#include "store/store.h"

namespace gangplank::controller {

inline constexpr std::string_view kLeaseKind = "lease";

class LeaderLease {
 public:
  // `clock` is the store's shared clock for replicas (store/shared_clock.h): a replica whose own
  // clock runs ahead must not find a live lease lapsed.
  LeaderLease(store::Store& store, const Clock& clock, std::string role, std::string owner,
              std::chrono::milliseconds duration = std::chrono::seconds(6));

  // Takes the lease when it is free or lapsed, renews it when half of it is gone; true while
  // this process holds it (its last successful write has not run out). Safe to call from
  // several threads (the controller's loop, and its keeper while the loop is busy).
  bool Hold();
  // The fence before an act on the host (starting, replacing or removing a node): true only
  // while this holder's lease has time left by the shared clock and the store, read afresh,
  // still names it holder in the same term. A holder paused and continued (SIGSTOP, a stalled
  // VM) fails it until it has taken the lease again and looked at the store again, so it never
  // acts on what it read before the pause. Safe to call from several threads.
  bool Confirm() const;
  // The fence between the steps of one act, after Confirm at its start: true while the lease
  // this process wrote has at least the act margin left by the shared clock. No store read, so
  // it is asked before every step: a holder paused between two steps fails it when it
  // continues, before another holder (which waits for the lease to lapse) can have acted.
  bool StillHeld() const;
  // The term of the lease this process holds (1 for the first holder; +1 at every takeover).
  std::int64_t term() const { return term_; }
  const std::string& owner() const { return owner_; }

 private:
  long long NowMs() const;

  store::Store& store_;
  const Clock& clock_;
  const std::string id_;
  const std::string owner_;
  const std::chrono::milliseconds duration_;
  std::mutex hold_mutex_;  // one Hold at a time: two renewals racing would lose the lease
  std::atomic<long long> held_until_ms_{0};
  std::atomic<std::int64_t> term_{0};
};

}  // namespace gangplank::controller
