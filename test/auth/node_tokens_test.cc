// Node tokens: the MAC is HMAC-SHA256 under the key file (tokens issued by earlier builds keep
// verifying), any changed byte is refused, expiry holds, and verification is safe across threads.
#include "auth/node_tokens.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <atomic>
#include <thread>
#include <vector>

#include "common/base64.h"
#include "mocks/fake_clock.h"
#include "support/temp_dir.h"

namespace gangplank::auth {
namespace {

// HMAC-SHA256 by OpenSSL's one-shot call, as node tokens were made before the keyed context.
std::string OneShotHmac(const std::string& key, const std::string& message) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &length);
  return std::string(reinterpret_cast<const char*>(mac), length);
}

TEST(NodeTokensTest, TheMacIsHmacSha256UnderTheKeyFileSoOlderTokensStillVerify) {
  testing::TempDir dir;
  testing::FakeClock clock;
  auto tokens = NodeTokens::Open(dir.path(), "node-token.key", &clock);
  ASSERT_TRUE(tokens.ok()) << tokens.error().ToString();
  const std::string key = testing::ReadTestFile(dir.Join("auth/node-token.key"));
  const std::string token = tokens->Issue({"/subscriptions/s/machines/m0", "uid-0", 0});

  const std::size_t last_dot = token.rfind('.');
  const std::string signed_part = token.substr(0, last_dot);
  std::vector<std::string> parts;
  for (std::size_t at = 0; at <= signed_part.size();) {
    const std::size_t dot = std::min(signed_part.find('.', at), signed_part.size());
    parts.push_back(signed_part.substr(at, dot - at));
    at = dot + 1;
  }
  ASSERT_EQ(parts.size(), 3u) << token;
  const std::string message =
      *Base64UrlDecode(parts[0]) + "\n" + *Base64UrlDecode(parts[1]) + "\n" + parts[2];
  EXPECT_EQ(*Base64UrlDecode(token.substr(last_dot + 1)), OneShotHmac(key, message));

  // A token made the old way, for another machine, verifies.
  const std::string older = signed_part.substr(0, signed_part.find('.')) + "." +
                            Base64UrlEncode("uid-1") + "." + parts[2];
  const std::string older_message = *Base64UrlDecode(parts[0]) + "\nuid-1\n" + parts[2];
  auto verified = tokens->Verify(older + "." + Base64UrlEncode(OneShotHmac(key, older_message)));
  ASSERT_TRUE(verified.ok()) << verified.error().ToString();
  EXPECT_EQ(verified->uid, "uid-1");
}

TEST(NodeTokensTest, AnyChangedByteOrAnExpiredTokenIsRefused) {
  testing::TempDir dir;
  testing::FakeClock clock;
  auto tokens = NodeTokens::Open(dir.path(), "node-token.key", &clock);
  ASSERT_TRUE(tokens.ok());
  const std::string token = tokens->Issue({"/subscriptions/s/machines/m0", "uid-0", 0});
  ASSERT_TRUE(tokens->Verify(token).ok());
  for (std::size_t at = 0; at < token.size(); ++at) {
    std::string changed = token;
    changed[at] = changed[at] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(tokens->Verify(changed).ok()) << "byte " << at << " changed: " << changed;
  }
  // Another data dir's key signs tokens this one refuses.
  testing::TempDir other_dir;
  auto other = NodeTokens::Open(other_dir.path(), "node-token.key", &clock);
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(tokens->Verify(other->Issue({"/subscriptions/s/machines/m0", "uid-0", 0})).ok());

  clock.Advance(kNodeTokenLifetime + std::chrono::seconds(1));
  auto expired = tokens->Verify(token);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().reason, "NodeTokenExpired");
}

TEST(NodeTokensTest, ManyThreadsVerifyAndIssueAtOnce) {
  testing::TempDir dir;
  testing::FakeClock clock;
  auto tokens = NodeTokens::Open(dir.path(), "node-token.key", &clock);
  ASSERT_TRUE(tokens.ok());
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        const std::string uid = "uid-" + std::to_string(t) + "-" + std::to_string(i);
        auto verified = tokens->Verify(tokens->Issue({"/machines/m", uid, 0}));
        if (!verified || verified->uid != uid) ++wrong;
        if (tokens->Verify(tokens->Issue({"/machines/m", uid, 0}) + "x").ok()) ++wrong;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace gangplank::auth
