// Oracle tests: keys made by the real ssh-keygen at test time must get identical fingerprints and
// bit counts from Gangplank, and keys Gangplank makes must be accepted by ssh-keygen.
#include <gtest/gtest.h>

#include "common/base64.h"
#include "sshkey/fingerprint.h"
#include "sshkey/generate.h"
#include "sshkey/key_errors.h"
#include "sshkey/parse.h"
#include "sshkey/private_key.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace gangplank::sshkey {
namespace {

using testing::RunProgram;

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

std::string SshKeygenFingerprint(const std::string& path, const char* hash = "sha256") {
  auto result = RunProgram({"ssh-keygen", "-l", "-E", hash, "-f", path});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return Trimmed(result.out);
}

struct KeygenCase {
  std::string type;
  int bits;  // 0: the type's only size
};

void PrintTo(const KeygenCase& c, std::ostream* os) { *os << c.type << " " << c.bits; }

class SshKeygenOracleTest : public ::testing::TestWithParam<KeygenCase> {
 protected:
  void SetUp() override {
    const KeygenCase& c = GetParam();
    path_ = dir_.Join("key");
    std::vector<std::string> argv = {"ssh-keygen",       "-q", "-t", c.type, "-N", "", "-C",
                                     "oracle " + c.type, "-f", path_};
    if (c.bits != 0) {
      argv.push_back("-b");
      argv.push_back(std::to_string(c.bits));
    }
    auto result = RunProgram(argv);
    ASSERT_EQ(result.exit_code, 0) << result.err;
  }
  testing::TempDir dir_;
  std::string path_;
};

TEST_P(SshKeygenOracleTest, FingerprintsAndBitsMatchSshKeygen) {
  auto key = ParseSinglePublicKey(testing::ReadTestFile(path_ + ".pub"));
  ASSERT_TRUE(key.ok()) << key.error().ToString();
  EXPECT_EQ(FingerprintLine(*key), SshKeygenFingerprint(path_ + ".pub"));
  EXPECT_EQ(FingerprintLine(*key, FingerprintHash::kMd5),
            SshKeygenFingerprint(path_ + ".pub", "md5"));
  if (GetParam().bits != 0) {
    EXPECT_EQ(key->bits, GetParam().bits);
  }
}

TEST_P(SshKeygenOracleTest, Rfc4716AndPemExportsGiveTheSameKey) {
  auto key = ParseSinglePublicKey(testing::ReadTestFile(path_ + ".pub"));
  ASSERT_TRUE(key.ok());
  std::vector<std::string> formats = {"RFC4716"};
  if (GetParam().type != "ed25519")
    formats.push_back("PKCS8");  // ssh-keygen exports no PEM ed25519
  if (GetParam().type == "rsa") formats.push_back("PEM");
  for (const std::string& format : formats) {
    auto exported = RunProgram({"ssh-keygen", "-e", "-m", format, "-f", path_ + ".pub"});
    ASSERT_EQ(exported.exit_code, 0) << format << ": " << exported.err;
    auto parsed = ParseSinglePublicKey(exported.out);
    ASSERT_TRUE(parsed.ok()) << format << ": " << parsed.error().ToString() << "\n" << exported.out;
    EXPECT_TRUE(parsed->SameKey(*key)) << format;
    EXPECT_EQ(Fingerprint(*parsed), Fingerprint(*key)) << format;
  }
}

TEST_P(SshKeygenOracleTest, PrivateKeysAreRefusedButTheirPublicHalfCanBeDerived) {
  const std::string private_text = testing::ReadTestFile(path_);
  auto refused = ParsePublicKeys(private_text);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().reason, reason::kPrivateKeyGiven);
  auto derived = PublicKeyFromPrivateKey(private_text);
  ASSERT_TRUE(derived.ok()) << derived.error().ToString();
  auto expected = ParseSinglePublicKey(testing::ReadTestFile(path_ + ".pub"));
  EXPECT_TRUE(derived->SameKey(*expected));
  // Encrypted OpenSSH keys keep the public half in clear.
  auto encrypted =
      RunProgram({"ssh-keygen", "-q", "-p", "-N", "s3cret-pass", "-P", "", "-f", path_});
  ASSERT_EQ(encrypted.exit_code, 0) << encrypted.err;
  auto from_encrypted = PublicKeyFromPrivateKey(testing::ReadTestFile(path_));
  ASSERT_TRUE(from_encrypted.ok()) << from_encrypted.error().ToString();
  EXPECT_TRUE(from_encrypted->SameKey(*expected));
}

std::string KeygenCaseName(const ::testing::TestParamInfo<KeygenCase>& param_info) {
  return param_info.param.type +
         (param_info.param.bits ? std::to_string(param_info.param.bits) : "");
}

INSTANTIATE_TEST_SUITE_P(EveryTypeAndSize, SshKeygenOracleTest,
                         ::testing::Values(KeygenCase{"rsa", 2048}, KeygenCase{"rsa", 3072},
                                           KeygenCase{"rsa", 4096}, KeygenCase{"ed25519", 0},
                                           KeygenCase{"ecdsa", 256}, KeygenCase{"ecdsa", 384},
                                           KeygenCase{"ecdsa", 521}),
                         KeygenCaseName);

// ssh-keygen cannot make security-key (sk-*) keys without a FIDO token, so the sk public keys are
// assembled from ssh-keygen's own ed25519/P-256 points and ssh-keygen fingerprints them.
TEST(SshKeygenOracleSecurityKeyTest, SkTypesMatchSshKeygen) {
  testing::TempDir dir;
  struct Source {
    std::string keygen_type;
    std::string sk_type;
  };
  for (const Source& source : {Source{"ed25519", "sk-ssh-ed25519@openssh.com"},
                               Source{"ecdsa", "sk-ecdsa-sha2-nistp256@openssh.com"}}) {
    const std::string path = dir.Join("plain-" + source.keygen_type);
    ASSERT_EQ(
        RunProgram({"ssh-keygen", "-q", "-t", source.keygen_type, "-N", "", "-f", path}).exit_code,
        0);
    auto plain = ParseSinglePublicKey(testing::ReadTestFile(path + ".pub"));
    ASSERT_TRUE(plain.ok());
    WireReader reader(plain->blob);
    reader.ReadString();
    WireWriter sk;
    sk.WriteString(source.sk_type);
    if (source.keygen_type == "ecdsa") sk.WriteString(*reader.ReadString());  // curve
    sk.WriteString(*reader.ReadString());                                     // point
    sk.WriteString("ssh:");
    const std::string line = source.sk_type + " " + Base64Encode(sk.data()) + " token@desk\n";
    testing::WriteTestFile(path + "-sk.pub", line);
    auto key = ParseSinglePublicKey(line);
    ASSERT_TRUE(key.ok()) << key.error().ToString();
    EXPECT_EQ(FingerprintLine(*key), SshKeygenFingerprint(path + "-sk.pub"));
    EXPECT_EQ(FingerprintLine(*key, FingerprintHash::kMd5),
              SshKeygenFingerprint(path + "-sk.pub", "md5"));
  }
}

TEST(SshKeygenOracleRefusalTest, WeakRsaAndDsaFromSshKeygenAreRefused) {
  testing::TempDir dir;
  ASSERT_EQ(RunProgram({"ssh-keygen", "-q", "-t", "rsa", "-b", "1024", "-N", "", "-f",
                        dir.Join("rsa1024")})
                .exit_code,
            0);
  EXPECT_EQ(ParseSinglePublicKey(testing::ReadTestFile(dir.Join("rsa1024.pub"))).error().reason,
            reason::kRsaKeyTooShort);
  auto dsa = RunProgram({"ssh-keygen", "-q", "-t", "dsa", "-N", "", "-f", dir.Join("dsa")});
  ASSERT_EQ(dsa.exit_code, 0) << "this ssh-keygen can no longer make DSA keys: " << dsa.err;
  EXPECT_EQ(ParseSinglePublicKey(testing::ReadTestFile(dir.Join("dsa.pub"))).error().reason,
            reason::kDsaNotAllowed);
}

TEST(SshKeygenOracleFileTest, WholeAuthorizedKeysFileMatchesLineByLine) {
  testing::TempDir dir;
  std::string authorized_keys = "# managed by the oracle test\n\n";
  const std::vector<std::pair<std::string, std::string>> kinds = {
      {"rsa", "2048"}, {"ed25519", ""}, {"ecdsa", "384"}, {"rsa", "3072"}, {"ecdsa", "521"}};
  int i = 0;
  for (const auto& [type, bits] : kinds) {
    const std::string path = dir.Join("k" + std::to_string(i));
    std::vector<std::string> argv = {"ssh-keygen", "-q", "-t", type,
                                     "-N",         "",   "-C", "user" + std::to_string(i) + "@host",
                                     "-f",         path};
    if (!bits.empty()) argv.insert(argv.end(), {"-b", bits});
    ASSERT_EQ(RunProgram(argv).exit_code, 0);
    const std::string prefix = i % 2 ? "no-pty,from=\"10.0.0.0/8\" " : "";
    authorized_keys += prefix + testing::ReadTestFile(path + ".pub");
    ++i;
  }
  testing::WriteTestFile(dir.Join("authorized_keys"), authorized_keys);
  auto entries = ParsePublicKeys(authorized_keys);
  ASSERT_TRUE(entries.ok());
  std::string ours;
  for (const auto& entry : *entries) {
    ASSERT_TRUE(entry.key.ok()) << entry.key.error().ToString();
    ours += FingerprintLine(*entry.key) + "\n";
  }
  EXPECT_EQ(ours, RunProgram({"ssh-keygen", "-l", "-f", dir.Join("authorized_keys")}).out);
}

// The other direction: what Gangplank generates, ssh-keygen reads and can sign with.
class GeneratedKeyOracleTest : public ::testing::TestWithParam<GenerateOptions> {};

TEST_P(GeneratedKeyOracleTest, SshKeygenReproducesThePublicHalfAndSignsWithIt) {
  testing::TempDir dir;
  auto pair = GenerateKeyPair(GetParam());
  ASSERT_TRUE(pair.ok()) << pair.error().ToString();
  const std::string path = dir.Join("id");
  ASSERT_TRUE(WriteKeyPair(*pair, {path, path + ".pub"}).ok());

  auto derived = RunProgram({"ssh-keygen", "-y", "-f", path});
  ASSERT_EQ(derived.exit_code, 0) << derived.err;
  auto reparsed = ParseSinglePublicKey(derived.out);
  ASSERT_TRUE(reparsed.ok()) << derived.out;
  EXPECT_TRUE(reparsed->SameKey(pair->public_key));
  EXPECT_EQ(Trimmed(derived.out), pair->public_key.ToPublicKeyLine());  // comment included
  EXPECT_EQ(SshKeygenFingerprint(path), FingerprintLine(pair->public_key));

  // A signature made with the private key verifies against the public key.
  testing::WriteTestFile(dir.Join("message"), "gangplank oracle message\n");
  auto signed_message =
      RunProgram({"ssh-keygen", "-Y", "sign", "-f", path, "-n", "file", dir.Join("message")});
  ASSERT_EQ(signed_message.exit_code, 0) << signed_message.err;
  testing::WriteTestFile(dir.Join("allowed_signers"),
                         "oracle@test " + pair->public_key.ToPublicKeyLine() + "\n");
  auto verified = RunProgram({"ssh-keygen", "-Y", "verify", "-f", dir.Join("allowed_signers"), "-I",
                              "oracle@test", "-n", "file", "-s", dir.Join("message.sig")},
                             testing::RunOptions::WithStdin("gangplank oracle message\n"));
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  auto tampered = RunProgram({"ssh-keygen", "-Y", "verify", "-f", dir.Join("allowed_signers"), "-I",
                              "oracle@test", "-n", "file", "-s", dir.Join("message.sig")},
                             testing::RunOptions::WithStdin("tampered message\n"));
  EXPECT_NE(tampered.exit_code, 0);
}

std::string GenerateCaseName(const ::testing::TestParamInfo<GenerateOptions>& param_info) {
  const int bits = param_info.param.bits;
  return std::string(KeyKindName(param_info.param.kind)) + (bits ? std::to_string(bits) : "");
}

INSTANTIATE_TEST_SUITE_P(
    EveryKind, GeneratedKeyOracleTest,
    ::testing::Values(GenerateOptions{KeyKind::kRsa, 2048, "rsa@gangplank"},
                      GenerateOptions{KeyKind::kRsa, 3072, "rsa3072@gangplank"},
                      GenerateOptions{KeyKind::kEd25519, 0, "ed@gangplank"},
                      GenerateOptions{KeyKind::kEcdsa, 256, "ec256@gangplank"},
                      GenerateOptions{KeyKind::kEcdsa, 384, "ec384@gangplank"},
                      GenerateOptions{KeyKind::kEcdsa, 521, "ec521@gangplank"}),
    GenerateCaseName);

}  // namespace
}  // namespace gangplank::sshkey
