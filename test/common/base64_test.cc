// Strict base64: round trips and the inputs OpenSSL alone would let through.
#include "common/base64.h"

#include <gtest/gtest.h>

#include <set>

#include "common/random.h"

namespace gangplank {
namespace {

TEST(Base64Test, RoundTripsEveryLength) {
  std::string data;
  for (int i = 0; i < 64; ++i) {
    EXPECT_EQ(Base64DecodeStrict(Base64Encode(data)), data) << i;
    data.push_back(static_cast<char>(i * 37));
  }
  EXPECT_EQ(Base64Encode("ab"), "YWI=");
  EXPECT_EQ(Base64EncodeUnpadded("ab"), "YWI");
}

TEST(Base64Test, RefusesNonCanonicalInput) {
  for (const char* bad :
       {"YWI", "YW=I", "Y===", " YWI=", "YWI=\n", "YW!=", "YWJj\tZA==", "YWJ=", "YR=="}) {
    EXPECT_FALSE(Base64DecodeStrict(bad).has_value()) << bad;
  }
}

TEST(RandomTest, SecretsNeverStartLikeAnOptionAndDiffer) {
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    const std::string secret = NewSecret(32);
    ASSERT_EQ(secret.size(), 43u);
    EXPECT_NE(secret[0], '-') << secret;
    EXPECT_NE(secret[0], '_') << secret;
    seen.insert(secret);
  }
  EXPECT_EQ(seen.size(), 2000u);
  EXPECT_EQ(NewUuid().size(), 36u);
  EXPECT_EQ(NewUuid()[14], '4');
}

}  // namespace
}  // namespace gangplank
