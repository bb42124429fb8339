// Leader leases: one holder at a time; another takes over only after the holder stops renewing.
#include "controller/leader_lease.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "mocks/fake_clock.h"
#include "store/sqlite_store.h"
#include "support/temp_dir.h"

namespace gangplank::controller {
namespace {

// Two replicas, a and b, contending for one lease in one store, on a clock the test moves.
class LeaderLeaseTest : public ::testing::Test {
 protected:
  testing::TempDir dir;
  std::unique_ptr<store::SqliteStore> store =
      std::move(store::SqliteStore::Open(dir.Join("db")).value());
  testing::FakeClock clock;
  LeaderLease a{*store, clock, "node-controller", "a", std::chrono::seconds(6)};
  LeaderLease b{*store, clock, "node-controller", "b", std::chrono::seconds(6)};
};

TEST_F(LeaderLeaseTest, OneHolderAtATimeAndATakeoverAfterTheLeaseLapses) {
  EXPECT_TRUE(a.Hold());
  EXPECT_FALSE(b.Hold());
  clock.Advance(std::chrono::seconds(4));
  EXPECT_TRUE(a.Hold());  // renewed: more than half was gone
  clock.Advance(std::chrono::seconds(4));
  EXPECT_FALSE(b.Hold()) << "b took a lease that a had renewed";
  clock.Advance(std::chrono::seconds(7));  // a stops renewing (it died)
  EXPECT_TRUE(b.Hold());
  EXPECT_FALSE(a.Hold()) << "a came back and kept acting beside b";
}

TEST_F(LeaderLeaseTest, EveryTakeoverStartsANewTermAndRenewalsKeepIt) {
  ASSERT_TRUE(a.Hold());
  EXPECT_EQ(a.term(), 1);
  clock.Advance(std::chrono::seconds(4));
  ASSERT_TRUE(a.Hold());
  EXPECT_EQ(a.term(), 1) << "a renewal is no takeover";
  clock.Advance(std::chrono::seconds(7));
  ASSERT_TRUE(b.Hold());
  EXPECT_EQ(b.term(), 2);
  clock.Advance(std::chrono::seconds(7));
  ASSERT_TRUE(a.Hold());
  EXPECT_EQ(a.term(), 3) << "a holder that lost its lease comes back in a new term";
}

// The fence before an act on a node: a holder paused past its lease (SIGSTOP, a stalled VM)
// confirms nothing when it continues, even before it looks at the lease again, and a holder that
// was taken over never confirms the old term.
TEST_F(LeaderLeaseTest, APausedHolderConfirmsNothingWhenItContinues) {
  EXPECT_FALSE(a.Confirm()) << "confirmed a lease never taken";
  ASSERT_TRUE(a.Hold());
  EXPECT_TRUE(a.Confirm());
  clock.Advance(std::chrono::milliseconds(5500));  // a pause: too little left to start an act
  EXPECT_FALSE(a.Confirm());
  clock.Advance(std::chrono::seconds(1));
  ASSERT_TRUE(b.Hold());
  EXPECT_TRUE(b.Confirm());
  EXPECT_FALSE(a.Confirm()) << "a acted in b's term";
  // a's next Hold sees b's live lease: it is not leader and still confirms nothing.
  EXPECT_FALSE(a.Hold());
  EXPECT_FALSE(a.Confirm());
}

// A process whose clock stopped (paused) still thinks it has seconds left; meanwhile a new
// process under the same name took the lease in a new term. The old one confirms nothing: the
// term, not the name, says who holds the lease.
TEST_F(LeaderLeaseTest, AnOlderTermConfirmsNothingEvenUnderTheSameName) {
  testing::FakeClock paused = clock;
  LeaderLease old{*store, paused, "node-controller", "r", std::chrono::seconds(6)};
  ASSERT_TRUE(old.Hold());
  clock.Advance(std::chrono::seconds(7));
  LeaderLease restarted{*store, clock, "node-controller", "r", std::chrono::seconds(6)};
  ASSERT_TRUE(restarted.Hold());
  EXPECT_EQ(restarted.term(), 2);
  EXPECT_TRUE(restarted.Confirm());
  paused.Advance(std::chrono::seconds(1));  // the old process: 5 s left, as far as it knows
  EXPECT_FALSE(old.Confirm()) << "a holder of term 1 acted in term 2";
}

// The fence between the steps of an act: a holder paused between two steps fails it as soon as
// it continues, before a takeover is even possible, without a look at the store.
TEST_F(LeaderLeaseTest, BetweenStepsAPausedHolderStopsBeforeAnotherCanTakeOver) {
  EXPECT_FALSE(a.StillHeld()) << "a fence open for a lease never taken";
  ASSERT_TRUE(a.Hold());
  EXPECT_TRUE(a.StillHeld());
  clock.Advance(std::chrono::milliseconds(5100));  // paused with 0.9 s of the lease left
  EXPECT_FALSE(a.StillHeld()) << "a step may start with less than the act margin left";
  EXPECT_FALSE(b.Hold()) << "b took over while a's lease still ran";
  ASSERT_TRUE(a.Hold());  // a continues and renews before it lapses
  EXPECT_TRUE(a.StillHeld());
}

// Renewals from two threads (the controller's loop and its lease keeper) never cost the lease:
// without one Hold at a time, the loser of two racing writes gives the lease up.
TEST_F(LeaderLeaseTest, RenewalsFromTwoThreadsKeepTheLease) {
  ASSERT_TRUE(a.Hold());
  for (int round = 0; round < 200; ++round) {
    clock.Advance(std::chrono::milliseconds(3100));  // past half: both threads renew
    std::atomic<int> held{0};
    std::thread first([&] { held += a.Hold(); });
    std::thread second([&] { held += a.Hold(); });
    first.join();
    second.join();
    ASSERT_EQ(held, 2) << "round " << round << ": a racing renewal gave the lease up";
    ASSERT_TRUE(a.StillHeld());
  }
}

}  // namespace
}  // namespace gangplank::controller
