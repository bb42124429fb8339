// The directory's own rules: passwords kept as scrypt hashes, Entra's complexity rule, the
// lockout after repeated failures, client secrets that expire.
#include "access/directory.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace gangplank::access {
namespace {

TEST(PasswordTest, HashesAreSaltedAndOnlyTheirPasswordMatches) {
  const std::string hash = HashPassword("Correct-Horse-9");
  EXPECT_TRUE(hash.starts_with("scrypt$32768$8$1$"));
  EXPECT_EQ(hash.find("Correct-Horse-9"), std::string::npos);
  EXPECT_NE(HashPassword("Correct-Horse-9"), hash);  // a salt of its own each time
  EXPECT_TRUE(PasswordMatches(hash, "Correct-Horse-9"));
  EXPECT_FALSE(PasswordMatches(hash, "Correct-Horse-8"));
  EXPECT_FALSE(PasswordMatches(hash, ""));
  // A row whose parameters were changed (a huge N, to stall sign-ins) matches nothing.
  std::string tampered = hash;
  tampered.replace(7, 5, "99999");
  EXPECT_FALSE(PasswordMatches(tampered, "Correct-Horse-9"));
  EXPECT_FALSE(PasswordMatches("plain", "plain"));
}

TEST(PasswordTest, ComplexityAsEntraAsksIt) {
  for (const char* good : {"Correct-Horse-9", "abcDEF12", "abc-def-1"})
    EXPECT_TRUE(CheckPasswordComplexity(good).ok()) << good;
  for (const char* bad : {"short1A", "alllowercase", "ALLUPPER123", "12345678"}) {
    const Status checked = CheckPasswordComplexity(bad);
    ASSERT_FALSE(checked.ok()) << bad;
    EXPECT_EQ(checked.error().target, "passwordProfile.password");
  }
  EXPECT_FALSE(CheckPasswordComplexity(std::string(257, 'a') + "A1").ok());
}

TEST(SignInTest, FiveFailuresLockTheAccountForTheWindowAndARightPasswordClearsThem) {
  User user;
  long long now = 1'000'000'000;
  for (int i = 0; i < kMaxFailedSignIns - 1; ++i)
    EXPECT_EQ(DecideSignIn(user, false, now += 1000), SignIn::kWrongPassword);
  EXPECT_EQ(user.locked_until_ms, 0);
  EXPECT_EQ(DecideSignIn(user, false, now += 1000), SignIn::kWrongPassword);
  EXPECT_EQ(user.locked_until_ms, now + kLockoutWindowMs);
  // Locked: even the right password is refused until the window has passed.
  EXPECT_EQ(DecideSignIn(user, true, now + 1000), SignIn::kLocked);
  EXPECT_EQ(DecideSignIn(user, true, now + kLockoutWindowMs - 1), SignIn::kLocked);
  EXPECT_EQ(DecideSignIn(user, true, now + kLockoutWindowMs), SignIn::kOk);
  EXPECT_TRUE(user.failed_sign_ins.empty());

  // Failures spread wider than the window never add up to a lockout.
  User patient;
  for (int i = 0; i < 3 * kMaxFailedSignIns; ++i)
    EXPECT_EQ(DecideSignIn(patient, false, now += kLockoutWindowMs / 4 + 1),
              SignIn::kWrongPassword);
  EXPECT_EQ(patient.locked_until_ms, 0);

  User disabled;
  disabled.account_enabled = false;
  EXPECT_EQ(DecideSignIn(disabled, true, now), SignIn::kDisabled);
}

TEST(ClientSecretTest, ASecretHoldsBetweenItsStartAndItsEnd) {
  Application app;
  app.passwords.push_back({"k", "rbac", "abc", "2024-01-01T00:00:00.000000Z",
                           "2025-01-01T00:00:00.000000Z", HashSecret("abc-secret")});
  EXPECT_TRUE(SecretMatches(app, "abc-secret", "2024-06-01T00:00:00.000000Z"));
  EXPECT_FALSE(SecretMatches(app, "abc-secret", "2025-06-01T00:00:00.000000Z"));
  EXPECT_FALSE(SecretMatches(app, "abc-secret", "2023-06-01T00:00:00.000000Z"));
  EXPECT_FALSE(SecretMatches(app, "abc-secreT", "2024-06-01T00:00:00.000000Z"));
  // Times are compared as times, whatever their shape: a start sent without fractions (as a
  // client writes it) holds half a second later, and an offset counts.
  app.passwords[0].start = "2024-01-01T00:00:00Z";
  EXPECT_TRUE(SecretMatches(app, "abc-secret", "2024-01-01T00:00:00.500000Z"));
  app.passwords[0].end = "2024-01-01T01:00:00+02:00";  // 2023-12-31T23:00Z: before the start
  EXPECT_FALSE(SecretMatches(app, "abc-secret", "2024-01-01T00:30:00.000000Z"));
  const store::Resource row = EncodeApplication(app);
  EXPECT_EQ(row.body.find("abc-secret"), std::string::npos);  // only its hash is kept
}

TEST(GroupTest, MembershipIsFollowedThroughNestedGroupsAndACycleEndsTheWalk) {
  const std::vector<Group> groups{
      {"G-ops", "ops", "ops", "", "", {"U-ada", "G-oncall"}},
      {"G-oncall", "oncall", "oncall", "", "", {"U-bob", "G-ops"}},  // a cycle back to ops
      {"G-other", "other", "other", "", "", {"U-carol"}},
  };
  auto of = [&](std::string_view id) {
    auto found = TransitiveGroupsOf(id, groups);
    std::sort(found.begin(), found.end());
    return found;
  };
  EXPECT_EQ(of("U-ada"), (std::vector<std::string>{"g-oncall", "g-ops"}));
  EXPECT_EQ(of("u-BOB"), (std::vector<std::string>{"g-oncall", "g-ops"}));
  EXPECT_EQ(of("U-carol"), (std::vector<std::string>{"g-other"}));
  EXPECT_TRUE(of("U-nobody").empty());
  // A row keeps its members.
  const auto again = DecodeGroup(EncodeGroup(groups[0]));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->members, groups[0].members);
  EXPECT_EQ(again->mail_nickname, "ops");
}

}  // namespace
}  // namespace gangplank::access
