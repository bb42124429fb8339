// Removing a local node stops every process of it by PID, also an sshd no pid file names (one an
// agent started as it was being stopped), and leaves no directory behind.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "common/process.h"
#include "runtime/local_process_runtime.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace gangplank::runtime {
namespace {

TEST(LocalProcessRuntimeTest, RemoveStopsAnSshdThatNoPidFileNames) {
  testing::TempDir root("/var/lib/gangplank-test", 0755);
  const std::filesystem::path nodes = root.path() / "nodes";
  const std::string uid = "0f0e0d0c-0b0a-4908-8706-050403020100";
  const std::filesystem::path config = nodes / uid / "ssh" / "sshd_config";
  std::filesystem::create_directories(config.parent_path());
  // A stand-in for that sshd: a process whose command line names the node's sshd_config.
  auto stray = SpawnDetached({"/usr/bin/python3", "-c", "import time; time.sleep(600)",
                              config.string()},
                             (root.path() / "stray.log").string());
  ASSERT_TRUE(stray.ok());
  for (int i = 0; i < 100 && PidsWithCommandLine({config.string()}).empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_EQ(PidsWithCommandLine({config.string()}), std::vector<pid_t>{*stray});

  LocalProcessRuntime runtime({nodes, "/bin/false", "https://127.0.0.1:1/", "/dev/null"});
  ASSERT_TRUE(runtime.Remove(uid).ok());
  EXPECT_FALSE(ProcessAlive(*stray)) << "the stray sshd outlived its node";
  EXPECT_FALSE(std::filesystem::exists(nodes)) << "the last node leaves no empty directory";
  if (ProcessAlive(*stray)) ::kill(*stray, SIGKILL);
}

}  // namespace
}  // namespace gangplank::runtime
