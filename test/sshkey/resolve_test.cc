// Key resolution for --ssh-key-value / --generate-ssh-keys / --no-ssh-key, in a scratch HOME.
#include "sshkey/resolve.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "sshkey/fingerprint.h"
#include "sshkey/fixtures.h"
#include "sshkey/generate.h"
#include "sshkey/key_errors.h"
#include "support/temp_dir.h"

namespace gangplank::sshkey {
namespace {

class ResolveTest : public ::testing::Test {
 protected:
  Result<ResolvedKey> Resolve(SshKeyFlags flags) {
    return ResolveSshKey(flags, {home_.path(), {}});
  }
  std::string Home(std::string_view rest) const {
    return home_.path().string() + "/" + std::string(rest);
  }
  void WriteDefaultKey() {
    std::filesystem::create_directories(Home(".ssh"));
    testing::WriteTestFile(Home(".ssh/id_rsa.pub"), std::string(testing::kRsa2048Line) + "\n");
  }

  testing::TempDir home_;
};

TEST_F(ResolveTest, NoFlagUsesTheDefaultPublicKey) {
  WriteDefaultKey();
  auto resolved = Resolve({});
  ASSERT_TRUE(resolved.ok()) << resolved.error().ToString();
  ASSERT_TRUE(resolved->key.has_value());
  EXPECT_EQ(Fingerprint(*resolved->key), testing::kRsa2048Sha256);
  EXPECT_EQ(resolved->source, Home(".ssh/id_rsa.pub"));
}

TEST_F(ResolveTest, NoFlagAndNoDefaultKeyIsKeyNotFoundAndCreatesNothing) {
  auto resolved = Resolve({});
  ASSERT_FALSE(resolved.ok());
  EXPECT_EQ(resolved.error().reason, reason::kKeyNotFound);
  EXPECT_EQ(resolved.error().code, StatusCode::kNotFound);
  const std::string& message = resolved.error().message;
  EXPECT_NE(message.find("key not found"), std::string::npos);
  EXPECT_NE(message.find(Home(".ssh/id_rsa.pub")), std::string::npos);
  EXPECT_NE(message.find("--generate-ssh-keys"), std::string::npos);
  EXPECT_NE(message.find("--no-ssh-key"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(Home(".ssh")));
}

TEST_F(ResolveTest, GenerateReusesAnExistingKeyUnchanged) {
  WriteDefaultKey();
  auto resolved = Resolve({std::nullopt, true, false});
  ASSERT_TRUE(resolved.ok());
  EXPECT_EQ(Fingerprint(*resolved->key), testing::kRsa2048Sha256);
  EXPECT_TRUE(resolved->notices.empty());
  EXPECT_FALSE(std::filesystem::exists(Home(".ssh/id_rsa")));
}

TEST_F(ResolveTest, GenerateDerivesThePublicHalfFromALonePrivateKey) {
  auto pair = GenerateKeyPair({KeyKind::kEcdsa, 384, ""});
  ASSERT_TRUE(pair.ok());
  std::filesystem::create_directories(Home(".ssh"));
  testing::WriteTestFile(Home(".ssh/id_rsa"),
                         std::string(pair->private_key.data(), pair->private_key.size()), 0600);
  auto resolved = Resolve({std::nullopt, true, false});
  ASSERT_TRUE(resolved.ok()) << resolved.error().ToString();
  EXPECT_TRUE(resolved->key->SameKey(pair->public_key));
  EXPECT_EQ(testing::FileMode(Home(".ssh/id_rsa.pub")), 0644u);
  ASSERT_EQ(resolved->notices.size(), 1u);
  EXPECT_NE(resolved->notices[0].find("derived"), std::string::npos);
}

TEST_F(ResolveTest, GenerateCreatesAKeyPairWithSshModesWhenNoneExists) {
  auto resolved = Resolve({std::nullopt, true, false});
  ASSERT_TRUE(resolved.ok()) << resolved.error().ToString();
  EXPECT_EQ(resolved->key->type(), "ssh-rsa");
  EXPECT_EQ(resolved->key->bits, 3072);
  EXPECT_EQ(testing::FileMode(Home(".ssh")), 0700u);
  EXPECT_EQ(testing::FileMode(Home(".ssh/id_rsa")), 0600u);
  EXPECT_EQ(testing::FileMode(Home(".ssh/id_rsa.pub")), 0644u);
  ASSERT_EQ(resolved->notices.size(), 1u);
  EXPECT_NE(resolved->notices[0].find(Home(".ssh/id_rsa")), std::string::npos);
  // The next resolution reuses what was written.
  auto again = Resolve({});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->key->SameKey(*resolved->key));
}

TEST_F(ResolveTest, GenerateAtACustomPathFollowsAzNaming) {
  auto resolved = Resolve({"~/keys/cluster.pub", true, false});
  ASSERT_TRUE(resolved.ok()) << resolved.error().ToString();
  EXPECT_TRUE(std::filesystem::exists(Home("keys/cluster")));
  EXPECT_TRUE(std::filesystem::exists(Home("keys/cluster.pub")));
  auto other = Resolve({"~/keys/other", true, false});
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(std::filesystem::exists(Home("keys/other")));          // public key
  EXPECT_TRUE(std::filesystem::exists(Home("keys/other.private")));  // private key
}

TEST_F(ResolveTest, ValueAsPathWithTildeOrAsContents) {
  std::filesystem::create_directories(Home("k"));
  testing::WriteTestFile(Home("k/ops.pub"), std::string(testing::kEd25519Line) + "\n");
  auto by_path = Resolve({"~/k/ops.pub", false, false});
  ASSERT_TRUE(by_path.ok()) << by_path.error().ToString();
  EXPECT_EQ(Fingerprint(*by_path->key), testing::kEd25519Sha256);
  auto by_value = Resolve({std::string(testing::kEcdsa256Line), false, false});
  ASSERT_TRUE(by_value.ok());
  EXPECT_EQ(Fingerprint(*by_value->key), testing::kEcdsa256Sha256);
}

TEST_F(ResolveTest, MissingExplicitPathIsKeyNotFoundNamingIt) {
  auto resolved = Resolve({"~/nope/id.pub", false, false});
  ASSERT_FALSE(resolved.ok());
  EXPECT_EQ(resolved.error().reason, reason::kKeyNotFound);
  EXPECT_NE(resolved.error().message.find(Home("nope/id.pub")), std::string::npos);
}

TEST_F(ResolveTest, PrivateKeyPathIsRefusedWithAHintAndNotEchoed) {
  auto pair = GenerateKeyPair({KeyKind::kEd25519, 0, ""});
  ASSERT_TRUE(pair.ok());
  const std::string secret(pair->private_key.data(), pair->private_key.size());
  testing::WriteTestFile(Home("id_ed25519"), secret, 0600);
  auto resolved = Resolve({Home("id_ed25519"), false, false});
  ASSERT_FALSE(resolved.ok());
  EXPECT_EQ(resolved.error().reason, reason::kPrivateKeyGiven);
  EXPECT_NE(resolved.error().message.find(Home("id_ed25519") + ".pub"), std::string::npos);
  const std::string body_line = secret.substr(secret.find('\n') + 1, 40);
  EXPECT_EQ(resolved.error().message.find(body_line), std::string::npos);

  auto by_value = Resolve({secret, false, false});
  ASSERT_FALSE(by_value.ok());
  EXPECT_EQ(by_value.error().reason, reason::kPrivateKeyGiven);
  EXPECT_EQ(by_value.error().message.find(body_line), std::string::npos);
}

TEST_F(ResolveTest, ConflictingFlagsAreRefused) {
  EXPECT_EQ(Resolve({"x", false, true}).error().reason, reason::kConflictingKeyFlags);
  EXPECT_EQ(Resolve({std::nullopt, true, true}).error().reason, reason::kConflictingKeyFlags);
}

TEST_F(ResolveTest, EmptyValueIsRefusedAndNothingIsGenerated) {
  EXPECT_EQ(Resolve({"", true, false}).error().reason, reason::kEmptyInput);
  EXPECT_EQ(Resolve({"  ", false, false}).error().reason, reason::kEmptyInput);
  EXPECT_TRUE(std::filesystem::is_empty(home_.path()));
}

TEST_F(ResolveTest, PathsWithSpacesAreStillPaths) {
  testing::TempDir spaced_parent;
  const std::string home = spaced_parent.Join("John Smith");
  std::filesystem::create_directories(home);
  auto generated = ResolveSshKey({std::nullopt, true, false}, {home, {}});
  ASSERT_TRUE(generated.ok()) << generated.error().ToString();
  EXPECT_TRUE(std::filesystem::exists(home + "/.ssh/id_rsa"));
  auto reused = ResolveSshKey({"~/.ssh/id_rsa.pub", false, false}, {home, {}});
  ASSERT_TRUE(reused.ok()) << reused.error().ToString();
  EXPECT_TRUE(reused->key->SameKey(*generated->key));
  auto missing = ResolveSshKey({"~/my keys/id.pub", false, false}, {home, {}});
  EXPECT_EQ(missing.error().reason, reason::kKeyNotFound);
}

TEST_F(ResolveTest, GenerateTreatsPubCaseInsensitively) {
  ASSERT_TRUE(Resolve({"~/k/ops.PUB", true, false}).ok());
  EXPECT_TRUE(std::filesystem::exists(Home("k/ops")));
}

TEST_F(ResolveTest, ValuesThatAreNotPathsAreNotEchoed) {
  const std::string pasted = "MIIEowIBAAKCAQEAxX7jYdXhixIHLiwGp9dgsuUGsHdm7EdkcwAj1uoHgAnD6dBL";
  auto resolved = Resolve({pasted, false, false});
  ASSERT_FALSE(resolved.ok());
  EXPECT_EQ(resolved.error().reason, reason::kKeyNotFound);
  EXPECT_EQ(resolved.error().message.find(pasted.substr(0, 20)), std::string::npos);
}

TEST_F(ResolveTest, NoSshKeySendsNoKey) {
  auto resolved = Resolve({std::nullopt, false, true});
  ASSERT_TRUE(resolved.ok());
  EXPECT_FALSE(resolved->key.has_value());
}

TEST_F(ResolveTest, BadKeysInFilesNameTheFile) {
  testing::WriteTestFile(Home("bad.pub"), "ssh-ed25519 AAAA@@@@ x\n");
  auto resolved = Resolve({Home("bad.pub"), false, false});
  ASSERT_FALSE(resolved.ok());
  EXPECT_EQ(resolved.error().reason, reason::kInvalidBase64);
  EXPECT_NE(resolved.error().message.find(Home("bad.pub")), std::string::npos);
  std::filesystem::create_directories(Home("dir.pub"));
  EXPECT_FALSE(Resolve({Home("dir.pub"), false, false}).ok());
  // Invalid contents are not silently replaced by a generated key.
  EXPECT_EQ(Resolve({"ssh-rsa AAAAB3NzaC1yc2E= bad", true, false}).error().reason,
            reason::kTruncatedKey);
}

}  // namespace
}  // namespace gangplank::sshkey
