// The parser: every accepted form and every refusal, each with its own reason.
#include "sshkey/parse.h"

#include <gtest/gtest.h>

#include "common/base64.h"
#include "sshkey/fingerprint.h"
#include "sshkey/fixtures.h"
#include "sshkey/key_errors.h"

namespace gangplank::sshkey {
namespace {

using testing::Blob;

std::string Line(std::string_view type, std::string_view blob, std::string_view comment = "c") {
  return std::string(type) + " " + Base64Encode(blob) + " " + std::string(comment);
}

// The base64 blob of a fixture line.
std::string BlobOf(std::string_view line) {
  const auto first = line.find(' ');
  const auto second = line.find(' ', first + 1);
  return Base64DecodeStrict(line.substr(first + 1, second - first - 1)).value();
}

std::string ReasonOf(std::string_view text, const ParsePolicy& policy = {}) {
  auto key = ParseSinglePublicKey(text, policy);
  return key.ok() ? "accepted" : key.error().reason;
}

// An odd number with exactly `bits` bits, as big-endian bytes.
std::string OddModulus(int bits) {
  std::string n(static_cast<std::size_t>((bits + 7) / 8), '\x5a');
  const int top_bits = bits % 8 == 0 ? 8 : bits % 8;
  n[0] = static_cast<char>(1u << (top_bits - 1));
  n.back() = static_cast<char>(n.back() | 1);
  return n;
}

std::string RsaBlob(int bits, std::string_view exponent = std::string_view("\x01\x00\x01", 3)) {
  WireWriter w;
  w.WriteString("ssh-rsa");
  w.WriteMpint(exponent);
  w.WriteMpint(OddModulus(bits));
  return w.data();
}

TEST(ParseTest, Ed25519LineMatchesSshKeygen) {
  auto key = ParseAuthorizedKeysLine(testing::kEd25519Line);
  ASSERT_TRUE(key.ok()) << key.error().ToString();
  EXPECT_EQ(key->type(), "ssh-ed25519");
  EXPECT_EQ(key->bits, 256);
  EXPECT_EQ(key->comment, "fixture-ed25519");
  EXPECT_EQ(Fingerprint(*key), testing::kEd25519Sha256);
  EXPECT_EQ(Fingerprint(*key, FingerprintHash::kMd5), testing::kEd25519Md5);
  EXPECT_EQ(FingerprintLine(*key),
            "256 " + std::string(testing::kEd25519Sha256) + " fixture-ed25519 (ED25519)");
  EXPECT_EQ(key->ToPublicKeyLine(), testing::kEd25519Line);
}

TEST(ParseTest, RsaAndEcdsaBitsAndFingerprints) {
  auto rsa = ParseAuthorizedKeysLine(testing::kRsa2048Line);
  ASSERT_TRUE(rsa.ok());
  EXPECT_EQ(rsa->bits, 2048);
  EXPECT_EQ(Fingerprint(*rsa), testing::kRsa2048Sha256);
  EXPECT_EQ(Fingerprint(*rsa, FingerprintHash::kMd5), testing::kRsa2048Md5);
  auto p256 = ParseAuthorizedKeysLine(testing::kEcdsa256Line);
  ASSERT_TRUE(p256.ok());
  EXPECT_EQ(p256->bits, 256);
  EXPECT_EQ(Fingerprint(*p256), testing::kEcdsa256Sha256);
  auto p384 = ParseAuthorizedKeysLine(testing::kEcdsa384Line);
  ASSERT_TRUE(p384.ok());
  EXPECT_EQ(p384->bits, 384);
  EXPECT_EQ(Fingerprint(*p384), testing::kEcdsa384Sha256);
  EXPECT_EQ(FingerprintLine(*p384).substr(FingerprintLine(*p384).size() - 7), "(ECDSA)");
}

TEST(ParseTest, NoCommentPrintsAsSshKeygenDoes) {
  const std::string line(testing::kEd25519Line.substr(0, testing::kEd25519Line.rfind(' ')));
  auto key = ParseAuthorizedKeysLine(line);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->comment, "");
  EXPECT_EQ(FingerprintLine(*key),
            "256 " + std::string(testing::kEd25519Sha256) + " no comment (ED25519)");
}

TEST(ParseTest, OptionsAreParsedKeptAndRendered) {
  const std::string line =
      "no-pty,from=\"10.0.0.0/8,192.168.1.1\",command=\"echo \\\"hi there\\\"\" " +
      std::string(testing::kEd25519Line);
  auto key = ParseAuthorizedKeysLine(line);
  ASSERT_TRUE(key.ok()) << key.error().ToString();
  ASSERT_EQ(key->options.size(), 3u);
  EXPECT_EQ(key->options[0], (KeyOption{"no-pty", std::nullopt}));
  EXPECT_EQ(key->options[1], (KeyOption{"from", "10.0.0.0/8,192.168.1.1"}));
  EXPECT_EQ(key->options[2], (KeyOption{"command", "echo \"hi there\""}));
  EXPECT_EQ(key->ToAuthorizedKeysLine(), line);
  EXPECT_EQ(Fingerprint(*key), testing::kEd25519Sha256);
}

TEST(ParseTest, BadOptionsAreRefused) {
  const std::string key(testing::kEd25519Line);
  EXPECT_EQ(ReasonOf("no-such-option " + key), reason::kInvalidKeyOptions);
  EXPECT_EQ(ReasonOf("from=10.0.0.1 " + key), reason::kInvalidKeyOptions);
  EXPECT_EQ(ReasonOf("from=\"10.0.0.1 " + key), reason::kInvalidKeyOptions);
  EXPECT_EQ(ReasonOf("no-pty=\"x\" " + key), reason::kInvalidKeyOptions);
  EXPECT_EQ(ReasonOf("command " + key), reason::kInvalidKeyOptions);
  EXPECT_EQ(ReasonOf("expiry-time=\"tomorrow\" " + key), reason::kInvalidKeyOptions);
  EXPECT_EQ(ReasonOf("environment=\"NOEQUALS\" " + key), reason::kInvalidKeyOptions);
  EXPECT_EQ(ReasonOf("permitopen=\"host\" " + key), reason::kInvalidKeyOptions);
  EXPECT_EQ(ReasonOf("tunnel=\"x\" " + key), reason::kInvalidKeyOptions);
  EXPECT_EQ(ReasonOf("from=\"\" " + key), reason::kInvalidKeyOptions);
}

TEST(ParseTest, EveryOptionSshdKnowsIsAccepted) {
  const std::string key(testing::kEd25519Line);
  for (const char* options :
       {"restrict,pty,no-pty,agent-forwarding,no-agent-forwarding,port-forwarding",
        "no-port-forwarding,user-rc,no-user-rc,X11-forwarding,no-x11-forwarding,cert-authority",
        "touch-required,no-touch-required,verify-required,no-verify-required",
        "command=\"uptime\",principals=\"ops\",from=\"10.0.0.0/8,!10.1.0.0/16\"",
        "expiry-time=\"20301231\",expiry-time=\"203012312359Z\",environment=\"TZ=UTC\"",
        "permitopen=\"localhost:8080\",permitopen=\"[::1]:*\",permitlisten=\"8080\"",
        "permitlisten=\"localhost:*\",tunnel=\"0\",tunnel=\"any\""}) {
    EXPECT_EQ(ReasonOf(std::string(options) + " " + key), "accepted") << options;
  }
}

TEST(ParseTest, MissingPartsAfterOptionsAreNamed) {
  auto only_options = ParseAuthorizedKeysLine("no-pty,restrict");
  ASSERT_FALSE(only_options.ok());
  EXPECT_NE(only_options.error().message.find("missing after the options"), std::string::npos);
  auto no_type =
      ParseAuthorizedKeysLine("no-pty AAAAC3NzaC1lZDI1NTE5AAAAIH5W0nYfQs0aAUwDPHRIp0wTQ");
  ASSERT_FALSE(no_type.ok());
  EXPECT_NE(no_type.error().message.find("key type is missing"), std::string::npos);
  auto padded = ParseAuthorizedKeysLine("AAAAB3NzaC1yc2EAAAADAQABAAABAQDU= user@host");
  ASSERT_FALSE(padded.ok());
  EXPECT_NE(padded.error().message.find("key type is missing"), std::string::npos);
}

TEST(ParseTest, CrLfAndSurroundingWhitespace) {
  auto key = ParseSinglePublicKey("\n  " + std::string(testing::kEd25519Line) + "\r\n\n");
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->comment, "fixture-ed25519");
}

TEST(ParseTest, SecurityKeysCarryTheirApplication) {
  const std::string ed_point = BlobOf(testing::kEd25519Line).substr(4 + 11 + 4);
  auto sk_ed = ParseSinglePublicKey(
      Line("sk-ssh-ed25519@openssh.com", Blob({"sk-ssh-ed25519@openssh.com", ed_point, "ssh:"})));
  ASSERT_TRUE(sk_ed.ok()) << sk_ed.error().ToString();
  EXPECT_EQ(sk_ed->algorithm->label, "ED25519-SK");
  EXPECT_EQ(sk_ed->application, "ssh:");
  EXPECT_EQ(sk_ed->bits, 256);

  const std::string ec_blob = BlobOf(testing::kEcdsa256Line);
  WireReader reader(ec_blob);
  reader.ReadString();
  reader.ReadString();
  const std::string ec_point(*reader.ReadString());
  auto sk_ec = ParseSinglePublicKey(
      Line("sk-ecdsa-sha2-nistp256@openssh.com",
           Blob({"sk-ecdsa-sha2-nistp256@openssh.com", "nistp256", ec_point, "ssh:demo"})));
  ASSERT_TRUE(sk_ec.ok()) << sk_ec.error().ToString();
  EXPECT_EQ(sk_ec->algorithm->label, "ECDSA-SK");
  EXPECT_EQ(sk_ec->application, "ssh:demo");
  // A security key without its application string is truncated.
  EXPECT_EQ(
      ReasonOf(Line("sk-ssh-ed25519@openssh.com", Blob({"sk-ssh-ed25519@openssh.com", ed_point}))),
      reason::kTruncatedKey);
}

TEST(ParseRefusalTest, EmptyInput) {
  EXPECT_EQ(ReasonOf(""), reason::kEmptyInput);
  EXPECT_EQ(ReasonOf(" \n\t\n"), reason::kEmptyInput);
  EXPECT_EQ(ReasonOf("# only a comment\n"), reason::kEmptyInput);
}

TEST(ParseRefusalTest, DsaKeys) {
  WireWriter w;
  w.WriteString("ssh-dss");
  for (int i = 0; i < 4; ++i) w.WriteMpint(OddModulus(1024));
  EXPECT_EQ(ReasonOf(Line("ssh-dss", w.data())), reason::kDsaNotAllowed);
  // Also when only the blob says DSA.
  EXPECT_EQ(ParseKeyBlob(w.data(), "").error().reason, reason::kDsaNotAllowed);
}

TEST(ParseRefusalTest, RsaBelowThePolicyMinimum) {
  const std::string line = Line("ssh-rsa", RsaBlob(1024));
  auto refused = ParseSinglePublicKey(line);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().reason, reason::kRsaKeyTooShort);
  EXPECT_NE(refused.error().message.find("1024 bits"), std::string::npos);
  EXPECT_EQ(ReasonOf(Line("ssh-rsa", RsaBlob(2047))), reason::kRsaKeyTooShort);
  EXPECT_EQ(ReasonOf(Line("ssh-rsa", RsaBlob(2048))), "accepted");
  ParsePolicy lenient;
  lenient.min_rsa_bits = 1024;
  EXPECT_EQ(ReasonOf(line, lenient), "accepted");
  ParsePolicy strict;
  strict.min_rsa_bits = 3072;
  EXPECT_EQ(ReasonOf(testing::kRsa2048Line, strict), reason::kRsaKeyTooShort);
  EXPECT_EQ(ReasonOf(Line("ssh-rsa", RsaBlob(16385))), reason::kRsaKeyTooLong);
}

TEST(ParseRefusalTest, InvalidRsaNumbers) {
  EXPECT_EQ(ReasonOf(Line("ssh-rsa", RsaBlob(2048, std::string_view("\x01\x00\x00", 3)))),
            reason::kInvalidRsaKey);
  EXPECT_EQ(ReasonOf(Line("ssh-rsa", RsaBlob(2048, "\x01"))), reason::kInvalidRsaKey);
  WireWriter even;
  even.WriteString("ssh-rsa");
  even.WriteMpint(std::string_view("\x01\x00\x01", 3));
  std::string n = OddModulus(2048);
  n.back() = static_cast<char>(n.back() & ~1);
  even.WriteMpint(n);
  EXPECT_EQ(ReasonOf(Line("ssh-rsa", even.data())), reason::kInvalidRsaKey);
  // A negative mpint (high bit set without a sign byte) is malformed.
  EXPECT_EQ(ReasonOf(Line("ssh-rsa", Blob({"ssh-rsa", "\x81", OddModulus(2048)}))),
            reason::kTruncatedKey);
}

TEST(ParseRefusalTest, BadBase64) {
  EXPECT_EQ(ReasonOf("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH5W0nYf!s0a c"), reason::kInvalidBase64);
  EXPECT_EQ(ReasonOf("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH5W0nY c"), reason::kInvalidBase64);
  EXPECT_EQ(ReasonOf("ssh-ed25519 AAAA=AAA c"), reason::kInvalidBase64);
}

TEST(ParseRefusalTest, InnerTypeDiffersFromTextType) {
  const std::string ed_blob = BlobOf(testing::kEd25519Line);
  auto key = ParseSinglePublicKey(Line("ssh-rsa", ed_blob));
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().reason, reason::kKeyTypeMismatch);
  EXPECT_NE(key.error().message.find("ssh-ed25519"), std::string::npos);
  EXPECT_EQ(ReasonOf(Line("ecdsa-sha2-nistp384", BlobOf(testing::kEcdsa256Line))),
            reason::kKeyTypeMismatch);
}

TEST(ParseRefusalTest, TruncatedAndTrailingBytes) {
  const std::string ed_blob = BlobOf(testing::kEd25519Line);
  for (std::size_t cut : {std::size_t{1}, std::size_t{5}, ed_blob.size() - 20}) {
    EXPECT_EQ(ReasonOf(Line("ssh-ed25519", ed_blob.substr(0, cut))), reason::kTruncatedKey) << cut;
  }
  EXPECT_EQ(ReasonOf(Line("ssh-ed25519", ed_blob + "x")), reason::kTrailingBytes);
  EXPECT_EQ(
      ReasonOf(Line("ecdsa-sha2-nistp256", BlobOf(testing::kEcdsa256Line) + std::string(4, '\0'))),
      reason::kTrailingBytes);
  EXPECT_EQ(ReasonOf(Line("ssh-ed25519", Blob({"ssh-ed25519", std::string(31, 'a')}))),
            reason::kInvalidEd25519Key);
}

TEST(ParseRefusalTest, EcPointsNotOnTheCurve) {
  const std::string blob = BlobOf(testing::kEcdsa256Line);
  WireReader reader(blob);
  reader.ReadString();
  reader.ReadString();
  std::string point(*reader.ReadString());
  std::string off_curve = point;
  off_curve.back() = static_cast<char>(off_curve.back() ^ 1);
  EXPECT_EQ(
      ReasonOf(Line("ecdsa-sha2-nistp256", Blob({"ecdsa-sha2-nistp256", "nistp256", off_curve}))),
      reason::kInvalidEcPoint);
  // Compressed form, the point at infinity and a point of the wrong length.
  std::string compressed = point.substr(0, 33);
  compressed[0] = 0x02;
  EXPECT_EQ(
      ReasonOf(Line("ecdsa-sha2-nistp256", Blob({"ecdsa-sha2-nistp256", "nistp256", compressed}))),
      reason::kInvalidEcPoint);
  EXPECT_EQ(ReasonOf(Line("ecdsa-sha2-nistp256",
                          Blob({"ecdsa-sha2-nistp256", "nistp256", std::string(1, '\0')}))),
            reason::kInvalidEcPoint);
  EXPECT_EQ(ReasonOf(Line("ecdsa-sha2-nistp384", Blob({"ecdsa-sha2-nistp384", "nistp384", point}))),
            reason::kInvalidEcPoint);
  EXPECT_EQ(ReasonOf(Line("ecdsa-sha2-nistp256", Blob({"ecdsa-sha2-nistp256", "nistp384", point}))),
            reason::kCurveMismatch);
}

TEST(ParseRefusalTest, Certificates) {
  const std::string cert_type = "ssh-ed25519-cert-v01@openssh.com";
  auto key = ParseSinglePublicKey(Line(cert_type, Blob({cert_type, "nonce", "key"})));
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().reason, reason::kCertificateNotAllowed);
  EXPECT_EQ(ReasonOf(Line("ssh-rsa-cert-v01@openssh.com", Blob({"ssh-rsa-cert-v01@openssh.com"}))),
            reason::kCertificateNotAllowed);
}

TEST(ParseRefusalTest, UnknownTypesAndMissingParts) {
  EXPECT_EQ(ReasonOf(Line("ssh-foo", Blob({"ssh-foo"}))), reason::kUnsupportedKeyType);
  EXPECT_EQ(ReasonOf("ssh-ed25519"), reason::kMalformedKeyLine);
  EXPECT_EQ(ReasonOf("AAAAC3NzaC1lZDI1NTE5AAAAIH5W0nYfQs0aAUwDPHRIp0wTQDa9K4R/DHN4dkVwYMqW"),
            reason::kMalformedKeyLine);
  EXPECT_EQ(ReasonOf("hello world"), reason::kMalformedKeyLine);
}

TEST(ParseRefusalTest, PrivateKeysAreRefusedAndNeverEchoed) {
  const std::string secret_body = "SECRETb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ";
  const std::vector<std::string> inputs = {
      "-----BEGIN OPENSSH PRIVATE KEY-----\n" + secret_body +
          "\n-----END OPENSSH PRIVATE KEY-----\n",
      "-----BEGIN RSA PRIVATE KEY-----\nSECRETMIIEow\n-----END RSA PRIVATE KEY-----\n",
      "-----BEGIN EC PRIVATE KEY-----\nSECRETMHcCAQ\n-----END EC PRIVATE KEY-----\n",
      "-----BEGIN PRIVATE KEY-----\nSECRETMC4CAQ\n-----END PRIVATE KEY-----\n",
      "-----BEGIN ENCRYPTED PRIVATE KEY-----\nSECRETMIIFH\n-----END ENCRYPTED PRIVATE KEY-----\n",
      "-----BEGIN DSA PRIVATE KEY-----\nSECRETMIIBu\n-----END DSA PRIVATE KEY-----\n",
      "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: SECRET\nPublic-Lines: 2\n",
      "PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\nComment: SECRET\n",
      "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nSECRET\n---- END SSH2 ENCRYPTED PRIVATE KEY "
      "----\n",
      "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQSECRET",
      std::string(testing::kEd25519Line) + "\n-----BEGIN OPENSSH PRIVATE KEY-----\nSECRET\n",
  };
  for (const auto& input : inputs) {
    auto key = ParseSinglePublicKey(input);
    ASSERT_FALSE(key.ok()) << input;
    EXPECT_EQ(key.error().reason, reason::kPrivateKeyGiven) << input;
    EXPECT_EQ(key.error().message.find("SECRET"), std::string::npos);
    EXPECT_NE(key.error().message.find("private key"), std::string::npos);
  }
}

TEST(ParseFileTest, ReportsEveryLineWithItsNumber) {
  const std::string text = "# team keys\n\n" + std::string(testing::kEd25519Line) + "\n" +
                           "ssh-ed25519 AAAA!!!! broken\n" + "no-pty " +
                           std::string(testing::kRsa2048Line) + "\n   \n" +
                           std::string(testing::kEcdsa256Line) + "\n";
  auto entries = ParsePublicKeys(text);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 4u);
  EXPECT_EQ((*entries)[0].line, 3u);
  EXPECT_TRUE((*entries)[0].key.ok());
  EXPECT_EQ((*entries)[1].line, 4u);
  EXPECT_EQ((*entries)[1].key.error().reason, reason::kInvalidBase64);
  EXPECT_EQ((*entries)[2].line, 5u);
  EXPECT_EQ((*entries)[2].key->options.size(), 1u);
  EXPECT_EQ((*entries)[3].line, 7u);
  EXPECT_EQ(Fingerprint(*(*entries)[3].key), testing::kEcdsa256Sha256);
  EXPECT_EQ(ReasonOf(text), reason::kTooManyKeys);
}

TEST(ParseFileTest, Rfc4716BlockWithHeaders) {
  const std::string body = Base64Encode(BlobOf(testing::kEd25519Line));
  const std::string text =
      "---- BEGIN SSH2 PUBLIC KEY ----\n"
      "Comment: \"ops key \\\nfor prod\"\n"
      "x-command: something\n" +
      body.substr(0, 40) + "\n" + body.substr(40) + "\n" + "---- END SSH2 PUBLIC KEY ----\n";
  auto key = ParseSinglePublicKey(text);
  ASSERT_TRUE(key.ok()) << key.error().ToString();
  EXPECT_EQ(Fingerprint(*key), testing::kEd25519Sha256);
  EXPECT_EQ(key->comment, "ops key for prod");
  EXPECT_EQ(ReasonOf("---- BEGIN SSH2 PUBLIC KEY ----\n" + body + "\n"), reason::kInvalidRfc4716);
  EXPECT_EQ(ReasonOf("---- BEGIN SSH2 PUBLIC KEY ----\n@@@@\n---- END SSH2 PUBLIC KEY ----\n"),
            reason::kInvalidRfc4716);
}

TEST(ParseFileTest, BrokenPemIsRefused) {
  EXPECT_EQ(ReasonOf("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
            reason::kInvalidPemKey);
  EXPECT_EQ(ReasonOf("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n"), reason::kInvalidPemKey);
}

}  // namespace
}  // namespace gangplank::sshkey
