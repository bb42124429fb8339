// The real-host agent against a stand-in for the host's sshd: a real sshd whose own sshd_config
// includes the drop-in directory, under a scratch root (the machine's own sshd is never touched).
// The agent writes the drop-in and ~/.ssh/authorized_keys and reloads sshd; the real ssh checks.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "node/host_agent.h"
#include "node/sshd_process.h"
#include "sshkey/generate.h"
#include "support/node_network.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace gangplank::node {
namespace {

using testing::RunProgram;
constexpr const char* kAdmin = "gphosttest";

class HostAgentSshdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "the host agent creates users and chowns files: run as root";
    address_ = "127." + std::to_string(network_.second_octet()) + ".0.1";
    const std::string root = root_.path().string();
    std::filesystem::create_directories(root + "/etc/ssh/sshd_config.d");
    std::filesystem::create_directories(root + "/run");
    ASSERT_EQ(RunProgram({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                          root + "/etc/ssh/ssh_host_ed25519_key"})
                  .exit_code,
              0);
    // The "host's" sshd_config: Debian's layout, the drop-in directory included first.
    testing::WriteTestFile(root + "/etc/ssh/sshd_config",
                           "Include " + root +
                               "/etc/ssh/sshd_config.d/*.conf\n"
                               "ListenAddress " +
                               address_ +
                               ":22\n"
                               "HostKey " +
                               root +
                               "/etc/ssh/ssh_host_ed25519_key\n"
                               "PidFile " +
                               root +
                               "/run/sshd.pid\n"
                               "AuthorizedKeysFile " +
                               root +
                               "/home/%u/.ssh/authorized_keys\n"
                               "UsePAM no\n"
                               "PasswordAuthentication yes\n",  // the drop-in must win over this
                           0644);
    const std::string sshd = FindSshd();
    ASSERT_FALSE(sshd.empty());
    start_ = sshd + " -f " + root + "/etc/ssh/sshd_config -E " + root + "/auth.log";
    // The host's sshd is running when the agent arrives, as the ssh service left it. Nothing here
    // makes sshd's privilege separation directory: on a machine where the ssh service never ran,
    // the agent's own check (sshd -t, before every start and reload) makes it, so the running
    // sshd is started the way the agent starts one after Disabled: check, then start.
    ASSERT_TRUE(CheckSshdConfig(sshd, root + "/etc/ssh/sshd_config").ok());
    ASSERT_EQ(RunProgram({"/bin/sh", "-c", start_}).exit_code, 0);  // daemonizes, writes its pid
    HostAgentOptions options;
    options.state_dir = state_.path();
    options.root = root_.path();
    // What systemctl does for the host's sshd, by its pid file: that file is briefly absent while
    // sshd re-executes itself after a reload, so wait for it (up to 5 s) before signalling.
    const std::string pid = root + "/run/sshd.pid";
    const std::string wait_for_pid =
        "for i in $(seq 50); do [ -s " + pid + " ] && break; sleep 0.1; done; ";
    options.reload_command = wait_for_pid + "kill -HUP $(cat " + pid + ")";
    options.stop_command = wait_for_pid + "kill $(cat " + pid + ") && sleep 0.2";
    options.start_command = start_;
    options.sshd_log = root + "/auth.log";
    agent_ = std::make_unique<HostAgent>(options);
    key_a_ = WriteKey("a");
    key_b_ = WriteKey("b");
  }

  void TearDown() override {
    // The stand-in sshd is stopped by its PID, pass or fail.
    const std::string pid_file = root_.Join("run/sshd.pid");
    if (std::filesystem::exists(pid_file)) {
      ::kill(std::stoi(testing::ReadTestFile(pid_file)), SIGTERM);
    }
  }

  std::string WriteKey(const std::string& name) {
    auto pair = sshkey::GenerateKeyPair({sshkey::KeyKind::kEd25519, 0, name + "@test"});
    EXPECT_TRUE(sshkey::WriteKeyPair(*pair, {keys_.Join(name), keys_.Join(name + ".pub")}).ok());
    return keys_.Join(name);
  }

  protocol::DesiredNodeState Desired(const std::string& key, std::int64_t generation, bool enabled = true) {
    protocol::DesiredNodeState state;
    state.node_name = "host-1";
    state.address = address_;
    state.admin_username = kAdmin;
    std::string line = testing::ReadTestFile(key + ".pub");
    line.pop_back();
    state.public_keys = {line};
    state.ssh_enabled = enabled;
    state.model_version = generation;
    state.image_version = "host";
    state.reimage_generation = generation;
    return state;
  }

  int Ssh(const std::string& identity, const protocol::NodeStatus& status) {
    std::string known_hosts;
    for (const auto& key : status.host_keys) known_hosts += address_ + " " + key + "\n";
    testing::WriteTestFile(keys_.Join("known_hosts"), known_hosts);
    return RunProgram({"ssh", "-F", "/dev/null", "-i", identity, "-o", "IdentitiesOnly=yes", "-o",
                       "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o",
                       "UserKnownHostsFile=" + keys_.Join("known_hosts"), "-o", "ConnectTimeout=5",
                       std::string(kAdmin) + "@" + address_, "true"},
                      testing::RunOptions::WithTimeout(std::chrono::seconds(30)))
        .exit_code;
  }

  testing::NodeNetworkClaim network_;
  testing::TempDir root_{"/var/lib/gangplank-test", 0755};
  testing::TempDir state_{"/var/lib/gangplank-test", 0700};
  testing::TempDir keys_;
  std::string address_, start_, key_a_, key_b_;
  std::unique_ptr<HostAgent> agent_;
};

TEST_F(HostAgentSshdTest, DropInAndAuthorizedKeysGovernTheHostsOwnSshd) {
  const protocol::NodeStatus first = agent_->Reconcile(Desired(key_a_, 1));
  ASSERT_EQ(first.sshd_health, "Healthy") << first.message;
  ASSERT_EQ(first.host_keys.size(), 1u);  // the host's own key, not a generated one
  const std::string drop_in = testing::ReadTestFile(agent_->DropIn().string());
  EXPECT_NE(drop_in.find("AllowUsers gphosttest\n"), std::string::npos);
  EXPECT_NE(drop_in.find("PasswordAuthentication no\n"), std::string::npos);
  const std::string keys = agent_->AuthorizedKeys(kAdmin).string();
  struct stat info {};
  ASSERT_EQ(::stat(keys.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_NE(info.st_uid, 0u);  // the admin user's own file, as StrictModes wants
  EXPECT_EQ(Ssh(key_a_, first), 0);
  EXPECT_EQ(Ssh(key_b_, first), 255);

  // A new model: the same host keys, only key B.
  const protocol::NodeStatus second = agent_->Reconcile(Desired(key_b_, 2));
  ASSERT_EQ(second.sshd_health, "Healthy") << second.message;
  EXPECT_EQ(second.host_key_fingerprints, first.host_key_fingerprints);
  EXPECT_EQ(Ssh(key_b_, second), 0);
  EXPECT_EQ(Ssh(key_a_, second), 255);
  bool accepted_b = false;
  for (const auto& event : agent_->TakeLoginEvents())
    accepted_b = accepted_b || (event.accepted && event.user == kAdmin);
  EXPECT_TRUE(accepted_b);

  // Disabled stops the host's sshd; LocalUser starts it again.
  EXPECT_EQ(agent_->Reconcile(Desired(key_b_, 3, false)).sshd_health, "Disabled");
  EXPECT_FALSE(SshBannerAnswers(address_, 22, std::chrono::milliseconds(500)));
  const protocol::NodeStatus back = agent_->Reconcile(Desired(key_b_, 4, true));
  ASSERT_EQ(back.sshd_health, "Healthy") << back.message;
  EXPECT_EQ(Ssh(key_b_, back), 0);
}


// The admin user points ~/.ssh at a root-owned directory: the agent refuses it and chowns nothing;
// a symlinked authorized_keys is replaced by a file of the user's, its target left alone.
TEST_F(HostAgentSshdTest, SymlinkedSshDirectoryIsRefusedAndNothingIsChowned) {
  ASSERT_EQ(agent_->Reconcile(Desired(key_a_, 1)).sshd_health, "Healthy");  // the user exists
  const std::filesystem::path home = root_.Join("home/" + std::string(kAdmin));
  const std::filesystem::path secret = root_.Join("secret");
  std::filesystem::create_directories(secret);
  ::chmod(secret.c_str(), 0700);
  testing::WriteTestFile((secret / "shadow").string(), "root only\n", 0600);
  std::filesystem::remove_all(home / ".ssh");
  std::filesystem::create_directory_symlink(secret, home / ".ssh");

  const protocol::NodeStatus refused = agent_->Reconcile(Desired(key_b_, 2));
  EXPECT_EQ(refused.sshd_health, "Unhealthy");
  EXPECT_NE(refused.message.find("is a symbolic link"), std::string::npos) << refused.message;
  struct stat info {};
  ASSERT_EQ(::stat(secret.c_str(), &info), 0);
  EXPECT_EQ(info.st_uid, 0u);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat((secret / "shadow").c_str(), &info), 0);
  EXPECT_EQ(info.st_uid, 0u);
  EXPECT_FALSE(std::filesystem::exists(secret / "authorized_keys"));

  // A real ~/.ssh whose authorized_keys links to a root file: the link is replaced, not followed.
  std::filesystem::remove(home / ".ssh");
  std::filesystem::create_directory(home / ".ssh");
  std::filesystem::create_symlink(secret / "shadow", home / ".ssh" / "authorized_keys");
  const protocol::NodeStatus fixed = agent_->Reconcile(Desired(key_b_, 3));
  ASSERT_EQ(fixed.sshd_health, "Healthy") << fixed.message;
  EXPECT_EQ(testing::ReadTestFile((secret / "shadow").string()), "root only\n");
  ASSERT_EQ(::lstat((home / ".ssh" / "authorized_keys").c_str(), &info), 0);
  EXPECT_TRUE(S_ISREG(info.st_mode));
  EXPECT_NE(info.st_uid, 0u);
  EXPECT_EQ(Ssh(key_b_, fixed), 0);
}

}  // namespace
}  // namespace gangplank::node
