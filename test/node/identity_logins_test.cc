// EntraId nodes without a node: the desired state's identity fields, sshd's configuration for
// certificates, the accounts and principals files the agent keeps, and the login events sshd
// writes for certificates (lines recorded from OpenSSH 9.2's sshd).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "node/identity_accounts.h"
#include "node/login_events.h"
#include "node/sshd_files.h"
#include "protocol/node_protocol.h"
#include "sshkey/generate.h"
#include "support/temp_dir.h"

namespace gangplank::node {
namespace {
namespace fs = std::filesystem;

std::string Read(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

protocol::DesiredNodeState EntraIdState() {
  protocol::DesiredNodeState state;
  state.node_name = "aks-entra-12345678-vmss000000";
  state.address = "127.42.0.9";
  state.admin_username = "azureuser";
  state.public_keys = {sshkey::GenerateKeyPair({sshkey::KeyKind::kEd25519, 0, "k"})
                           ->public_key.ToPublicKeyLine()};
  state.entra_id = true;
  state.trusted_user_ca_keys = {sshkey::GenerateKeyPair({sshkey::KeyKind::kEd25519, 0, "ca"})
                                    ->public_key.ToPublicKeyLine()};
  state.identity_logins = {{"alice@contoso.example", false},
                           {"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", true}};
  return state;
}

TEST(IdentityLoginNameTest, UserPrincipalNamesAndAppIdsOnlyNeverALocalAccount) {
  for (const char* name : {"alice@contoso.example", "a.b-c_d@x.y", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"})
    EXPECT_TRUE(protocol::IsIdentityLoginName(name)) << name;
  for (const char* name : {"azureuser", "root", "", "@x", "x@", "a@b@c", "a b@c", "-a@b", ".a@b",
                           "a@b\nPermitRootLogin yes", "a/../b@c", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1fz"})
    EXPECT_FALSE(protocol::IsIdentityLoginName(name)) << name;
  EXPECT_FALSE(protocol::IsIdentityLoginName(std::string(96, 'a') + "@b.cd"));
}

TEST(IdentityLoginNameTest, TheDesiredStateCarriesThemAndRefusesAnythingElse) {
  const protocol::DesiredNodeState state = EntraIdState();
  const std::string json = protocol::DesiredNodeStateJson(state);
  auto parsed = protocol::ParseDesiredNodeState(json);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(*parsed, state);
  EXPECT_NE(json.find("\"sshAccess\":\"EntraId\""), std::string::npos);
  std::string bad = json;
  bad.replace(bad.find("alice@contoso.example"), 21, "root");
  EXPECT_FALSE(protocol::ParseDesiredNodeState(bad).ok()) << "a local account as an identity";
  bad = json;
  bad.replace(bad.find("ssh-ed25519", bad.find("trustedUserCaKeys")), 11, "not-a-key");
  EXPECT_FALSE(protocol::ParseDesiredNodeState(bad).ok()) << "a CA that is no key";
}

TEST(EntraIdSshdConfigTest, CertificatesOfTheTrustedCaOnlyAndNoStaticKey) {
  const NodeLayout layout{"/var/lib/gangplank-node"};
  const std::string config = RenderSshdConfig(EntraIdState(), layout);
  for (const char* line : {"AuthorizedKeysFile none\n",
                           "TrustedUserCAKeys /var/lib/gangplank-node/ssh/trusted_user_ca_keys\n",
                           "AuthorizedPrincipalsFile /var/lib/gangplank-node/ssh/principals/%u\n",
                           "PermitRootLogin no\n", "PasswordAuthentication no\n"})
    EXPECT_NE(config.find(line), std::string::npos) << line << config;
  // AllowUsers would read alice@contoso.example as user alice from host contoso.example.
  EXPECT_EQ(config.find("AllowUsers"), std::string::npos) << config;
  EXPECT_EQ(config.find("authorized_keys"), std::string::npos) << config;
}

TEST(IdentityAccountsTest, AccountsKeepTheirUidsAndOnlyWhoMayLogInNowHasAPrincipalsFile) {
  testing::TempDir dir;
  const IdentityAccountPaths paths{dir.path() / "extrausers", dir.path() / "home",
                                   dir.path() / "sudoers", dir.path() / "principals", false};
  auto logins = EntraIdState().identity_logins;
  ASSERT_TRUE(WriteIdentityAccounts(logins, paths).ok());
  const std::string passwd = Read(paths.extrausers / "passwd");
  EXPECT_NE(passwd.find("alice@contoso.example:x:100000:99998::" + (paths.homes / "alice@contoso.example").string() + ":/bin/bash\n"), std::string::npos) << passwd;
  EXPECT_NE(passwd.find("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0:x:100001:"), std::string::npos) << passwd;
  EXPECT_NE(Read(paths.extrausers / "group").find("gangplank-identity-admins:x:99999:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0\n"), std::string::npos);
  EXPECT_NE(Read(paths.extrausers / "shadow").find("alice@contoso.example:*:"), std::string::npos)
      << "'*' (no password), never '!' (locked: sshd refuses the account)";
  EXPECT_EQ(Read(paths.principals / "alice@contoso.example"), "alice@contoso.example\n");
  EXPECT_EQ(Read(paths.sudoers), "%gangplank-identity-admins ALL=(ALL:ALL) NOPASSWD:ALL\n");
  struct stat home {};
  ASSERT_EQ(::stat((paths.homes / "alice@contoso.example").c_str(), &home), 0);
  EXPECT_EQ(home.st_uid, 100000u);

  // The admin loses the role, alice becomes one, bob arrives: uids stay, files follow.
  logins = {{"bob@contoso.example", false}, {"alice@contoso.example", true}};
  ASSERT_TRUE(WriteIdentityAccounts(logins, paths).ok());
  const std::string after = Read(paths.extrausers / "passwd");
  EXPECT_NE(after.find("alice@contoso.example:x:100000:"), std::string::npos) << after;
  EXPECT_NE(after.find("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0:x:100001:"), std::string::npos);
  EXPECT_NE(after.find("bob@contoso.example:x:100002:"), std::string::npos) << after;
  EXPECT_FALSE(fs::exists(paths.principals / "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"))
      << "an identity without a role kept its principals file";
  EXPECT_NE(Read(paths.extrausers / "group").find("gangplank-identity-admins:x:99999:alice@contoso.example\n"), std::string::npos);

  ASSERT_TRUE(RemoveIdentityLogins(paths).ok());
  EXPECT_FALSE(fs::exists(paths.principals));
  EXPECT_FALSE(fs::exists(paths.sudoers));
}

TEST(CertificateLoginEventTest, KeyIdSerialCaAndWhySshdRefused) {
  LoginEventReader reader;
  auto accepted = reader.Read(
      "Accepted publickey for alice@contoso.example from 127.0.0.1 port 55040 ssh2: RSA-CERT "
      "SHA256:DHYdYb5xsGWYMgI2RpfKzVjV+Ig7g3mBbLQPk6kw0fI ID 6a1c0000-aaaa-4bbb-8ccc-000000000001@adfs "
      "(serial 4242424242424242) CA ED25519 SHA256:VsK1hYhLeCGCdMI1vPnYTf1vhjl1LmPStd8LxLqgKPk\r");
  ASSERT_TRUE(accepted.has_value());
  EXPECT_TRUE(accepted->accepted);
  EXPECT_EQ(accepted->user, "alice@contoso.example");
  EXPECT_EQ(accepted->key_type, "RSA-CERT");
  EXPECT_EQ(accepted->fingerprint, "SHA256:DHYdYb5xsGWYMgI2RpfKzVjV+Ig7g3mBbLQPk6kw0fI");
  EXPECT_EQ(accepted->key_id, "6a1c0000-aaaa-4bbb-8ccc-000000000001@adfs");
  EXPECT_EQ(accepted->serial, 4242424242424242u);
  EXPECT_EQ(accepted->ca_fingerprint, "ED25519 SHA256:VsK1hYhLeCGCdMI1vPnYTf1vhjl1LmPStd8LxLqgKPk");
  EXPECT_TRUE(accepted->reason.empty());

  const std::string failed =
      "Failed publickey for alice@contoso.example from 127.0.0.1 port 55056 ssh2: RSA-CERT "
      "SHA256:DHYd ID key id with spaces (serial 43) CA ED25519 SHA256:VsK1";
  EXPECT_FALSE(reader.Read("Certificate invalid: expired").has_value());
  auto expired = reader.Read(failed);
  ASSERT_TRUE(expired.has_value());
  EXPECT_FALSE(expired->accepted);
  EXPECT_EQ(expired->key_id, "key id with spaces");
  EXPECT_EQ(expired->serial, 43u);
  EXPECT_EQ(expired->reason, "certificate expired");
  EXPECT_FALSE(reader.Read("Certificate does not contain an authorized principal").has_value());
  EXPECT_NE(reader.Read(failed)->reason.find("not authorized"), std::string::npos);
  EXPECT_NE(reader.Read(failed)->reason.find("not signed by a CA this node trusts"),
            std::string::npos)
      << "a reason is for the line right after it only";
  // The key without its certificate, tried next by ssh: no certificate, no reason.
  auto plain = reader.Read(
      "Failed publickey for alice@contoso.example from 127.0.0.1 port 55056 ssh2: RSA SHA256:DHYd");
  ASSERT_TRUE(plain.has_value());
  EXPECT_TRUE(plain->key_id.empty());
  EXPECT_TRUE(plain->reason.empty());
}

}  // namespace
}  // namespace gangplank::node
