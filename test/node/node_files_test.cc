// What the node agent renders and parses, without running sshd: sshd_config, authorized_keys,
// desired-state checks (nothing can inject a line into sshd's files), login events, StrictModes,
// and sshd's privilege-separation directory made when sshd says it is missing.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "node/login_events.h"
#include "protocol/node_protocol.h"
#include "node/sshd_files.h"
#include "node/sshd_process.h"
#include "sshkey/generate.h"
#include "support/temp_dir.h"

namespace gangplank::node {
namespace {

std::string NewKey() {
  return sshkey::GenerateKeyPair({sshkey::KeyKind::kEd25519, 0, "me@laptop"})
      ->public_key.ToPublicKeyLine();
}

std::string DesiredJson(const std::string& user, const std::string& key,
                        const std::string& address = "127.42.0.7",
                        const std::string& access = "LocalUser") {
  protocol::DesiredNodeState state;
  state.node_name = "aks-nodepool1-12345678-vmss000000";
  state.address = address;
  state.admin_username = user;
  state.public_keys = {key};
  state.ssh_enabled = access == "LocalUser";
  state.model_version = 3;
  state.image_version = "AKSUbuntu-2204gen2containerd-202311.07.0";
  state.reimage_generation = 2;
  return protocol::DesiredNodeStateJson(state);
}

TEST(NodeStateTest, RoundTripsAndRendersALockedDownSshdConfig) {
  const std::string key = NewKey();
  auto state = protocol::ParseDesiredNodeState(DesiredJson("azureuser", key));
  ASSERT_TRUE(state.ok()) << state.error().message;
  EXPECT_EQ(state->public_keys, std::vector<std::string>{key});
  EXPECT_EQ(state->model_version, 3);
  EXPECT_EQ(state->reimage_generation, 2);
  EXPECT_TRUE(state->ssh_enabled);

  const NodeLayout layout{"/var/lib/gangplank/nodes/n1"};
  const std::string config = RenderSshdConfig(*state, layout);
  for (const char* line :
       {"ListenAddress 127.42.0.7:22\n", "PasswordAuthentication no\n",
        "KbdInteractiveAuthentication no\n", "PermitRootLogin no\n", "AllowUsers azureuser\n",
        "StrictModes yes\n", "PubkeyAuthentication yes\n",
        "AuthorizedKeysFile /var/lib/gangplank/nodes/n1/ssh/authorized_keys\n",
        "HostKey /var/lib/gangplank/nodes/n1/ssh/ssh_host_ed25519_key\n",
        "HostKey /var/lib/gangplank/nodes/n1/ssh/ssh_host_ecdsa_key\n", "LogLevel VERBOSE\n"}) {
    EXPECT_NE(config.find(line), std::string::npos) << line << "\n" << config;
  }
  const std::string keys = RenderAuthorizedKeys(*state);
  EXPECT_NE(keys.find(key + "\n"), std::string::npos);
}

TEST(NodeStateTest, NothingInTheDesiredStateCanAddALineToSshdsFiles) {
  const std::string key = NewKey();
  // A user name with a newline would add an sshd_config directive.
  EXPECT_FALSE(protocol::ParseDesiredNodeState(DesiredJson("azureuser\nPermitRootLogin yes", key)).ok());
  EXPECT_FALSE(protocol::ParseDesiredNodeState(DesiredJson("root user", key)).ok());
  EXPECT_FALSE(protocol::ParseDesiredNodeState(DesiredJson("", key)).ok());
  // Two keys in one entry, or text that is no key, are refused.
  EXPECT_FALSE(protocol::ParseDesiredNodeState(DesiredJson("azureuser", key + "\n" + NewKey())).ok());
  EXPECT_FALSE(protocol::ParseDesiredNodeState(DesiredJson("azureuser", "not a key")).ok());
  EXPECT_FALSE(protocol::ParseDesiredNodeState(DesiredJson("azureuser", key, "127.0.0.1\nPort 2222")).ok());
  EXPECT_FALSE(protocol::ParseDesiredNodeState(DesiredJson("azureuser", key, "example.com")).ok());
  std::string access = DesiredJson("azureuser", key);
  access.replace(access.find("LocalUser"), 9, "Sometimes");
  EXPECT_FALSE(protocol::ParseDesiredNodeState(access).ok());
  auto error = protocol::ParseDesiredNodeState(R"({"nodeName": 5})");
  ASSERT_FALSE(error.ok());
  EXPECT_NE(error.error().message.find("nodeName"), std::string::npos);
  EXPECT_FALSE(protocol::ParseDesiredNodeState("[]").ok());
  EXPECT_FALSE(protocol::ParseDesiredNodeState("{").ok());
}

TEST(LoginEventTest, ParsesAcceptedFailedAndInvalidUserLines) {
  auto accepted = ParseLoginEvent(
      "sshd[11725]: Accepted publickey for gpadmin from 127.0.0.1 port 39168 ssh2: ED25519 "
      "SHA256:Uz9ZHDTSqo4NfTkz6746/yc34UYGN8UxePngjSyVf/o\r");
  ASSERT_TRUE(accepted.has_value());
  EXPECT_TRUE(accepted->accepted);
  EXPECT_EQ(accepted->user, "gpadmin");
  EXPECT_EQ(accepted->source, "127.0.0.1");
  EXPECT_EQ(accepted->source_port, 39168);
  EXPECT_EQ(accepted->method, "publickey");
  EXPECT_EQ(accepted->key_type, "ED25519");
  EXPECT_EQ(accepted->fingerprint, "SHA256:Uz9ZHDTSqo4NfTkz6746/yc34UYGN8UxePngjSyVf/o");

  auto failed = ParseLoginEvent(
      "Failed publickey for invalid user bob from 10.1.2.3 port 5 ssh2: RSA SHA256:abc");
  ASSERT_TRUE(failed.has_value());
  EXPECT_FALSE(failed->accepted);
  EXPECT_EQ(failed->user, "bob");
  EXPECT_EQ(failed->key_type, "RSA");

  auto invalid = ParseLoginEvent("Invalid user mallory from 127.0.0.9 port 40000\r\n");
  ASSERT_TRUE(invalid.has_value());
  EXPECT_FALSE(invalid->accepted);
  EXPECT_EQ(invalid->user, "mallory");
  EXPECT_EQ(invalid->source, "127.0.0.9");

  EXPECT_FALSE(ParseLoginEvent("Server listening on 127.42.0.7 port 22.").has_value());
  EXPECT_FALSE(ParseLoginEvent("Postponed publickey for bob from 10.1.2.3 port 5 ssh2").has_value());
  EXPECT_FALSE(ParseLoginEvent("Accepted publickey for bob from nowhere port 5 ssh2").has_value());
  EXPECT_FALSE(ParseLoginEvent("Accepted publickey for bob from 10.1.2.3 port 99999 ssh2").has_value());
  EXPECT_FALSE(ParseLoginEvent("Accepted").has_value());
  EXPECT_FALSE(ParseLoginEvent("Failed publickey for").has_value());
}

TEST(SecurePathTest, WorldWritableDirectoriesAreNamed) {
  testing::TempDir dir;  // under /tmp, which is world-writable
  auto checked = CheckSecurePath(dir.path());
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.error().reason, "InsecureNodeDir");
  EXPECT_NE(checked.error().message.find("/tmp"), std::string::npos) << checked.error().message;
  EXPECT_TRUE(CheckSecurePath("/usr/bin").ok());
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

// A stand-in for `sshd -t` that, like OpenSSH's as root, refuses to pass while its privilege
// separation directory is missing, and names it.
std::string FakeSshd(testing::TempDir& dir, const std::string& privsep, const std::string& other) {
  const std::string path = dir.Join("sshd");
  testing::WriteTestFile(path,
                         "#!/bin/sh\n"
                         "[ -d '" + privsep + "' ] || { echo 'Missing privilege separation "
                         "directory: " + privsep + "' >&2; exit 255; }\n" + other + "\nexit 0\n",
                         0755);
  return path;
}

TEST(PrivilegeSeparationDirectoryTest, IsMadeAsSshdWantsItAndPutRightWhenLoose) {
  ASSERT_EQ(::geteuid(), 0u) << "sshd's privilege separation directory is root's (CI runs as root)";
  testing::TempDir dir;
  const std::string fresh = dir.Join("run-sshd");
  ASSERT_TRUE(EnsurePrivilegeSeparationDirectory(fresh).ok());
  EXPECT_EQ(ModeOf(fresh), 0755u);

  const std::string loose = dir.Join("loose");
  ASSERT_EQ(::mkdir(loose.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(loose.c_str(), 0777), 0);  // sshd would refuse it at the first login
  ASSERT_TRUE(EnsurePrivilegeSeparationDirectory(loose).ok());
  EXPECT_EQ(ModeOf(loose), 0755u);
}

TEST(PrivilegeSeparationDirectoryTest, ASymlinkIsRefusedAndItsTargetUntouched) {
  testing::TempDir dir;
  const std::string target = dir.Join("elsewhere");
  ASSERT_EQ(::mkdir(target.c_str(), 0700), 0);
  const std::string link = dir.Join("run-sshd");
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  const Status made = EnsurePrivilegeSeparationDirectory(link);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().reason, "SshdPrivsepDirUnsafe");
  EXPECT_FALSE(WaitingMayHelp(made.error().code));
  EXPECT_EQ(ModeOf(target), 0700u);
}

TEST(CheckSshdConfigTest, MakesTheDirectorySshdNamesThenPasses) {
  testing::TempDir dir;
  const std::string privsep = dir.Join("privsep");  // where this "sshd" was built to chroot
  const Status checked = CheckSshdConfig(FakeSshd(dir, privsep, ""), dir.Join("sshd_config"));
  ASSERT_TRUE(checked.ok()) << checked.error().message;
  EXPECT_TRUE(std::filesystem::is_directory(privsep));
}

TEST(CheckSshdConfigTest, OtherComplaintsFailForGoodWithSshdsOwnWords) {
  testing::TempDir dir;
  const std::string sshd =
      FakeSshd(dir, dir.Join("privsep"), "echo 'sshd_config line 3: Bad SSH2 cipher spec' >&2; exit 255");
  const Status checked = CheckSshdConfig(sshd, dir.Join("sshd_config"));
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.error().reason, "SshdConfigRefused");
  EXPECT_FALSE(WaitingMayHelp(checked.error().code));
  EXPECT_NE(checked.error().message.find("Bad SSH2 cipher spec"), std::string::npos);

  const Status missing = CheckSshdConfig("", dir.Join("sshd_config"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().reason, "SshdNotFound");
  EXPECT_NE(missing.error().message.find("openssh-server"), std::string::npos);
}

}  // namespace
}  // namespace gangplank::node
