// `ssh -i` with a key Gangplank generated logs into a real OpenSSH sshd; another key is refused.
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "node/sshd_process.h"
#include "sshkey/generate.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace gangplank::sshkey {
namespace {

using testing::RunProgram;

std::string CurrentUser() {
  const passwd* entry = ::getpwuid(::geteuid());
  return entry ? entry->pw_name : "root";
}

class SshdLoginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sshd_ = testing::FindProgram("sshd");
    ASSERT_FALSE(sshd_.empty())
        << "sshd not found: install openssh-server (scripts/bootstrap does)";
    port_ = testing::FreeLoopbackPort();
    ASSERT_EQ(
        RunProgram({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir_.Join("host_key")})
            .exit_code,
        0);
    // StrictModes is off only because the scratch directory lives under the world-writable /tmp;
    // the node agent (a later issue) writes files that pass StrictModes.
    testing::WriteTestFile(dir_.Join("sshd_config"),
                           "Port " + std::to_string(port_) +
                               "\n"
                               "ListenAddress 127.0.0.1\n"
                               "HostKey " +
                               dir_.Join("host_key") +
                               "\n"
                               "PidFile " +
                               dir_.Join("sshd.pid") +
                               "\n"
                               "AuthorizedKeysFile " +
                               dir_.Join("authorized_keys") +
                               "\n"
                               "PubkeyAuthentication yes\n"
                               "PasswordAuthentication no\n"
                               "KbdInteractiveAuthentication no\n"
                               "PermitRootLogin prohibit-password\n"
                               "StrictModes no\n"
                               "UsePAM no\n"
                               "LogLevel VERBOSE\n",
                           0600);
    // The product's own check: it makes sshd's privilege-separation directory when sshd says
    // it is missing (a fresh machine), so this test does not hide that case.
    const Status check = node::CheckSshdConfig(sshd_, dir_.Join("sshd_config"));
    ASSERT_TRUE(check.ok()) << check.error().message;
  }

  void StartSshd() {
    sshd_process_ = std::make_unique<testing::BackgroundProcess>(
        std::vector<std::string>{sshd_, "-D", "-e", "-f", dir_.Join("sshd_config")},
        dir_.Join("sshd.log"));
    ASSERT_TRUE(testing::WaitForPort(port_, std::chrono::seconds(10)))
        << testing::ReadTestFile(dir_.Join("sshd.log"));
    auto host_key = testing::ReadTestFile(dir_.Join("host_key.pub"));
    testing::WriteTestFile(dir_.Join("known_hosts"),
                           "[127.0.0.1]:" + std::to_string(port_) + " " + host_key);
  }

  testing::RunResult SshWith(const std::string& identity) {
    return RunProgram({"ssh",
                       "-F",
                       "/dev/null",
                       "-i",
                       identity,
                       "-o",
                       "IdentitiesOnly=yes",
                       "-o",
                       "BatchMode=yes",
                       "-o",
                       "StrictHostKeyChecking=yes",
                       "-o",
                       "UserKnownHostsFile=" + dir_.Join("known_hosts"),
                       "-o",
                       "ConnectTimeout=10",
                       "-p",
                       std::to_string(port_),
                       CurrentUser() + "@127.0.0.1",
                       "echo",
                       "logged-in"},
                      testing::RunOptions::WithTimeout(std::chrono::seconds(30)));
  }

  std::string WriteGenerated(KeyKind kind, const std::string& name) {
    auto pair = GenerateKeyPair({kind, 0, name});
    EXPECT_TRUE(pair.ok());
    EXPECT_TRUE(WriteKeyPair(*pair, {dir_.Join(name), dir_.Join(name + ".pub")}).ok());
    return dir_.Join(name);
  }

  testing::TempDir dir_;
  std::string sshd_;
  int port_ = 0;
  std::unique_ptr<testing::BackgroundProcess> sshd_process_;
};

TEST_F(SshdLoginTest, GeneratedKeysLogInAndOthersAreRefused) {
  const std::string ed = WriteGenerated(KeyKind::kEd25519, "ed");
  const std::string rsa = WriteGenerated(KeyKind::kRsa, "rsa");
  const std::string ec = WriteGenerated(KeyKind::kEcdsa, "ec");
  const std::string outsider = WriteGenerated(KeyKind::kEd25519, "outsider");
  testing::WriteTestFile(dir_.Join("authorized_keys"),
                         testing::ReadTestFile(ed + ".pub") + testing::ReadTestFile(rsa + ".pub") +
                             testing::ReadTestFile(ec + ".pub"),
                         0600);
  StartSshd();
  for (const std::string& identity : {ed, rsa, ec}) {
    auto login = SshWith(identity);
    EXPECT_EQ(login.exit_code, 0) << identity << ": " << login.err << "\n"
                                  << testing::ReadTestFile(dir_.Join("sshd.log"));
    EXPECT_EQ(login.out, "logged-in\n");
  }
  auto refused = SshWith(outsider);
  EXPECT_EQ(refused.exit_code, 255);
  EXPECT_NE(refused.err.find("Permission denied"), std::string::npos) << refused.err;
}

}  // namespace
}  // namespace gangplank::sshkey
