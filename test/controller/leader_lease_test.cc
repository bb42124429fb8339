// Leader leases: one holder at a time; another takes over only after the holder stops renewing.
#include "controller/leader_lease.h"

#include <gtest/gtest.h>

#include "mocks/fake_clock.h"
#include "store/sqlite_store.h"
#include "support/temp_dir.h"

namespace gangplank::controller {
namespace {

TEST(LeaderLeaseTest, OneHolderAtATimeAndATakeoverAfterTheLeaseLapses) {
  testing::TempDir dir;
  auto store = std::move(store::SqliteStore::Open(dir.Join("db")).value());
  testing::FakeClock clock;
  LeaderLease a(*store, clock, "node-controller", "a", std::chrono::seconds(6));
  LeaderLease b(*store, clock, "node-controller", "b", std::chrono::seconds(6));
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

}  // namespace
}  // namespace gangplank::controller
