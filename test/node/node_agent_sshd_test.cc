// The node agent with the real OpenSSH sshd and ssh: a key logs in and another is refused; a new
// key arrives only with a reimage (new host keys); a killed sshd is back within 2 s; Disabled
// closes the port. Needs root (port 22 on the node's own loopback address, a real admin user).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "node/node_agent.h"
#include "sshkey/generate.h"
#include "support/node_network.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace gangplank::node {
namespace {

using testing::RunProgram;
constexpr const char* kAdmin = "gpnodetest";

class NodeAgentSshdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u)
        << "local nodes need root: sshd binds port 22 on the node's address and switches to the "
           "admin user; run the tests as root (CI does)";
    ASSERT_FALSE(FindSshd().empty()) << "install openssh-server (scripts/bootstrap does)";
    // Each test gets its own address: tests run in parallel.
    address_ = "127." + std::to_string(network_.second_octet()) + ".0.1";
    agent_ = std::make_unique<NodeAgent>(NodeAgentOptions{NodeLayout{node_dir_.path()}, "", true});
    key_a_ = WriteKey("a");
    key_b_ = WriteKey("b");
  }

  void TearDown() override {
    if (agent_) agent_->StopSshd();  // by PID, also when the test failed
  }

  std::string WriteKey(const std::string& name) {
    auto pair = sshkey::GenerateKeyPair({sshkey::KeyKind::kEd25519, 0, name + "@test"});
    EXPECT_TRUE(pair.ok());
    EXPECT_TRUE(sshkey::WriteKeyPair(*pair, {keys_.Join(name), keys_.Join(name + ".pub")}).ok());
    return keys_.Join(name);
  }

  protocol::DesiredNodeState Desired(const std::string& key_path, std::int64_t generation,
                           bool enabled = true) {
    protocol::DesiredNodeState state;
    state.node_name = "aks-nodepool1-00000000-vmss000000";
    state.address = address_;
    state.admin_username = kAdmin;
    state.public_keys = {testing::ReadTestFile(key_path + ".pub")};
    while (!state.public_keys[0].empty() && state.public_keys[0].back() == '\n')
      state.public_keys[0].pop_back();
    state.ssh_enabled = enabled;
    state.model_version = generation;
    state.image_version = "image-" + std::to_string(generation);
    state.reimage_generation = generation;
    return state;
  }

  // The real ssh, checking the host key against the fingerprints the agent reported.
  testing::RunResult Ssh(const std::string& identity, const protocol::NodeStatus& status) {
    std::string known_hosts;
    for (const char* type : {"ed25519", "ecdsa"}) {
      known_hosts +=
          address_ + " " +
          testing::ReadTestFile(
              (node_dir_.path() / "ssh" / ("ssh_host_" + std::string(type) + "_key.pub")).string());
    }
    testing::WriteTestFile(keys_.Join("known_hosts"), known_hosts);
    EXPECT_EQ(status.host_key_fingerprints.size(), 2u);
    return RunProgram({"ssh", "-F", "/dev/null", "-i", identity, "-o", "IdentitiesOnly=yes", "-o",
                       "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o",
                       "UserKnownHostsFile=" + keys_.Join("known_hosts"), "-o", "ConnectTimeout=10",
                       std::string(kAdmin) + "@" + address_, "echo", "on-node"},
                      testing::RunOptions::WithTimeout(std::chrono::seconds(30)));
  }

  testing::NodeNetworkClaim network_;
  testing::TempDir node_dir_{"/var/lib/gangplank-test", 0755};
  testing::TempDir keys_;
  std::string address_;
  std::unique_ptr<NodeAgent> agent_;
  std::string key_a_, key_b_;
};

TEST_F(NodeAgentSshdTest, KeysArriveOnlyWithAReimageAndLoginsAreRecorded) {
  const protocol::NodeStatus first = agent_->Reconcile(Desired(key_a_, 1));
  ASSERT_EQ(first.sshd_health, "Healthy") << first.message;
  EXPECT_EQ(first.applied_model_version, 1);

  auto with_a = Ssh(key_a_, first);
  EXPECT_EQ(with_a.exit_code, 0) << with_a.err;
  EXPECT_EQ(with_a.out, "on-node\n");
  auto with_b = Ssh(key_b_, first);
  EXPECT_EQ(with_b.exit_code, 255);
  EXPECT_NE(with_b.err.find("Permission denied"), std::string::npos) << with_b.err;

  // The audit trail: the accepted login names key A's fingerprint, B's attempt is a failure.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto events = agent_->TakeLoginEvents();
  bool accepted_a = false, refused = false;
  const auto a_line = RunProgram({"ssh-keygen", "-l", "-f", key_a_ + ".pub"}).out;
  for (const auto& event : events) {
    if (event.accepted && event.user == kAdmin &&
        a_line.find(event.fingerprint) != std::string::npos)
      accepted_a = true;
    if (!event.accepted && event.user == kAdmin) refused = true;
  }
  std::string seen;
  for (const auto& event : events)
    seen +=
        (event.accepted ? "accepted " : "refused ") + event.user + " " + event.fingerprint + "\n";
  EXPECT_TRUE(accepted_a) << a_line << " not among:\n" << seen;
  EXPECT_TRUE(refused);

  // Applying the same state again changes nothing: same sshd, same host keys.
  const protocol::NodeStatus again = agent_->Reconcile(Desired(key_a_, 1));
  EXPECT_EQ(again.host_key_fingerprints, first.host_key_fingerprints);

  // A reimage to key B: new host keys, only B gets in.
  const protocol::NodeStatus second = agent_->Reconcile(Desired(key_b_, 2));
  ASSERT_EQ(second.sshd_health, "Healthy") << second.message;
  EXPECT_EQ(second.applied_model_version, 2);
  EXPECT_NE(second.host_key_fingerprints, first.host_key_fingerprints);
  EXPECT_EQ(Ssh(key_b_, second).exit_code, 0);
  EXPECT_EQ(Ssh(key_a_, second).exit_code, 255);
}

TEST_F(NodeAgentSshdTest, AKilledSshdIsBackWithinTwoSeconds) {
  const protocol::NodeStatus status = agent_->Reconcile(Desired(key_a_, 1));
  ASSERT_EQ(status.sshd_health, "Healthy") << status.message;
  const pid_t old_pid = std::stoi(testing::ReadTestFile((node_dir_.path() / "sshd.pid").string()));
  ASSERT_EQ(::kill(old_pid, SIGKILL), 0);
  const auto killed = std::chrono::steady_clock::now();
  // What gangplank-node's loop does every --interval-ms (200 ms by default).
  bool back = false;
  while (std::chrono::steady_clock::now() - killed < std::chrono::seconds(2)) {
    agent_->Supervise();
    if (SshBannerAnswers(address_, 22, std::chrono::milliseconds(100))) {
      back = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_TRUE(back) << "sshd did not answer within 2 s of being killed";
  EXPECT_EQ(Ssh(key_a_, status).exit_code, 0);
}

TEST_F(NodeAgentSshdTest, DisabledClosesThePortAndLocalUserOpensItAgain) {
  ASSERT_EQ(agent_->Reconcile(Desired(key_a_, 1)).sshd_health, "Healthy");
  const protocol::NodeStatus disabled = agent_->Reconcile(Desired(key_a_, 2, false));
  EXPECT_EQ(disabled.sshd_health, "Disabled");
  EXPECT_FALSE(SshBannerAnswers(address_, 22, std::chrono::milliseconds(500)));
  EXPECT_FALSE(agent_->Supervise());  // a disabled node's sshd stays down
  EXPECT_EQ(Ssh(key_a_, disabled).exit_code, 255);

  const protocol::NodeStatus enabled = agent_->Reconcile(Desired(key_a_, 3, true));
  ASSERT_EQ(enabled.sshd_health, "Healthy") << enabled.message;
  EXPECT_EQ(Ssh(key_a_, enabled).exit_code, 0);
}

TEST_F(NodeAgentSshdTest, ANewAgentAdoptsTheRunningSshdInsteadOfStartingASecond) {
  ASSERT_EQ(agent_->Reconcile(Desired(key_a_, 1)).sshd_health, "Healthy");
  const std::string pid_before = testing::ReadTestFile((node_dir_.path() / "sshd.pid").string());
  // The agent restarts (an upgrade, a crash): sshd keeps serving and is taken over.
  agent_ = std::make_unique<NodeAgent>(NodeAgentOptions{NodeLayout{node_dir_.path()}, "", true});
  const protocol::NodeStatus status = agent_->Reconcile(Desired(key_a_, 1));
  EXPECT_EQ(status.sshd_health, "Healthy");
  EXPECT_EQ(testing::ReadTestFile((node_dir_.path() / "sshd.pid").string()), pid_before);
  EXPECT_EQ(Ssh(key_a_, status).exit_code, 0);
}

}  // namespace
}  // namespace gangplank::node
