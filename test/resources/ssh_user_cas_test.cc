// The SSH user CA set's plans: steps in order, each refused out of order with the step to take
// first, and what a node imaged under a given generation trusts.
#include "resources/ssh_user_cas.h"

#include <gtest/gtest.h>

namespace gangplank::resources {
namespace {

TEST(SshUserCasTest, RotationStepsInOrderAndWhatEachNodeTrusts) {
  const SshUserCaSet first = FirstCaSet("ssh-ed25519 AAAA1 ca", "", 100);
  EXPECT_EQ(first.Signing().generation, 1);
  EXPECT_EQ(first.TrustedGenerationsOf(1), std::vector<int>{1});
  EXPECT_EQ(SwitchedCa(first).error().reason, "NoNextCa");
  EXPECT_EQ(WithoutCa(first, 1).error().reason, "SigningCaCannotBeDropped");
  EXPECT_EQ(WithoutCa(first, 7).error().code, StatusCode::kNotFound);

  auto next = WithNextCa(first, "ssh-ed25519 AAAA2 ca-2", "0a1b", 200);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->generations.back().generation, 2);
  EXPECT_EQ(next->generations.back().KeyFile(), "auth/ssh-user-ca-2-0a1b.key");
  EXPECT_EQ(next->TrustedGenerationsOf(1), (std::vector<int>{1, 2}));
  EXPECT_EQ(WithNextCa(*next, "ssh-ed25519 AAAA3 x", "ff", 300).error().reason, "NextCaExists");

  auto switched = SwitchedCa(*next);
  ASSERT_TRUE(switched.ok());
  EXPECT_EQ(switched->Signing().generation, 2);
  EXPECT_EQ(switched->Find(1)->state, CaState::kRetired);
  EXPECT_EQ(switched->TrustedGenerationsOf(0), (std::vector<int>{1, 2}));  // from before rotation
  EXPECT_EQ(switched->TrustedGenerationsOf(1), (std::vector<int>{1, 2}));
  EXPECT_EQ(switched->TrustedGenerationsOf(2), std::vector<int>{2});  // reimaged past it

  // A dropped generation's number is never given again.
  auto dropped = WithoutCa(*switched, 1);
  ASSERT_TRUE(dropped.ok());
  auto again = WithNextCa(*dropped, "ssh-ed25519 AAAA3 ca-3", "cc", 400);
  ASSERT_TRUE(again.ok());
  auto without_next = WithoutCa(*again, 3);
  ASSERT_TRUE(without_next.ok());
  EXPECT_EQ(WithNextCa(*without_next, "ssh-ed25519 AAAA4 ca-4", "dd", 500)
                ->generations.back()
                .generation,
            4);
}

TEST(SshUserCasTest, TheRowRoundTripsAndADamagedOneIsSaidToBe) {
  SshUserCaSet set = *SwitchedCa(*WithNextCa(FirstCaSet("ssh-ed25519 AAAA1 ca", "", 1),
                                             "ssh-ed25519 AAAA2 ca-2", "0a", 2));
  store::Resource row = EncodeCaSet(set);
  row.version = 9;
  auto decoded = DecodeCaSet(row);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->version, 9);
  EXPECT_EQ(decoded->last_generation, 2);
  ASSERT_EQ(decoded->generations.size(), 2u);
  EXPECT_EQ(decoded->generations[1].public_key, "ssh-ed25519 AAAA2 ca-2");
  EXPECT_EQ(decoded->generations[1].key_id, "0a");
  EXPECT_EQ(decoded->generations[0].state, CaState::kRetired);
  for (const char* damaged :
       {"", "[]", R"({"generations": 1})", R"({"generations": [{"generation": 1}]})",
        R"({"generations": [{"generation": 1, "state": "Retired"}]})",
        R"({"generations": [{"generation": 1, "state": "Signing", "keyId": "../../x"}]})",
        R"({"generations": [{"generation": 1, "state": "Signing"},
                            {"generation": 2, "state": "Signing"}]})"}) {
    row.body = damaged;
    const auto refused = DecodeCaSet(row);
    ASSERT_FALSE(refused.ok()) << damaged;
    EXPECT_EQ(refused.error().reason, "CorruptRecord");
    EXPECT_NE(refused.error().message.find("/gangplank/sshUserCa"), std::string::npos);
  }
}

}  // namespace
}  // namespace gangplank::resources
