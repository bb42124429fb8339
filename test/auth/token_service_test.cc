// Tokens: round trip, tampering, expiry, foreign keys and audiences; the TLS material a first start
// makes.
#include "auth/token_service.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

#include <cstdio>

#include "auth/credentials.h"
#include "auth/local_tls.h"
#include "mocks/fake_clock.h"
#include "support/temp_dir.h"

namespace gangplank::auth {
namespace {

constexpr const char* kUrl = "https://127.0.0.1:8443/";

std::shared_ptr<TokenService> Open(const testing::TempDir& dir, const Clock& clock) {
  auto service = TokenService::Open(dir.path(), std::string(kUrl) + "adfs", {kUrl}, clock);
  EXPECT_TRUE(service.ok()) << service.error().ToString();
  return *service;
}

TEST(TokenServiceTest, IssuedTokensVerify) {
  testing::TempDir dir;
  testing::FakeClock clock;
  auto tokens = Open(dir, clock);
  auto token = tokens->Issue("client-1", kUrl);
  ASSERT_TRUE(token.ok());
  auto claims = tokens->Verify(*token);
  ASSERT_TRUE(claims.ok()) << claims.error().ToString();
  EXPECT_EQ(claims->client_id, "client-1");
  EXPECT_EQ(testing::FileMode(dir.Join("auth/token-signing.key")), 0600u);
  // A restarted server (same key file) accepts tokens it issued before.
  EXPECT_TRUE(Open(dir, clock)->Verify(*token).ok());
}

TEST(TokenServiceTest, TamperedExpiredForeignAndMalformedTokensAreRefused) {
  testing::TempDir dir, other_dir;
  testing::FakeClock clock;
  auto tokens = Open(dir, clock);
  const std::string token = *tokens->Issue("client-1", kUrl);

  std::string tampered = token;
  tampered[tampered.find('.') + 5] ^= 1;  // a claim changed after signing
  EXPECT_EQ(tokens->Verify(tampered).error().code, StatusCode::kUnauthenticated);
  std::string bad_signature = token;
  bad_signature.back() = bad_signature.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(tokens->Verify(bad_signature).ok());
  EXPECT_FALSE(Open(other_dir, clock)->Verify(token).ok());  // another server's key
  for (const char* junk : {"", "abc", "a.b.c", "a.b.c.d", "..."})
    EXPECT_FALSE(tokens->Verify(junk).ok());
  EXPECT_FALSE(tokens->Issue("client-1", "https://elsewhere/").ok());

  clock.Advance(std::chrono::hours(2));
  auto expired = tokens->Verify(token);
  ASSERT_FALSE(expired.ok());
  EXPECT_NE(expired.error().message.find("expired"), std::string::npos);
}

// A token signed with this server's key but for another audience (the same key behind another
// URL, an earlier --public-url) opens nothing here.
TEST(TokenServiceTest, ATokenForAnotherAudienceIsRefusedEvenWithOurSignature) {
  testing::TempDir dir;
  testing::FakeClock clock;
  auto elsewhere =
      TokenService::Open(dir.path(), std::string(kUrl) + "adfs", {"https://elsewhere/"}, clock);
  ASSERT_TRUE(elsewhere.ok());
  const auto token = (*elsewhere)->Issue("client-1", "https://elsewhere/");
  ASSERT_TRUE(token.ok());
  const auto here = Open(dir, clock)->Verify(*token);  // same key file, another audience
  ASSERT_FALSE(here.ok());
  EXPECT_NE(here.error().message.find("audience"), std::string::npos) << here.error().message;
}

TEST(TokenServiceTest, JwksPublishesTheKey) {
  testing::TempDir dir;
  testing::FakeClock clock;
  const auto jwks = Open(dir, clock)->Jwks();
  const auto& key = jwks.at("keys").as_array().at(0).as_object();
  EXPECT_EQ(key.at("kty"), "RSA");
  EXPECT_EQ(key.at("alg"), "RS256");
  EXPECT_GT(key.at("n").as_string().size(), 300u);  // 2048-bit modulus, base64url
}

TEST(LocalTlsTest, CreatesAVerifiableServerCertificateOnceWithPrivateKeys0600) {
  testing::TempDir dir;
  auto files = EnsureLocalTls(dir.path());
  ASSERT_TRUE(files.ok()) << files.error().ToString();
  EXPECT_EQ(testing::FileMode(files->server_key), 0600u);
  EXPECT_EQ(testing::FileMode(dir.Join("tls/ca.key")), 0600u);
  EXPECT_EQ(testing::FileMode(dir.Join("tls")), 0700u);
  const std::string before = testing::ReadTestFile(files->server_cert);
  ASSERT_TRUE(EnsureLocalTls(dir.path()).ok());
  EXPECT_EQ(testing::ReadTestFile(files->server_cert), before);

  FILE* ca_file = std::fopen(files->ca_cert.c_str(), "r");
  FILE* cert_file = std::fopen(files->server_cert.c_str(), "r");
  X509* ca = PEM_read_X509(ca_file, nullptr, nullptr, nullptr);
  X509* cert = PEM_read_X509(cert_file, nullptr, nullptr, nullptr);
  std::fclose(ca_file);
  std::fclose(cert_file);
  X509_STORE* trust = X509_STORE_new();
  X509_STORE_add_cert(trust, ca);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, trust, cert, nullptr);
  X509_VERIFY_PARAM_set1_ip_asc(X509_STORE_CTX_get0_param(ctx), "127.0.0.1");
  X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(ctx), X509_V_FLAG_X509_STRICT);
  EXPECT_EQ(X509_verify_cert(ctx), 1)
      << X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx));
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(trust);
  X509_free(ca);
  X509_free(cert);
}

TEST(CredentialsTest, CreatedOnceWithMode0600AndServerRefreshed) {
  testing::TempDir dir;
  auto first = EnsureAdminCredentials(dir.path(), "https://127.0.0.1:1/", "/ca.crt");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(testing::FileMode(dir.Join("credentials.json")), 0600u);
  EXPECT_EQ(first->client_id.size(), 36u);
  EXPECT_GE(first->client_secret.size(), 40u);
  auto second = EnsureAdminCredentials(dir.path(), "https://127.0.0.1:2/", "/ca.crt");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->client_secret, first->client_secret);
  EXPECT_EQ(second->subscription_id, first->subscription_id);
  EXPECT_NE(testing::ReadTestFile(dir.Join("credentials.json")).find("https://127.0.0.1:2/"),
            std::string::npos);
  testing::WriteTestFile(dir.Join("credentials.json"), "{broken", 0600);
  EXPECT_EQ(EnsureAdminCredentials(dir.path(), "x", "y").error().reason, "CorruptCredentials");
}

}  // namespace
}  // namespace gangplank::auth
