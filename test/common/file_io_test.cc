// Atomic writes: modes, replace vs never-overwrite, no temp files left behind.
#include "common/file_io.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "support/temp_dir.h"

namespace gangplank {
namespace {

std::size_t EntriesIn(const std::filesystem::path& dir) {
  return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir), {}));
}

TEST(FileIoTest, WritesExactModeRegardlessOfUmask) {
  testing::TempDir dir;
  const mode_t old_umask = ::umask(0077);
  ASSERT_TRUE(WriteFileAtomically(dir.Join("a"), "hello", 0644, IfExists::kFail).ok());
  ::umask(old_umask);
  EXPECT_EQ(testing::FileMode(dir.Join("a")), 0644u);
  EXPECT_EQ(testing::ReadTestFile(dir.Join("a")), "hello");
}

TEST(FileIoTest, FailModeNeverOverwrites) {
  testing::TempDir dir;
  testing::WriteTestFile(dir.Join("a"), "old");
  Status status = WriteFileAtomically(dir.Join("a"), "new", 0600, IfExists::kFail);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, StatusCode::kAlreadyExists);
  EXPECT_EQ(testing::ReadTestFile(dir.Join("a")), "old");
  EXPECT_EQ(EntriesIn(dir.path()), 1u);  // the temp file is gone
}

TEST(FileIoTest, ReplaceModeReplaces) {
  testing::TempDir dir;
  testing::WriteTestFile(dir.Join("a"), "old");
  ASSERT_TRUE(WriteFileAtomically(dir.Join("a"), "new", 0600, IfExists::kReplace).ok());
  EXPECT_EQ(testing::ReadTestFile(dir.Join("a")), "new");
  EXPECT_EQ(testing::FileMode(dir.Join("a")), 0600u);
  EXPECT_EQ(EntriesIn(dir.path()), 1u);
}

TEST(FileIoTest, MissingDirectoryIsAClearError) {
  testing::TempDir dir;
  Status status = WriteFileAtomically(dir.Join("no/such/a"), "x", 0600, IfExists::kFail);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find(dir.Join("no/such")), std::string::npos);
}

TEST(FileIoTest, EnsureDirectoryCreatesParentsWithMode) {
  testing::TempDir dir;
  ASSERT_TRUE(EnsureDirectory(dir.Join("x/y"), 0700).ok());
  EXPECT_EQ(testing::FileMode(dir.Join("x/y")), 0700u);
  testing::WriteTestFile(dir.Join("file"), "");
  EXPECT_EQ(EnsureDirectory(dir.Join("file"), 0700).error().code, StatusCode::kFailedPrecondition);
}

TEST(FileIoTest, ReadsAreBoundedAndSecretReadsWork) {
  testing::TempDir dir;
  testing::WriteTestFile(dir.Join("big"), std::string(3 << 20, 'x'));
  auto too_big = ReadFile(dir.Join("big"), 2 << 20);
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.error().reason, "FileTooLarge");
  EXPECT_NE(too_big.error().message.find("2 MiB"), std::string::npos);
  auto secret = ReadSecretFile(dir.Join("big"), 4 << 20);
  ASSERT_TRUE(secret.ok());
  EXPECT_EQ(secret->size(), std::size_t{3} << 20);
}

TEST(FileIoTest, ReadFileErrorsNameThePath) {
  testing::TempDir dir;
  auto missing = ReadFile(dir.Join("missing"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, StatusCode::kNotFound);
  EXPECT_NE(missing.error().message.find(dir.Join("missing")), std::string::npos);
  EXPECT_EQ(ReadFile(dir.path()).error().code, StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gangplank
