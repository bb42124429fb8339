// The shared identity of replicas: sealed in the store with the store key, copied into each
// replica's data dir; a second replica makes nothing of its own.
#include "auth/shared_secrets.h"

#include <gtest/gtest.h>

#include "auth/credentials.h"
#include "auth/local_tls.h"
#include "auth/node_tokens.h"
#include "common/base64.h"
#include "common/random.h"
#include "store/sqlite_store.h"
#include "support/temp_dir.h"

namespace gangplank::auth {
namespace {

class SharedSecretsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(store::SqliteStore::Open(dir_.Join("db")).value());
    testing::WriteTestFile(dir_.Join("store.key"), Base64Encode(RandomBytes(32)) + "\n", 0600);
  }

  // What a first start makes in a data dir (the token-signing key aside, written by hand here).
  static std::function<Status()> FirstStart(const std::string& data_dir) {
    return [data_dir]() -> Status {
      if (auto tls = EnsureLocalTls(data_dir); !tls) return tls.error();
      for (const char* key : {"node-token.key", "kube-token.key", "token-signing.key"}) {
        if (auto tokens = NodeTokens::Open(data_dir, key); !tokens) return tokens.error();
      }
      if (auto credentials = EnsureAdminCredentials(data_dir, "", ""); !credentials)
        return credentials.error();
      return OkStatus();
    };
  }

  testing::TempDir dir_;
  std::unique_ptr<store::SqliteStore> store_;
};

TEST_F(SharedSecretsTest, TwoReplicasEndUpWithOneIdentityAndTheStoreHoldsNoPlainText) {
  testing::TempDir first, second;
  auto secrets = SharedSecrets::Open(*store_, dir_.Join("store.key"));
  ASSERT_TRUE(secrets.ok()) << secrets.error().ToString();
  ASSERT_TRUE(secrets->Synchronize(first.path(), FirstStart(first.path())).ok());
  bool second_created = false;
  auto changed = secrets->Synchronize(second.path(), [&]() -> Status {
    second_created = true;
    return OkStatus();
  });
  ASSERT_TRUE(changed.ok()) << changed.error().ToString();
  EXPECT_FALSE(second_created) << "the second replica made an identity of its own";
  for (const std::string& file : SharedIdentityFiles()) {
    EXPECT_EQ(testing::ReadTestFile(first.Join(file)), testing::ReadTestFile(second.Join(file)))
        << file;
    EXPECT_EQ(testing::FileMode(second.Join(file)), 0600u) << file;
  }
  // Nothing of the keys is in the store in clear.
  const std::string ca_key = testing::ReadTestFile(first.Join("tls/ca.key"));
  const auto rows = store_->ListKind(kSecretKind);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->size(), SharedIdentityFiles().size());
  for (const auto& row : *rows) {
    EXPECT_EQ(row.body.find("PRIVATE KEY"), std::string::npos) << row.id;
    EXPECT_EQ(row.body.find(ca_key.substr(40, 30)), std::string::npos) << row.id;
  }
  // A replica that joins with the CA its own: the shared one replaces it, and says so.
  testing::TempDir third;
  ASSERT_TRUE(EnsureLocalTls(third.path()).ok());
  auto replaced = secrets->Synchronize(third.path(), FirstStart(third.path()));
  ASSERT_TRUE(replaced.ok());
  EXPECT_NE(std::find(replaced->begin(), replaced->end(), "tls/ca.crt"), replaced->end());
  EXPECT_EQ(testing::ReadTestFile(third.Join("tls/ca.crt")),
            testing::ReadTestFile(first.Join("tls/ca.crt")));
}

TEST_F(SharedSecretsTest, AnotherKeyOrAnotherRowDoesNotDecrypt) {
  auto secrets = SharedSecrets::Open(*store_, dir_.Join("store.key"));
  ASSERT_TRUE(secrets.ok());
  auto sealed = secrets->Seal("/gangplank/secrets/a", "the plain text");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->find("plain"), std::string::npos);
  auto opened = secrets->Unseal("/gangplank/secrets/a", *sealed);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(std::string(opened->begin(), opened->end()), "the plain text");
  EXPECT_EQ(secrets->Unseal("/gangplank/secrets/b", *sealed).error().reason, "StoreKeyMismatch");
  testing::WriteTestFile(dir_.Join("other.key"), Base64Encode(RandomBytes(32)), 0600);
  auto other = SharedSecrets::Open(*store_, dir_.Join("other.key"));
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->Unseal("/gangplank/secrets/a", *sealed).error().reason, "StoreKeyMismatch");
}

TEST_F(SharedSecretsTest, AKeyFileThatIsNotAKeyIsRefusedWithHowToMakeOne) {
  testing::WriteTestFile(dir_.Join("short.key"), "c2hvcnQ=\n", 0600);
  auto secrets = SharedSecrets::Open(*store_, dir_.Join("short.key"));
  ASSERT_FALSE(secrets.ok());
  EXPECT_NE(secrets.error().message.find("openssl rand -base64 32"), std::string::npos);
}

TEST_F(SharedSecretsTest, AKeyFileOthersCanReadIsRefusedWithHowToFixIt) {
  for (const mode_t mode : {0640, 0604, 0644, 0660}) {
    testing::WriteTestFile(dir_.Join("open.key"), Base64Encode(RandomBytes(32)) + "\n", mode);
    auto secrets = SharedSecrets::Open(*store_, dir_.Join("open.key"));
    ASSERT_FALSE(secrets.ok()) << std::oct << mode;
    EXPECT_EQ(secrets.error().reason, "StoreKeyTooOpen");
    EXPECT_NE(secrets.error().message.find("chmod 600 " + dir_.Join("open.key")), std::string::npos)
        << secrets.error().message;
  }
  testing::WriteTestFile(dir_.Join("private.key"), Base64Encode(RandomBytes(32)) + "\n", 0400);
  EXPECT_TRUE(SharedSecrets::Open(*store_, dir_.Join("private.key")).ok());
}

}  // namespace
}  // namespace gangplank::auth
