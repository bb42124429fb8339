// SqliteStore: versions, preconditions, case-insensitive ids, cascading deletes, durability.
#include "store/sqlite_store.h"

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace gangplank::store {
namespace {

Resource Group(const std::string& name, const std::string& body = "{}") {
  return Resource{"resourceGroup", "/subscriptions/s1/resourceGroups/" + name, "/subscriptions/s1",
                  body, 0};
}

TEST(SqliteStoreTest, PutGetListWithVersions) {
  testing::TempDir dir;
  auto store = SqliteStore::Open(dir.Join("db"));
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  auto first = (*store)->Put(Group("RG1", "{\"a\":1}"), Precondition::Absent());
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->version, 1);
  auto second = (*store)->Put(Group("rg1", "{\"a\":2}"), Precondition::AtVersion(1));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->version, 2);
  EXPECT_EQ(second->id, "/subscriptions/s1/resourceGroups/RG1");  // first casing kept
  auto read = (*store)->Get("resourceGroup", "/SUBSCRIPTIONS/s1/resourcegroups/rg1");
  ASSERT_TRUE(read.ok() && read->has_value());
  EXPECT_EQ((*read)->body, "{\"a\":2}");
  ASSERT_TRUE((*store)->Put(Group("rg0"), Precondition::Any()).ok());
  auto listed = (*store)->List("resourceGroup", "/subscriptions/S1");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].id, "/subscriptions/s1/resourceGroups/rg0");
}

TEST(SqliteStoreTest, PreconditionsRefuseLostUpdates) {
  testing::TempDir dir;
  auto store = SqliteStore::Open(dir.Join("db"));
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Put(Group("rg"), Precondition::Absent()).ok());
  auto again = (*store)->Put(Group("rg"), Precondition::Absent());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, StatusCode::kAborted);
  EXPECT_FALSE((*store)->Put(Group("rg"), Precondition::AtVersion(7)).ok());
  EXPECT_FALSE((*store)->Delete("resourceGroup", Group("rg").id, Precondition::AtVersion(7)).ok());
  auto unchanged = (*store)->Get("resourceGroup", Group("rg").id);
  EXPECT_EQ((*unchanged)->version, 1);
}

TEST(SqliteStoreTest, DeleteTakesChildrenAndOnlyThem) {
  testing::TempDir dir;
  auto store = SqliteStore::Open(dir.Join("db"));
  ASSERT_TRUE(store.ok());
  const std::string rg = Group("rg").id;
  ASSERT_TRUE((*store)->Put(Group("rg"), Precondition::Any()).ok());
  ASSERT_TRUE((*store)->Put(Group("rg2"), Precondition::Any()).ok());
  ASSERT_TRUE(
      (*store)
          ->Put({"managedCluster", rg + "/providers/Microsoft.ContainerService/managedClusters/c1",
                 rg, "{}", 0},
                Precondition::Any())
          .ok());
  ASSERT_TRUE((*store)->Delete("resourceGroup", rg, Precondition::Any()).ok());
  EXPECT_TRUE((*store)->List("managedCluster", rg)->empty());
  EXPECT_TRUE((*store)->Get("resourceGroup", Group("rg2").id)->has_value());
  EXPECT_EQ((*store)->Delete("resourceGroup", rg, Precondition::Any()).error().code,
            StatusCode::kNotFound);
}

TEST(SqliteStoreTest, ApplyIsAllOrNothing) {
  testing::TempDir dir;
  auto store = SqliteStore::Open(dir.Join("db"));
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Put(Group("exists"), Precondition::Any()).ok());
  // The second put's precondition fails, so the first must not land either.
  auto failed = (*store)->Apply({Mutation::Put(Group("new")), Mutation::Put(Group("exists"), Precondition::Absent())});
  ASSERT_FALSE(failed.ok());
  EXPECT_FALSE((*store)->Get("resourceGroup", Group("new").id)->has_value());
  auto applied = (*store)->Apply({Mutation::Put(Group("new")), Mutation::Delete("resourceGroup", Group("exists").id),
                                  Mutation::Delete("resourceGroup", Group("never-there").id)});
  ASSERT_TRUE(applied.ok()) << applied.error().ToString();
  ASSERT_EQ(applied->size(), 1u);
  EXPECT_EQ((*applied)[0].version, 1);
  EXPECT_FALSE((*store)->Get("resourceGroup", Group("exists").id)->has_value());
  EXPECT_EQ((*store)->ListKind("resourceGroup")->size(), 1u);
}

TEST(SqliteStoreTest, WritesSurviveReopeningAndTheSchemaIsMigratedOnce) {
  testing::TempDir dir;
  {
    auto store = SqliteStore::Open(dir.Join("db"));
    ASSERT_TRUE(store.ok());
    EXPECT_EQ((*store)->schema_version(), 1);
    ASSERT_TRUE((*store)->Put(Group("kept"), Precondition::Any()).ok());
  }
  auto reopened = SqliteStore::Open(dir.Join("db"));
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ((*reopened)->schema_version(), 1);
  EXPECT_TRUE((*reopened)->Get("resourceGroup", Group("kept").id)->has_value());
  EXPECT_EQ(testing::FileMode(dir.Join("db")), 0600u);
}

}  // namespace
}  // namespace gangplank::store
