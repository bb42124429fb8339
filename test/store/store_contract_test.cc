// The Store contract, run unchanged against every Store (SQLite today; each new store joins the
// list at the bottom): versions, preconditions, case-insensitive ids, cascading deletes, atomic
// batches, revisions, durability across reopening.
#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "store/sqlite_store.h"
#include "support/temp_dir.h"

namespace gangplank::store {
namespace {

// How to open a store of one kind over a scratch location; opening the same location again must
// find what was written before.
struct StoreKind {
  std::string name;
  std::function<Result<std::unique_ptr<Store>>(const testing::TempDir&)> open;
};

class StoreContractTest : public ::testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override {
    auto opened = Open();
    ASSERT_TRUE(opened.ok()) << opened.error().ToString();
    store_ = std::move(opened.value());
  }
  Result<std::unique_ptr<Store>> Open() { return GetParam().open(dir_); }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

Resource Group(const std::string& name, const std::string& body = "{}") {
  return Resource{"resourceGroup", "/subscriptions/s1/resourceGroups/" + name, "/subscriptions/s1",
                  body, 0};
}

TEST_P(StoreContractTest, PutGetListWithVersions) {
  Store* store = store_.get();
  auto first = store->Put(Group("RG1", "{\"a\":1}"), Precondition::Absent());
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->version, 1);
  auto second = store->Put(Group("rg1", "{\"a\":2}"), Precondition::AtVersion(1));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->version, 2);
  EXPECT_EQ(second->id, "/subscriptions/s1/resourceGroups/RG1");  // first casing kept
  auto read = store->Get("resourceGroup", "/SUBSCRIPTIONS/s1/resourcegroups/rg1");
  ASSERT_TRUE(read.ok() && read->has_value());
  EXPECT_EQ((*read)->body, "{\"a\":2}");
  ASSERT_TRUE(store->Put(Group("rg0"), Precondition::Any()).ok());
  auto listed = store->List("resourceGroup", "/subscriptions/S1");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].id, "/subscriptions/s1/resourceGroups/rg0");
}

TEST_P(StoreContractTest, PreconditionsRefuseLostUpdates) {
  Store* store = store_.get();
  ASSERT_TRUE(store->Put(Group("rg"), Precondition::Absent()).ok());
  auto again = store->Put(Group("rg"), Precondition::Absent());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, StatusCode::kAborted);
  EXPECT_FALSE(store->Put(Group("rg"), Precondition::AtVersion(7)).ok());
  EXPECT_FALSE(store->Delete("resourceGroup", Group("rg").id, Precondition::AtVersion(7)).ok());
  auto unchanged = store->Get("resourceGroup", Group("rg").id);
  EXPECT_EQ((*unchanged)->version, 1);
}

TEST_P(StoreContractTest, DeleteTakesChildrenAndOnlyThem) {
  Store* store = store_.get();
  const std::string rg = Group("rg").id;
  ASSERT_TRUE(store->Put(Group("rg"), Precondition::Any()).ok());
  ASSERT_TRUE(store->Put(Group("rg2"), Precondition::Any()).ok());
  ASSERT_TRUE(
      store
          ->Put({"managedCluster", rg + "/providers/Microsoft.ContainerService/managedClusters/c1",
                 rg, "{}", 0},
                Precondition::Any())
          .ok());
  ASSERT_TRUE(store->Delete("resourceGroup", rg, Precondition::Any()).ok());
  EXPECT_TRUE(store->List("managedCluster", rg)->empty());
  EXPECT_TRUE(store->Get("resourceGroup", Group("rg2").id)->has_value());
  EXPECT_EQ(store->Delete("resourceGroup", rg, Precondition::Any()).error().code,
            StatusCode::kNotFound);
}

TEST_P(StoreContractTest, ApplyIsAllOrNothing) {
  Store* store = store_.get();
  ASSERT_TRUE(store->Put(Group("exists"), Precondition::Any()).ok());
  // The second put's precondition fails, so the first must not land either.
  auto failed = store->Apply({Mutation::Put(Group("new")), Mutation::Put(Group("exists"), Precondition::Absent())});
  ASSERT_FALSE(failed.ok());
  EXPECT_FALSE(store->Get("resourceGroup", Group("new").id)->has_value());
  auto applied = store->Apply({Mutation::Put(Group("new")), Mutation::Delete("resourceGroup", Group("exists").id),
                                  Mutation::Delete("resourceGroup", Group("never-there").id)});
  ASSERT_TRUE(applied.ok()) << applied.error().ToString();
  ASSERT_EQ(applied->size(), 1u);
  EXPECT_EQ((*applied)[0].version, 1);
  EXPECT_FALSE(store->Get("resourceGroup", Group("exists").id)->has_value());
  EXPECT_EQ(store->ListKind("resourceGroup")->size(), 1u);
}

TEST_P(StoreContractTest, RevisionsMoveWithEveryCommitAndOnlyThen) {
  const std::uint64_t start = store_->Revision();
  ASSERT_TRUE(store_->Put(Group("rg"), Precondition::Absent()).ok());
  const std::uint64_t after_put = store_->Revision();
  EXPECT_NE(after_put, start);
  // A refused write and a read commit nothing: anything derived at this revision stays current.
  EXPECT_FALSE(store_->Put(Group("rg"), Precondition::Absent()).ok());
  EXPECT_FALSE(store_->Apply({Mutation::Put(Group("other")),
                              Mutation::Put(Group("rg"), Precondition::AtVersion(9))})
                   .ok());
  ASSERT_TRUE(store_->Get("resourceGroup", Group("rg").id).ok());
  EXPECT_EQ(store_->Revision(), after_put);
  ASSERT_TRUE(store_->Apply({Mutation::Put(Group("a")), Mutation::Put(Group("b"))}).ok());
  EXPECT_NE(store_->Revision(), after_put);
}

TEST_P(StoreContractTest, WritesSurviveReopening) {
  ASSERT_TRUE(store_->Put(Group("kept"), Precondition::Any()).ok());
  store_.reset();
  auto reopened = Open();
  ASSERT_TRUE(reopened.ok()) << reopened.error().ToString();
  auto kept = (*reopened)->Get("resourceGroup", Group("kept").id);
  ASSERT_TRUE(kept.ok() && kept->has_value());
  EXPECT_EQ((*kept)->version, 1);
}

// SQLite's own promises beside the contract: one file, private, its schema migrated once.
TEST(SqliteStoreTest, TheDatabaseFileIsPrivateAndItsSchemaMigratedOnce) {
  testing::TempDir dir;
  {
    auto store = SqliteStore::Open(dir.Join("db"));
    ASSERT_TRUE(store.ok());
    EXPECT_EQ((*store)->schema_version(), 1);
  }
  auto reopened = SqliteStore::Open(dir.Join("db"));
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ((*reopened)->schema_version(), 1);
  EXPECT_EQ(testing::FileMode(dir.Join("db")), 0600u);
}

INSTANTIATE_TEST_SUITE_P(
    Stores, StoreContractTest,
    ::testing::Values(StoreKind{"sqlite",
                                [](const testing::TempDir& dir) -> Result<std::unique_ptr<Store>> {
                                  auto store = SqliteStore::Open(dir.Join("db"));
                                  if (!store) return store.error();
                                  return std::unique_ptr<Store>(std::move(store.value()));
                                }}),
    [](const ::testing::TestParamInfo<StoreKind>& kind) { return kind.param.name; });

}  // namespace
}  // namespace gangplank::store
