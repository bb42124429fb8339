// Node addresses: steps running side by side in one process probe different addresses, and two
// allocators that pick one address (two replicas) cannot both commit it.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "controller/machines.h"
#include "store/sqlite_store.h"
#include "support/temp_dir.h"

namespace gangplank::controller {
namespace {

class NodeAddressesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::SqliteStore::Open(dir_.path() / "addresses.db");
    ASSERT_TRUE(opened.ok());
    store_ = std::move(opened.value());
  }

  // Leases one address for `machine` and commits it with a machine row, as a pool step does.
  Result<std::string> LeaseAndCommit(NodeAddressAllocator& allocator, const std::string& machine) {
    std::vector<store::Mutation> changes;
    auto address = allocator.Lease(machine, changes);
    if (!address) return address.error();
    allocator.Commit(changes);
    changes.push_back(store::Mutation::Put(
        store::Resource{std::string(resources::kMachineKind), machine, "/p", "{}", 0}));
    auto applied = store_->Apply(changes);
    if (!applied) return applied.error();
    return address;
  }

  testing::TempDir dir_;
  std::unique_ptr<store::SqliteStore> store_;
};

TEST_F(NodeAddressesTest, StepsSharingTheProcessCursorNeverProbeTheSameAddress) {
  AddressCursor cursor;
  NodeAddressAllocator first(*store_, "127.42", &cursor);
  NodeAddressAllocator second(*store_, "127.42", &cursor);
  std::vector<store::Mutation> one, two;
  // Both look before either commits, as two workers' steps do.
  const auto a = first.Lease("/p/machines/a", one);
  const auto b = second.Lease("/p/machines/b", two);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  EXPECT_EQ(*a, "127.42.0.2");  // .0.1 is the bridge's own address
  first.Commit(one);
  second.Commit(two);
  EXPECT_TRUE(store_->Apply(one).ok());
  EXPECT_TRUE(store_->Apply(two).ok());
}

TEST_F(NodeAddressesTest, TwoReplicasThatPickOneAddressCannotBothCommitIt) {
  // Separate cursors, both loaded from the same store row: the same first pick.
  NodeAddressAllocator first(*store_, "127.42");
  NodeAddressAllocator second(*store_, "127.42");
  std::vector<store::Mutation> one, two;
  const auto a = first.Lease("/p/machines/a", one);
  const auto b = second.Lease("/p/machines/b", two);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(*a, *b);
  ASSERT_TRUE(store_->Apply(one).ok());
  const auto refused = store_->Apply(two);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, StatusCode::kAborted);  // the step is retried, and looks again
  const auto lease = store_->Get("nodeAddressLease", "/gangplank/nodeAddresses/" + *a);
  ASSERT_TRUE(lease.ok() && lease->has_value());
  EXPECT_NE((*lease)->body.find("/p/machines/a"), std::string::npos);
}

TEST_F(NodeAddressesTest, AnAddressWhoseMachineIsGoneIsLeasedAgainAndARestartStartsAtTheCursor) {
  AddressCursor cursor;
  NodeAddressAllocator allocator(*store_, "127.42", &cursor);
  const auto a = LeaseAndCommit(allocator, "/p/machines/a");
  const auto b = LeaseAndCommit(allocator, "/p/machines/b");
  ASSERT_TRUE(a.ok() && b.ok());
  // A new process (fresh cursor) starts after the last address the store's cursor names.
  {
    NodeAddressAllocator restarted(*store_, "127.42");
    const auto c = LeaseAndCommit(restarted, "/p/machines/c");
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(*c, "127.42.0.4");
  }
  // Machine a is deleted (its lease stays); once the search wraps round, its address is free.
  ASSERT_TRUE(
      store_
          ->Apply({store::Mutation::Delete(std::string(resources::kMachineKind), "/p/machines/a")})
          .ok());
  ASSERT_TRUE(store_
                  ->Apply({store::Mutation::Put(store::Resource{
                      "nodeAddressCursor", "/gangplank/nodeAddresses", "", R"({"next":0})", 0})})
                  .ok());
  NodeAddressAllocator wrapped(*store_, "127.42");
  const auto reused = LeaseAndCommit(wrapped, "/p/machines/d");
  ASSERT_TRUE(reused.ok());
  EXPECT_EQ(*reused, *a);
  const auto lease = store_->Get("nodeAddressLease", "/gangplank/nodeAddresses/" + *a);
  EXPECT_NE((*lease)->body.find("/p/machines/d"), std::string::npos);
}

}  // namespace
}  // namespace gangplank::controller
