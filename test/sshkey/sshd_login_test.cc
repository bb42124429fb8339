// `ssh -i` with a key Gangplank generated logs into a real OpenSSH sshd; another key is refused.
// A certificate Gangplank's user CA signed logs in where sshd trusts that CA (TrustedUserCAKeys),
// and ssh-keygen -L reads every field as written; an expired one, another CA's, one for another
// principal are refused.
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>

#include "auth/ssh_user_ca.h"
#include "common/base64.h"
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

// Field `index` (0-based, space-separated) of the first line of a file: a .pub file's base64.
std::string ReadTestFileField(const std::string& path, int index) {
  std::string line = testing::ReadTestFile(path);
  line = line.substr(0, line.find('\n'));
  for (int i = 0; i < index; ++i) line = line.substr(line.find(' ') + 1);
  return line.substr(0, line.find(' '));
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

TEST_F(SshdLoginTest, ACertificateFromTheUserCaLogsInAndOnlyWhileItHolds) {
  const auto ca = auth::SshUserCa::Generate("gangplank-user-ca");
  const auto other = auth::SshUserCa::Generate("another-ca");
  ASSERT_TRUE(ca.ok() && other.ok());
  testing::WriteTestFile(dir_.Join("user_ca.pub"), ca->first->public_key_line() + "\n", 0644);
  std::string config = testing::ReadTestFile(dir_.Join("sshd_config"));
  config += "TrustedUserCAKeys " + dir_.Join("user_ca.pub") + "\n";
  testing::WriteTestFile(dir_.Join("sshd_config"), config, 0600);
  testing::WriteTestFile(dir_.Join("authorized_keys"), "", 0600);  // no static key at all
  StartSshd();

  const std::string rsa = WriteGenerated(KeyKind::kRsa, "person");
  const std::string blob =
      *Base64DecodeStrict(ReadTestFileField(rsa + ".pub", 1));
  const auto now = static_cast<std::uint64_t>(std::time(nullptr));
  const auto certify = [&](const auth::SshUserCa& by, const std::string& principal,
                           std::uint64_t after, std::uint64_t before) {
    UserCertificate certificate{blob, 4242, "object-id@adfs", {principal}, after, before,
                                {{"permit-pty", ""},
                                 {"oid@sshservice.azure.net", ExtensionString("object-id")},
                                 {"permit-X11-forwarding", ""}}};
    auto signed_blob = by.Sign(certificate);
    EXPECT_TRUE(signed_blob.ok());
    testing::WriteTestFile(rsa + "-cert.pub",
                           "ssh-rsa-cert-v01@openssh.com " + Base64Encode(*signed_blob) + "\n",
                           0644);
  };
  certify(*ca->first, CurrentUser(), now - 300, now + 3600);
  const auto listed = RunProgram({"ssh-keygen", "-L", "-f", rsa + "-cert.pub"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  for (const char* expected :
       {"Type: ssh-rsa-cert-v01@openssh.com user certificate", "Key ID: \"object-id@adfs\"",
        "Serial: 4242", "Signing CA: ED25519", "permit-pty", "permit-X11-forwarding",
        "oid@sshservice.azure.net"}) {
    EXPECT_NE(listed.out.find(expected), std::string::npos) << expected << "\n" << listed.out;
  }
  EXPECT_NE(listed.out.find("Principals: \n                " + CurrentUser()), std::string::npos)
      << listed.out;
  auto login = SshWith(rsa);  // ssh offers <key>-cert.pub beside the key
  EXPECT_EQ(login.exit_code, 0) << login.err << testing::ReadTestFile(dir_.Join("sshd.log"));

  certify(*ca->first, CurrentUser(), now - 7200, now - 3600);  // expired an hour ago
  EXPECT_EQ(SshWith(rsa).exit_code, 255);
  certify(*other->first, CurrentUser(), now - 300, now + 3600);  // another CA
  EXPECT_EQ(SshWith(rsa).exit_code, 255);
  certify(*ca->first, "someone-else", now - 300, now + 3600);  // not this account's name
  EXPECT_EQ(SshWith(rsa).exit_code, 255);
}

}  // namespace
}  // namespace gangplank::sshkey
