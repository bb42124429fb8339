// Starting children: safe from a process with threads that allocate, with the streams asked for.
#include "common/process.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "support/temp_dir.h"

namespace gangplank {
namespace {

// A fork followed by an allocation in the child deadlocked when another thread held the
// allocator's lock at the fork (under the sanitizers the child spun forever and the node it was
// starting never came up). Starting children while other threads allocate must always finish.
TEST(ProcessTest, ChildrenStartWhileOtherThreadsAllocate) {
  std::atomic<bool> stop{false};
  std::vector<std::thread> allocators;
  for (int t = 0; t < 2; ++t) {
    allocators.emplace_back([&stop] {
      while (!stop) {
        std::vector<std::unique_ptr<std::string>> garbage;
        for (int i = 0; i < 256; ++i) garbage.push_back(std::make_unique<std::string>(512, 'x'));
      }
    });
  }
  std::atomic<int> succeeded{0};
  std::vector<std::thread> starters;
  for (int t = 0; t < 3; ++t) {
    starters.emplace_back([&succeeded] {
      for (int i = 0; i < 100; ++i) {
        std::string output;
        if (RunCapturing({"/bin/echo", "started"}, output) == 0 && output == "started\n")
          ++succeeded;
      }
    });
  }
  for (auto& starter : starters) starter.join();
  stop = true;
  for (auto& allocator : allocators) allocator.join();
  EXPECT_EQ(succeeded, 300);
}

TEST(ProcessTest, AMissingProgramSaysSoAndExitsWithTheShellsStatus) {
  std::string output;
  EXPECT_EQ(RunCapturing({"/nonexistent/program"}, output), kNotStarted);
  EXPECT_NE(output.find("cannot start /nonexistent/program"), std::string::npos) << output;
  std::string err;
  EXPECT_EQ(RunToCompletion({"/nonexistent/program"}, &err), kNotStarted);
  EXPECT_FALSE(StartChild({"/nonexistent/program"}, ChildStreams::Inherited()).ok());
}

TEST(ProcessTest, StandardStreamsGoWhereTheyWereAsked) {
  testing::TempDir dir;
  const std::string log = dir.Join("child.log");
  EXPECT_EQ(RunLoggingTo({"/bin/sh", "-c", "echo out; echo err >&2; cat"}, log), 0);
  EXPECT_EQ(testing::ReadTestFile(log), "out\nerr\n");  // standard input is /dev/null
  std::string err;
  EXPECT_EQ(RunToCompletion({"/bin/sh", "-c", "echo hidden; echo shown >&2; exit 3"}, &err), 3);
  EXPECT_EQ(err, "shown\n");
}

TEST(ProcessTest, NoDescriptorAboveTwoReachesTheChild) {
  const int held = ::dup(2);  // not close-on-exec
  std::string output;
  EXPECT_EQ(RunCapturing({"/bin/ls", "/proc/self/fd"}, output), 0);
  ::close(held);
  EXPECT_EQ(output, "0\n1\n2\n3\n") << "only the three streams and ls's own directory";
}

}  // namespace
}  // namespace gangplank
