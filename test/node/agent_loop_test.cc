// The agent loop against faked seams: a deleted machine's sshd is stopped once and stays stopped,
// and what sshd logs meanwhile is read, not left to wake the loop again and again.
#include <gtest/gtest.h>

#include <sstream>
#include <thread>

#include "mocks/fake_agent.h"
#include "mocks/fake_desired_state_source.h"
#include "support/temp_dir.h"

namespace gangplank::node {
namespace {

TEST(AgentLoopTest, ADeletedMachinesSshdIsStoppedOnceAndNeverRestarted) {
  protocol::DesiredNodeState state;
  state.admin_username = "azureuser";
  state.reimage_generation = 1;
  testing::FakeDesiredStateSource source(
      {DesiredReply{state, "\"1\""},
       MakeError(StatusCode::kNotFound, "MachineGone", "this node's machine was deleted")});
  testing::FakeAgent agent;
  testing::TempDir dir;
  std::atomic<bool> stop{false};
  std::ostringstream err;
  AgentLoopOptions options;
  std::thread loop([&] { RunAgentLoop(agent, NodeLayout{dir.path()}, source, options, stop, err); });
  for (int i = 0; i < 500 && agent.stops == 0; ++i)  // until the loop has seen the machine go
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const int supervised_when_gone = agent.supervises;
  // sshd logs its last lines as it stops: the loop reads them instead of waking on them forever.
  agent.SshdLogs("Received signal 15; terminating.\n");
  const int passes_when_gone = agent.loop_passes;
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // two more passes of the loop
  stop = true;
  loop.join();
  EXPECT_GE(source.fetches, 3);  // the state, then "gone" again and again (backing off)
  EXPECT_EQ(agent.stops, 1);
  EXPECT_EQ(agent.supervises, supervised_when_gone) << "sshd was supervised after the machine went";
  EXPECT_LT(agent.loop_passes - passes_when_gone, 20) << "the loop spun on sshd's unread log";
  EXPECT_NE(err.str().find("machine was deleted"), std::string::npos);
}

}  // namespace
}  // namespace gangplank::node
