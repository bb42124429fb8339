// The SSH user CA keyring: generation 1 from a data dir made before rotation, keys shared by
// replicas through the store (sealed), rotation steps racing between replicas, and keys that are
// damaged or missing named as such.
#include "auth/ssh_user_ca.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "common/base64.h"
#include "common/random.h"
#include "mocks/fake_clock.h"
#include "sshkey/generate.h"
#include "store/sqlite_store.h"
#include "support/temp_dir.h"

namespace gangplank::auth {
namespace {

class SshCaKeyringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(store::SqliteStore::Open(dir_.Join("db")).value());
    testing::WriteTestFile(dir_.Join("store.key"), Base64Encode(RandomBytes(32)) + "\n", 0600);
  }

  std::unique_ptr<SshCaKeyring> Replica(const testing::TempDir& data_dir) {
    auto secrets = SharedSecrets::Open(*store_, dir_.Join("store.key"));
    EXPECT_TRUE(secrets.ok());
    auto keyring = SshCaKeyring::Open(*store_, data_dir.path(), std::move(*secrets), clock_);
    EXPECT_TRUE(keyring.ok()) << keyring.error().ToString();
    return keyring.ok() ? std::move(*keyring) : nullptr;
  }

  // The generation whose key signed a certificate made now by `keyring`.
  static int SignedBy(SshCaKeyring& keyring) {
    sshkey::UserCertificate certificate;
    certificate.subject_blob =
        sshkey::GenerateKeyPair({sshkey::KeyKind::kEd25519, 0, "x"})->public_key.blob;
    certificate.principals = {"someone"};
    certificate.valid_before = 4102444800;
    int generation = 0;
    auto blob = keyring.Sign(certificate, &generation);
    EXPECT_TRUE(blob.ok()) << blob.error().ToString();
    const auto set = keyring.Current();
    const std::string line = (*set)->Find(generation)->public_key;
    const auto ca_blob = Base64DecodeStrict(line.substr(12, line.find(' ', 12) - 12));
    EXPECT_TRUE(blob.ok() && ca_blob && blob->find(*ca_blob) != std::string::npos);
    return generation;
  }

  std::size_t SealedCaKeys() {
    std::size_t count = 0;
    const auto rows = store_->ListKind(kSecretKind);
    EXPECT_TRUE(rows.ok());
    for (const auto& row : *rows) {
      EXPECT_EQ(row.body.find("PRIVATE KEY"), std::string::npos) << row.id;
      count += row.id.find("ssh-user-ca") != std::string::npos ? 1 : 0;
    }
    return count;
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<store::SqliteStore> store_;
};

TEST_F(SshCaKeyringTest, ReplicasShareEveryGenerationAndForgetTheDroppedOnes) {
  testing::TempDir first_dir, second_dir;
  auto first = Replica(first_dir);
  auto second = Replica(second_dir);
  ASSERT_TRUE(first && second);
  const auto ca1 = first->Current().value();
  EXPECT_EQ(second->Current().value()->Signing().public_key, ca1->Signing().public_key);
  const std::string ca1_file = ca1->Signing().KeyFile();
  EXPECT_EQ(testing::FileMode(second_dir.Join(ca1_file)), 0600u);
  EXPECT_EQ(testing::ReadTestFile(first_dir.Join(ca1_file)),
            testing::ReadTestFile(second_dir.Join(ca1_file)));
  EXPECT_EQ(SealedCaKeys(), 1u);

  // One replica adds, the other switches (with the key it fetches from the store) and signs.
  ASSERT_TRUE(first->AddNext().ok());
  ASSERT_TRUE(second->Switch().ok());
  EXPECT_EQ(SignedBy(*second), 2);
  EXPECT_EQ(SignedBy(*first), 2);
  const std::string ca2_file = second->Current().value()->Signing().KeyFile();
  EXPECT_EQ(testing::FileMode(second_dir.Join(ca2_file)), 0600u);
  EXPECT_EQ(SealedCaKeys(), 2u);

  // Dropped on one replica: the store's copy goes, and the other deletes its own once it looks.
  ASSERT_TRUE(first->Drop(1).ok());
  EXPECT_FALSE(std::filesystem::exists(first_dir.Join(ca1_file)));
  EXPECT_TRUE(std::filesystem::exists(second_dir.Join(ca1_file)));
  ASSERT_TRUE(second->Current().ok());
  EXPECT_FALSE(std::filesystem::exists(second_dir.Join(ca1_file)));
  EXPECT_FALSE(std::filesystem::exists(second_dir.Join(ca1_file + ".pub")));
  EXPECT_EQ(SealedCaKeys(), 1u);

  // A third replica joins later: it has every key at once.
  testing::TempDir third_dir;
  auto third = Replica(third_dir);
  ASSERT_TRUE(third);
  EXPECT_EQ(SignedBy(*third), 2);
}

// Two replicas add a next CA at the same moment, many times: one wins, the other is told why,
// and nothing of the loser's key stays behind.
TEST_F(SshCaKeyringTest, TwoReplicasAddingAtOnceMakeOneNextCa) {
  testing::TempDir first_dir, second_dir;
  auto first = Replica(first_dir);
  auto second = Replica(second_dir);
  ASSERT_TRUE(first && second);
  for (int round = 0; round < 20; ++round) {
    Result<resources::SshUserCaSet> a = Error{}, b = Error{};
    std::thread racer([&] { a = first->AddNext(); });
    b = second->AddNext();
    racer.join();
    ASSERT_NE(a.ok(), b.ok()) << "round " << round;
    const Error& lost = a.ok() ? b.error() : a.error();
    EXPECT_TRUE(lost.reason == "SshCaChanged" || lost.reason == "NextCaExists") << lost.reason;
    const auto set = first->Current().value();
    ASSERT_EQ(set->generations.size(), 2u);
    EXPECT_EQ(SealedCaKeys(), 2u) << "round " << round;
    ASSERT_TRUE(second->Drop(set->generations.back().generation).ok());
    ASSERT_TRUE(first->Current().ok() && second->Current().ok());
    std::size_t files = 0;
    for (const auto* dir : {&first_dir, &second_dir}) {
      for (const auto& entry : std::filesystem::directory_iterator(dir->path() / "auth"))
        files += entry.path().extension() == ".key" ? 1 : 0;
    }
    EXPECT_EQ(files, 2u) << "round " << round;  // generation 1, once per replica
  }
}

TEST_F(SshCaKeyringTest, ACaMadeBeforeRotationBecomesGenerationOne) {
  testing::TempDir data_dir;
  auto made = SshUserCa::Generate("gangplank-user-ca");
  ASSERT_TRUE(made.ok());
  std::filesystem::create_directories(data_dir.path() / "auth");
  testing::WriteTestFile(data_dir.Join("auth/ssh-user-ca.key"),
                         std::string(made->second.begin(), made->second.end()), 0600);
  auto keyring = SshCaKeyring::Open(*store_, data_dir.path(), std::nullopt, clock_);
  ASSERT_TRUE(keyring.ok()) << keyring.error().ToString();
  const auto set = (*keyring)->Current().value();
  EXPECT_EQ(set->Signing().generation, 1);
  EXPECT_EQ(set->Signing().public_key, made->first->public_key_line());
  EXPECT_EQ(testing::ReadTestFile(data_dir.Join("auth/ssh-user-ca.key.pub")),
            made->first->public_key_line() + "\n");
}

TEST_F(SshCaKeyringTest, ADamagedOrMissingKeyIsNamedAndNothingIsSignedWithAnother) {
  testing::TempDir data_dir;
  const std::string file = [&] {
    auto keyring = SshCaKeyring::Open(*store_, data_dir.path(), std::nullopt, clock_);
    return (*keyring)->Current().value()->Signing().KeyFile();
  }();
  // Another Ed25519 key in its place: not the CA nodes trust.
  auto other = SshUserCa::Generate("x");
  testing::WriteTestFile(data_dir.Join(file),
                         std::string(other->second.begin(), other->second.end()), 0600);
  auto mismatch = SshCaKeyring::Open(*store_, data_dir.path(), std::nullopt, clock_);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.error().reason, "SshCaKeyMismatch");
  testing::WriteTestFile(data_dir.Join(file), "not a key", 0600);
  auto corrupt = SshCaKeyring::Open(*store_, data_dir.path(), std::nullopt, clock_);
  ASSERT_FALSE(corrupt.ok());
  EXPECT_EQ(corrupt.error().reason, "CorruptSshCa");
  EXPECT_EQ(corrupt.error().message.find("not a key"), std::string::npos);  // never echoed
  std::filesystem::remove(data_dir.Join(file));
  auto missing = SshCaKeyring::Open(*store_, data_dir.path(), std::nullopt, clock_);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().reason, "SshCaKeyMissing");
  EXPECT_NE(missing.error().message.find("gangplank ssh-ca add"), std::string::npos);
}

}  // namespace
}  // namespace gangplank::auth
