// The node image catalog in a shared store: what one replica publishes, every replica offers.
#include "resources/node_images.h"

#include <gtest/gtest.h>

#include "store/sqlite_store.h"
#include "support/temp_dir.h"

namespace gangplank::resources {
namespace {

TEST(NodeImageCatalogTest, ReplicasOnOneStoreShareOneCatalog) {
  testing::TempDir dir;
  auto store = std::move(store::SqliteStore::Open(dir.Join("db")).value());
  NodeImageCatalog first(*store), second(*store);
  const std::string builtin = second.Latest("Ubuntu");
  ASSERT_TRUE(first.Publish("Ubuntu", "AKSUbuntu-2204gen2containerd-209901.01.0").ok());
  EXPECT_EQ(second.Latest("Ubuntu"), "AKSUbuntu-2204gen2containerd-209901.01.0");
  ASSERT_TRUE(second.Publish("Ubuntu", "AKSUbuntu-2204gen2containerd-209902.01.0").ok());
  EXPECT_EQ(first.Latest("Ubuntu"), "AKSUbuntu-2204gen2containerd-209902.01.0");
  // Neither publish lost the other's.
  const auto all = first.All().at("Ubuntu");
  EXPECT_EQ(all.size(), 3u);
  EXPECT_EQ(all.front(), builtin);
  EXPECT_FALSE(first.Publish("Windows2022", "x").ok());
}

}  // namespace
}  // namespace gangplank::resources
