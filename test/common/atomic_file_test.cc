// Atomic writes: modes, replace vs never-overwrite, no temp files left behind.
#include "common/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "support/temp_dir.h"

namespace gangplank {
namespace {

std::size_t EntriesIn(const std::filesystem::path& dir) {
  return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir), {}));
}

TEST(AtomicFileTest, WritesExactModeRegardlessOfUmask) {
  testing::TempDir dir;
  const mode_t old_umask = ::umask(0077);
  ASSERT_TRUE(WriteFileAtomically(dir.Join("a"), "hello", 0644, IfExists::kFail).ok());
  ::umask(old_umask);
  EXPECT_EQ(testing::FileMode(dir.Join("a")), 0644u);
  EXPECT_EQ(testing::ReadTestFile(dir.Join("a")), "hello");
}

TEST(AtomicFileTest, FailModeNeverOverwrites) {
  testing::TempDir dir;
  testing::WriteTestFile(dir.Join("a"), "old");
  Status status = WriteFileAtomically(dir.Join("a"), "new", 0600, IfExists::kFail);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, StatusCode::kAlreadyExists);
  EXPECT_EQ(testing::ReadTestFile(dir.Join("a")), "old");
  EXPECT_EQ(EntriesIn(dir.path()), 1u);  // the temp file is gone
}

TEST(AtomicFileTest, ReplaceModeReplaces) {
  testing::TempDir dir;
  testing::WriteTestFile(dir.Join("a"), "old");
  ASSERT_TRUE(WriteFileAtomically(dir.Join("a"), "new", 0600, IfExists::kReplace).ok());
  EXPECT_EQ(testing::ReadTestFile(dir.Join("a")), "new");
  EXPECT_EQ(testing::FileMode(dir.Join("a")), 0600u);
  EXPECT_EQ(EntriesIn(dir.path()), 1u);
}

TEST(AtomicFileTest, MissingDirectoryIsAClearError) {
  testing::TempDir dir;
  Status status = WriteFileAtomically(dir.Join("no/such/a"), "x", 0600, IfExists::kFail);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find(dir.Join("no/such")), std::string::npos);
}

TEST(AtomicFileTest, EnsureDirectoryCreatesParentsWithMode) {
  testing::TempDir dir;
  ASSERT_TRUE(EnsureDirectory(dir.Join("x/y"), 0700).ok());
  EXPECT_EQ(testing::FileMode(dir.Join("x/y")), 0700u);
  testing::WriteTestFile(dir.Join("file"), "");
  EXPECT_EQ(EnsureDirectory(dir.Join("file"), 0700).error().code, StatusCode::kFailedPrecondition);
}

TEST(AtomicFileTest, ReadFileErrorsNameThePath) {
  testing::TempDir dir;
  auto missing = ReadFile(dir.Join("missing"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, StatusCode::kNotFound);
  EXPECT_NE(missing.error().message.find(dir.Join("missing")), std::string::npos);
  EXPECT_EQ(ReadFile(dir.path()).error().code, StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gangplank
