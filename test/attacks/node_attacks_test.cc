// Attacks from the network side of a node: user names that try to forge the login audit, against
// the real sshd and the real ssh (needs root, as every real-node test).
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

#include "attacks/attack_fixture.h"
#include "node/login_events.h"
#include "node/node_agent.h"
#include "node/sshd_process.h"
#include "sshkey/generate.h"
#include "support/node_network.h"

namespace gangplank::attacks {
namespace {

using testing::RunProgram;

// The lines sshd 9.2 writes when a client offers a user name built to look like a login.
TEST(LoginAuditAttack, AUserNameThatLooksLikeALoginIsAnInvalidUserAtTheRealSource) {
  const std::string forged =
      "Accepted publickey for azureuser from 203.0.113.66 port 4444 ssh2: ED25519 "
      "SHA256:Uz9ZHDTSqo4NfTkz6746/yc34UYGN8UxePngjSyVf/o";
  for (const std::string& line :
       {"sshd[7]: Invalid user " + forged + " from 10.224.0.1 port 5555\r\n",
        "Failed none for invalid user " + forged + " from 10.224.0.1 port 5555 ssh2",
        "Failed publickey for invalid user " + forged +
            " from 10.224.0.1 port 5555 ssh2: RSA SHA256:abc",
        "Connection closed by invalid user " + forged + " 10.224.0.1 port 5555 [preauth]"}) {
    const auto event = node::ParseLoginEvent(line);
    if (!event) continue;  // not an authentication result at all
    EXPECT_FALSE(event->accepted) << line;
    EXPECT_TRUE(event->invalid_user) << line;
    EXPECT_EQ(event->source, "10.224.0.1") << line;
    EXPECT_EQ(event->source_port, 5555) << line;
  }
  // A name no Linux user can have never counts as a login, whatever sshd says about it.
  const auto odd = node::ParseLoginEvent(
      "Accepted publickey for Bad Name from 10.1.2.3 port 7 ssh2: ED25519 SHA256:x");
  ASSERT_TRUE(odd.has_value());
  EXPECT_FALSE(odd->accepted);
  EXPECT_TRUE(odd->invalid_user);
}

// A PATH entry someone else can write never chooses the program the agent starts as root.
TEST(SshdLookupAttack, AnSshdEarlierInPathIsNotTheOneStarted) {
  testing::TempDir planted;
  testing::WriteTestFile(planted.Join("sshd"), "#!/bin/sh\ntouch /tmp/pwned\n");
  ASSERT_EQ(::chmod(planted.Join("sshd").c_str(), 0755), 0);
  const std::string saved = std::getenv("PATH") ? std::getenv("PATH") : "";
  ::setenv("PATH", (planted.path().string() + ":" + saved).c_str(), 1);
  const std::string found = node::FindSshd();
  ::setenv("PATH", saved.c_str(), 1);
  EXPECT_EQ(found, "/usr/sbin/sshd");
}

TEST(LoginAuditAttack, TheForgedNameAgainstTheRealSshdRecordsNoAcceptedLogin) {
  ASSERT_EQ(::geteuid(), 0u) << "a real sshd on port 22 of a node address needs root";
  testing::NodeNetworkClaim network;
  testing::TempDir node_dir{"/var/lib/gangplank-test", 0755};
  testing::TempDir keys;
  const std::string address = "127." + std::to_string(network.second_octet()) + ".0.1";
  node::NodeAgent agent(node::NodeAgentOptions{node::NodeLayout{node_dir.path()}, "", true});
  auto pair = sshkey::GenerateKeyPair({sshkey::KeyKind::kEd25519, 0, "attacker"});
  ASSERT_TRUE(sshkey::WriteKeyPair(*pair, {keys.Join("k"), keys.Join("k.pub")}).ok());
  protocol::DesiredNodeState desired;
  desired.node_name = "aks-nodepool1-00000000-vmss000000";
  desired.address = address;
  desired.admin_username = "gpattack";
  // The admin's key, not the attacker's.
  desired.public_keys = {sshkey::GenerateKeyPair({sshkey::KeyKind::kEd25519, 0, "admin"})
                             ->public_key.ToPublicKeyLine()};
  desired.model_version = desired.reimage_generation = 1;
  desired.image_version = "image-1";
  const protocol::NodeStatus status = agent.Reconcile(desired);
  ASSERT_EQ(status.sshd_health, "Healthy") << status.message;

  const std::string forged =
      "Accepted publickey for gpattack from 203.0.113.66 port 4444 ssh2: ED25519 "
      "SHA256:Uz9ZHDTSqo4NfTkz6746/yc34UYGN8UxePngjSyVf/o";
  const auto ssh = RunProgram({"ssh",
                               "-F",
                               "/dev/null",
                               "-i",
                               keys.Join("k"),
                               "-o",
                               "IdentitiesOnly=yes",
                               "-o",
                               "BatchMode=yes",
                               "-o",
                               "StrictHostKeyChecking=no",
                               "-o",
                               "UserKnownHostsFile=/dev/null",
                               "-o",
                               "ConnectTimeout=10",
                               "-l",
                               forged,
                               "--",
                               address,
                               "true"},
                              testing::RunOptions::WithTimeout(std::chrono::seconds(30)));
  EXPECT_EQ(ssh.exit_code, 255);
  std::vector<protocol::LoginEvent> events;
  for (int i = 0; i < 50 && events.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    for (auto& event : agent.TakeLoginEvents()) events.push_back(std::move(event));
  }
  agent.StopSshd();
  ASSERT_FALSE(events.empty()) << "sshd logged the attempt";
  for (const auto& event : events) {
    EXPECT_FALSE(event.accepted) << event.user;
    EXPECT_NE(event.source, "203.0.113.66") << "the address came from the user name";
    EXPECT_TRUE(event.invalid_user) << event.user;
  }
}

}  // namespace
}  // namespace gangplank::attacks
