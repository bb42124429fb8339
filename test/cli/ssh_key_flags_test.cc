// The SSH key flags parse with both az spellings and feed ResolveSshKey unchanged.
#include "cli/ssh_key_flags.h"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>

namespace gangplank::cli {
namespace {

sshkey::SshKeyFlags Parse(std::vector<const char*> args) {
  CLI::App app{"test", "test"};
  sshkey::SshKeyFlags flags;
  AddSshKeyFlags(app, flags);
  args.insert(args.begin(), "test");
  app.parse(static_cast<int>(args.size()), args.data());
  return flags;
}

TEST(SshKeyFlagsTest, BothGenerateSpellingsWork) {
  EXPECT_TRUE(Parse({"--generate-ssh-keys"}).generate_ssh_keys);
  EXPECT_TRUE(Parse({"--generate-ssh-key"}).generate_ssh_keys);
  EXPECT_FALSE(Parse({}).generate_ssh_keys);
}

TEST(SshKeyFlagsTest, ValueAndNoKey) {
  const auto flags = Parse({"--ssh-key-value", "~/.ssh/aks.pub", "--no-ssh-key"});
  EXPECT_EQ(flags.ssh_key_value, "~/.ssh/aks.pub");
  EXPECT_TRUE(flags.no_ssh_key);
  EXPECT_FALSE(Parse({}).ssh_key_value.has_value());
}

}  // namespace
}  // namespace gangplank::cli
