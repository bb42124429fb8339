// Key generation: sizes, the openssh-key-v1 encoding, file modes and never overwriting.
#include "sshkey/generate.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "sshkey/fingerprint.h"
#include "sshkey/key_errors.h"
#include "sshkey/private_key.h"
#include "support/temp_dir.h"

namespace gangplank::sshkey {
namespace {

struct SizeCase {
  KeyKind kind;
  int bits;
  std::string_view type;
  int expected_bits;
};

void PrintTo(const SizeCase& c, std::ostream* os) { *os << c.type << " " << c.bits; }

class GenerateSizeTest : public ::testing::TestWithParam<SizeCase> {};

TEST_P(GenerateSizeTest, ProducesAValidKeyWhosePrivateHalfCarriesThePublicOne) {
  const SizeCase& c = GetParam();
  auto pair = GenerateKeyPair({c.kind, c.bits, "test@gangplank"});
  ASSERT_TRUE(pair.ok()) << pair.error().ToString();
  EXPECT_EQ(pair->public_key.type(), c.type);
  EXPECT_EQ(pair->public_key.bits, c.expected_bits);
  EXPECT_EQ(pair->public_key.comment, "test@gangplank");
  const std::string_view pem(pair->private_key.data(), pair->private_key.size());
  EXPECT_TRUE(pem.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----\n"));
  EXPECT_TRUE(pem.ends_with("-----END OPENSSH PRIVATE KEY-----\n"));
  auto derived = PublicKeyFromPrivateKey(pem);
  ASSERT_TRUE(derived.ok()) << derived.error().ToString();
  EXPECT_TRUE(derived->SameKey(pair->public_key));
}

std::string SizeCaseName(const ::testing::TestParamInfo<SizeCase>& param_info) {
  return std::string(KeyKindName(param_info.param.kind)) +
         std::to_string(param_info.param.expected_bits);
}

INSTANTIATE_TEST_SUITE_P(
    AllKinds, GenerateSizeTest,
    ::testing::Values(SizeCase{KeyKind::kRsa, 0, "ssh-rsa", 3072},
                      SizeCase{KeyKind::kRsa, 2048, "ssh-rsa", 2048},
                      SizeCase{KeyKind::kEd25519, 0, "ssh-ed25519", 256},
                      SizeCase{KeyKind::kEcdsa, 0, "ecdsa-sha2-nistp256", 256},
                      SizeCase{KeyKind::kEcdsa, 384, "ecdsa-sha2-nistp384", 384},
                      SizeCase{KeyKind::kEcdsa, 521, "ecdsa-sha2-nistp521", 521}),
    SizeCaseName);

TEST(GenerateTest, TwoKeysDiffer) {
  auto a = GenerateKeyPair({KeyKind::kEd25519, 0, ""});
  auto b = GenerateKeyPair({KeyKind::kEd25519, 0, ""});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(Fingerprint(a->public_key), Fingerprint(b->public_key));
}

TEST(GenerateTest, RefusesBadOptions) {
  EXPECT_EQ(GenerateKeyPair({KeyKind::kRsa, 1024, ""}).error().reason,
            reason::kInvalidGenerateOptions);
  EXPECT_EQ(GenerateKeyPair({KeyKind::kRsa, 16385, ""}).error().reason,
            reason::kInvalidGenerateOptions);
  EXPECT_EQ(GenerateKeyPair({KeyKind::kEcdsa, 255, ""}).error().reason,
            reason::kInvalidGenerateOptions);
  EXPECT_EQ(GenerateKeyPair({KeyKind::kEd25519, 512, ""}).error().reason,
            reason::kInvalidGenerateOptions);
  EXPECT_EQ(GenerateKeyPair({KeyKind::kEd25519, 0, "two\nlines"}).error().reason,
            reason::kInvalidGenerateOptions);
  EXPECT_FALSE(ParseKeyKind("dsa").ok());
  EXPECT_EQ(*ParseKeyKind("ecdsa"), KeyKind::kEcdsa);
}

TEST(WriteKeyPairTest, WritesWithSshModesAndCreatesThe0700Directory) {
  testing::TempDir dir;
  const std::string ssh_dir = dir.Join("home/.ssh");
  auto pair = GenerateKeyPair({KeyKind::kEd25519, 0, "me"});
  ASSERT_TRUE(pair.ok());
  ASSERT_TRUE(WriteKeyPair(*pair, {ssh_dir + "/id_ed25519", ssh_dir + "/id_ed25519.pub"}).ok());
  EXPECT_EQ(testing::FileMode(ssh_dir), 0700u);
  EXPECT_EQ(testing::FileMode(ssh_dir + "/id_ed25519"), 0600u);
  EXPECT_EQ(testing::FileMode(ssh_dir + "/id_ed25519.pub"), 0644u);
  EXPECT_EQ(testing::ReadTestFile(ssh_dir + "/id_ed25519.pub"),
            pair->public_key.ToPublicKeyLine() + "\n");
  EXPECT_EQ(testing::ReadTestFile(ssh_dir + "/id_ed25519"),
            std::string(pair->private_key.data(), pair->private_key.size()));
}

TEST(WriteKeyPairTest, ADirectoryAsTheFileNameIsExplained) {
  testing::TempDir dir;
  auto pair = GenerateKeyPair({KeyKind::kEd25519, 0, ""});
  ASSERT_TRUE(pair.ok());
  Status status = WriteKeyPair(*pair, {dir.path(), dir.Join("x.pub")});
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("is a directory"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir.Join("x.pub")));
}

TEST(WriteKeyPairTest, NeverOverwritesAndWritesNothingWhenEitherFileExists) {
  testing::TempDir dir;
  auto pair = GenerateKeyPair({KeyKind::kEd25519, 0, ""});
  ASSERT_TRUE(pair.ok());
  testing::WriteTestFile(dir.Join("k.pub"), "old public\n");
  Status status = WriteKeyPair(*pair, {dir.Join("k"), dir.Join("k.pub")});
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, StatusCode::kAlreadyExists);
  EXPECT_NE(status.error().message.find(dir.Join("k.pub")), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir.Join("k")));
  EXPECT_EQ(testing::ReadTestFile(dir.Join("k.pub")), "old public\n");

  testing::WriteTestFile(dir.Join("j"), "old private\n", 0600);
  EXPECT_FALSE(WriteKeyPair(*pair, {dir.Join("j"), dir.Join("j.pub")}).ok());
  EXPECT_EQ(testing::ReadTestFile(dir.Join("j")), "old private\n");
  EXPECT_FALSE(std::filesystem::exists(dir.Join("j.pub")));
}

}  // namespace
}  // namespace gangplank::sshkey
