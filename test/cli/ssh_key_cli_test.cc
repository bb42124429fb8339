// The real `gangplank` binary: `ssh-key show` against ssh-keygen, and `ssh-key generate`.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace gangplank::cli {
namespace {

using testing::RunProgram;
using testing::RunResult;
namespace json = boost::json;

RunResult Gangplank(std::vector<std::string> args, testing::RunOptions options = {}) {
  args.insert(args.begin(), GANGPLANK_CLI_PATH);
  return RunProgram(args, options);
}

class SshKeyCliTest : public ::testing::Test {
 protected:
  std::string Keygen(const std::string& name, const std::string& type, const std::string& comment) {
    const std::string path = dir_.Join(name);
    EXPECT_EQ(
        RunProgram({"ssh-keygen", "-q", "-t", type, "-N", "", "-C", comment, "-f", path}).exit_code,
        0);
    return path;
  }
  testing::TempDir dir_;
};

TEST_F(SshKeyCliTest, ShowTableMatchesSshKeygenForAWholeFile) {
  std::string text;
  for (const auto& type : {"ed25519", "rsa", "ecdsa"}) {
    text += "restrict " +
            testing::ReadTestFile(
                Keygen(std::string("k-") + type, type, std::string(type) + " key") + ".pub");
  }
  testing::WriteTestFile(dir_.Join("authorized_keys"), text);
  for (const char* hash : {"sha256", "md5"}) {
    auto ours =
        Gangplank({"ssh-key", "show", dir_.Join("authorized_keys"), "-o", "table", "-E", hash});
    ASSERT_EQ(ours.exit_code, 0) << ours.err;
    EXPECT_EQ(ours.out,
              RunProgram({"ssh-keygen", "-l", "-E", hash, "-f", dir_.Join("authorized_keys")}).out);
  }
}

TEST_F(SshKeyCliTest, ShowJsonHasEveryField) {
  const std::string key = Keygen("k", "ed25519", "json@test");
  auto result = Gangplank({"ssh-key", "show", key + ".pub"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const json::value parsed = json::parse(result.out);
  ASSERT_EQ(parsed.as_array().size(), 1u);
  const json::object& entry = parsed.as_array()[0].as_object();
  EXPECT_EQ(entry.at("type"), "ssh-ed25519");
  EXPECT_EQ(entry.at("bits"), 256);
  EXPECT_EQ(entry.at("comment"), "json@test");
  EXPECT_TRUE(entry.at("options").as_array().empty());
  const std::string keygen = RunProgram({"ssh-keygen", "-l", "-f", key + ".pub"}).out;
  EXPECT_NE(keygen.find(std::string(entry.at("fingerprintSha256").as_string())), std::string::npos);
  const std::string keygen_md5 =
      RunProgram({"ssh-keygen", "-l", "-E", "md5", "-f", key + ".pub"}).out;
  EXPECT_NE(keygen_md5.find(std::string(entry.at("fingerprintMd5").as_string())),
            std::string::npos);
}

TEST_F(SshKeyCliTest, BadLinesAreReportedByNumberWhileGoodLinesStillPrint) {
  const std::string good = testing::ReadTestFile(Keygen("k", "ed25519", "good") + ".pub");
  testing::WriteTestFile(dir_.Join("mixed"),
                         good + "ssh-dss AAAAB3NzaC1kc3M= old\nnot a key\n" + good);
  auto result = Gangplank({"ssh-key", "show", dir_.Join("mixed"), "-o", "table"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(std::count(result.out.begin(), result.out.end(), '\n'), 2);
  EXPECT_NE(result.err.find("line 2: DSA"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("line 3: "), std::string::npos) << result.err;
}

TEST_F(SshKeyCliTest, PrivateKeyIsRefusedAndNeverEchoed) {
  const std::string key = Keygen("secret", "ed25519", "secret");
  const std::string private_text = testing::ReadTestFile(key);
  const std::string body = private_text.substr(private_text.find('\n') + 1, 60);
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"ssh-key", "show", key}, {"ssh-key", "show", private_text}, {"ssh-key", "show", "-"}}) {
    auto result = Gangplank(args, testing::RunOptions::WithStdin(private_text));
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("private key"), std::string::npos) << result.err;
    EXPECT_EQ(result.err.find(body), std::string::npos);
    EXPECT_EQ(result.out.find(body), std::string::npos);
  }
}

TEST_F(SshKeyCliTest, BarePrivateKeyBodiesAreNotEchoed) {
  const std::string key = Keygen("secret", "ed25519", "secret");
  const std::string private_text = testing::ReadTestFile(key);
  const std::string first_body_line = private_text.substr(private_text.find('\n') + 1, 70);
  auto result = Gangplank({"ssh-key", "show", first_body_line});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err.find(first_body_line.substr(20, 30)), std::string::npos) << result.err;
  auto pem_line = Gangplank({"ssh-key", "show", "MIIEowIBAAKCAQEAxX7jYdXhixIHLiwGp9dgsuUGsHdm7Ed"});
  EXPECT_EQ(pem_line.exit_code, 1);
  EXPECT_EQ(pem_line.err.find("MIIEowIBAAKCAQEA"), std::string::npos) << pem_line.err;
}

TEST_F(SshKeyCliTest, ControlCharactersInCommentsAreEscapedAsSshKeygenDoes) {
  const std::string pub = testing::ReadTestFile(Keygen("k", "ed25519", "x") + ".pub");
  const std::string key = pub.substr(0, pub.rfind(' '));
  testing::WriteTestFile(dir_.Join("hostile"), key + " evil\033[2Jx\001y\tz\177 back\\slash\n");
  auto ours = Gangplank({"ssh-key", "show", dir_.Join("hostile"), "-o", "table"});
  ASSERT_EQ(ours.exit_code, 0) << ours.err;
  EXPECT_EQ(ours.out.find('\033'), std::string::npos);
  EXPECT_EQ(ours.out, RunProgram({"ssh-keygen", "-l", "-f", dir_.Join("hostile")}).out);
  auto tsv = Gangplank({"ssh-key", "show", dir_.Join("hostile"), "-o", "tsv"});
  EXPECT_NE(tsv.out.find("evil\\033[2Jx\\001y\\tz\\177"), std::string::npos) << tsv.out;
}

TEST_F(SshKeyCliTest, ReadsStandardInputAndAllOutputFormats) {
  const std::string pub = testing::ReadTestFile(Keygen("k", "ecdsa", "stdin key") + ".pub");
  auto yaml =
      Gangplank({"ssh-key", "show", "-", "-o", "yaml"}, testing::RunOptions::WithStdin(pub));
  ASSERT_EQ(yaml.exit_code, 0) << yaml.err;
  EXPECT_NE(yaml.out.find("type: ecdsa-sha2-nistp256"), std::string::npos) << yaml.out;
  auto tsv = Gangplank({"ssh-key", "show", "-", "-o", "tsv"}, testing::RunOptions::WithStdin(pub));
  EXPECT_NE(tsv.out.find("ecdsa-sha2-nistp256\t256\tSHA256:"), std::string::npos) << tsv.out;
  auto empty = Gangplank({"ssh-key", "show", ""});
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_NE(empty.err.find("no key was given"), std::string::npos) << empty.err;
  auto missing = Gangplank({"ssh-key", "show", dir_.Join("nope")});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find(dir_.Join("nope")), std::string::npos);
}

TEST_F(SshKeyCliTest, GenerateWritesKeysSshKeygenAcceptsAndNeverOverwrites) {
  const std::string path = dir_.Join("ssh/id_test");
  auto result = Gangplank(
      {"ssh-key", "generate", "--type", "ed25519", "--file", path, "--comment", "cli@test"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const json::object out = json::parse(result.out).as_object();
  EXPECT_EQ(out.at("privateKeyFile").as_string(), path);
  EXPECT_EQ(out.at("publicKeyFile").as_string(), path + ".pub");
  EXPECT_EQ(testing::FileMode(path), 0600u);
  EXPECT_EQ(testing::FileMode(path + ".pub"), 0644u);
  EXPECT_EQ(testing::FileMode(dir_.Join("ssh")), 0700u);
  auto derived = RunProgram({"ssh-keygen", "-y", "-f", path});
  EXPECT_EQ(derived.out, testing::ReadTestFile(path + ".pub"));
  EXPECT_EQ(derived.out, std::string(out.at("publicKey").as_string()) + "\n");
  // Nothing secret on stdout or stderr.
  EXPECT_EQ(result.out.find("PRIVATE"), std::string::npos);
  EXPECT_EQ(result.err.find("PRIVATE"), std::string::npos);

  const std::string before = testing::ReadTestFile(path);
  auto again = Gangplank({"ssh-key", "generate", "--type", "ed25519", "--file", path});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("already exists"), std::string::npos);
  EXPECT_EQ(testing::ReadTestFile(path), before);
}

TEST_F(SshKeyCliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(Gangplank({"ssh-key", "frobnicate"}).exit_code, 2);
  EXPECT_EQ(Gangplank({"ssh-key", "show"}).exit_code, 2);
  EXPECT_EQ(Gangplank({"ssh-key", "show", "x", "-o", "xml"}).exit_code, 2);
  EXPECT_EQ(Gangplank({"ssh-key", "generate", "--type", "dsa"}).exit_code, 2);
  auto bad_bits = Gangplank({"ssh-key", "generate", "--bits", "1024", "--file", dir_.Join("weak")});
  EXPECT_EQ(bad_bits.exit_code, 1);
  EXPECT_NE(bad_bits.err.find("2048"), std::string::npos);
  EXPECT_EQ(Gangplank({"--help"}).exit_code, 0);
}

}  // namespace
}  // namespace gangplank::cli
