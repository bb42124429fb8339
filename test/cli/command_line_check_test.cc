// "Did you mean": suggestions and the command-line walk over a small command tree.
#include "cli/command_line_check.h"

#include <gtest/gtest.h>

namespace gangplank::cli {
namespace {

TEST(ClosestNamesTest, TyposPrefixesAndNothingFarAway) {
  const std::vector<std::string> commands = {"create", "delete", "list", "show", "update"};
  EXPECT_EQ(ClosestNames("crate", commands), std::vector<std::string>{"create"});
  EXPECT_EQ(ClosestNames("craete", commands), std::vector<std::string>{"create"});  // a swap
  EXPECT_EQ(ClosestNames("lsit", commands), std::vector<std::string>{"list"});
  EXPECT_EQ(ClosestNames("upd", commands), std::vector<std::string>{"update"});  // a prefix
  EXPECT_TRUE(ClosestNames("frobnicate", commands).empty());
  EXPECT_EQ(ClosestNames("--max-surg", {"--max-surge", "--mode", "--name"}),
            std::vector<std::string>{"--max-surge"});
}

class CommandLineCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    app_.fallthrough();
    app_.add_flag("--debug");
    CLI::App* aks = app_.add_subcommand("aks");
    aks->require_subcommand(1);
    CLI::App* create = aks->add_subcommand("create");
    create->add_option("-g,--resource-group")->required();
    create->add_option("-n,--name")->required();
    create->add_option("--ssh-key-value");
    create->add_flag("--no-wait");
    CLI::App* ssh = aks->add_subcommand("ssh");
    ssh->add_option("command");
  }
  Status Check(std::vector<std::string> args) { return CheckCommandLine(app_, args); }
  CLI::App app_{"test", "gangplank"};
};

TEST_F(CommandLineCheckTest, KnownLinesPass) {
  // A value that looks like a flag goes with '=', as with az (argparse).
  EXPECT_TRUE(Check({"aks", "create", "-g", "rg", "-n", "c", "--ssh-key-value=--weird"}).ok());
  EXPECT_TRUE(
      Check({"aks", "create", "-g", "rg", "--name", "c", "--ssh-key-value=x", "--no-wait", "--debug"})
          .ok());
  const Status ssh = Check({"--debug", "aks", "ssh", "--", "ls", "--color"});
  EXPECT_TRUE(ssh.ok()) << ssh.error().message;
  EXPECT_TRUE(Check({"aks", "--help"}).ok());
  // Values that start with dashes are not flags (and, being maybe secret, never echoed).
  EXPECT_TRUE(Check({"aks", "ssh", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn"}).ok());
  EXPECT_TRUE(Check({"aks", "ssh", "-1"}).ok());
}

// az's (argparse's) words, and every missing argument named at once.
TEST_F(CommandLineCheckTest, UsageErrorsSpeakAzsWords) {
  const Status missing = Check({"aks", "create"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message,
            "the following arguments are required: --resource-group/-g, --name/-n. See "
            "`gangplank aks create --help`.");
  const Status one = Check({"aks", "create", "--name", "c"});
  ASSERT_FALSE(one.ok());
  EXPECT_NE(one.error().message.find("required: --resource-group/-g."), std::string::npos);
  for (const std::vector<std::string>& line :
       {std::vector<std::string>{"aks", "create", "-g", "rg", "-n", "c", "--ssh-key-value"},
        std::vector<std::string>{"aks", "create", "-g", "rg", "--ssh-key-value", "--no-wait", "-n",
                                 "c"}}) {
    const Status value = Check(line);
    ASSERT_FALSE(value.ok());
    EXPECT_EQ(value.error().message,
              "argument --ssh-key-value: expected one argument. See `gangplank aks create "
              "--help`.");
  }
  // Help is help, whatever is missing.
  EXPECT_TRUE(Check({"aks", "create", "--help"}).ok());
}

TEST_F(CommandLineCheckTest, UnknownWordsAreNamedWithSuggestions) {
  const Status flag = Check({"aks", "create", "--ssh-key-vaule", "x"});
  ASSERT_FALSE(flag.ok());
  EXPECT_NE(flag.error().message.find("`gangplank aks create` has no flag --ssh-key-vaule"),
            std::string::npos)
      << flag.error().message;
  EXPECT_NE(flag.error().message.find("Did you mean --ssh-key-value?"), std::string::npos);
  const Status command = Check({"aks", "crate"});
  ASSERT_FALSE(command.ok());
  EXPECT_NE(command.error().message.find("Did you mean create?"), std::string::npos);
  EXPECT_NE(command.error().message.find("Its commands: create, ssh"), std::string::npos);
  const Status group = Check({"aks"});
  ASSERT_FALSE(group.ok());
  EXPECT_NE(group.error().message.find("`gangplank aks` needs a command: create, ssh"),
            std::string::npos);
}

TEST_F(CommandLineCheckTest, WhatMayBeASecretIsNeverQuotedBack) {
  const std::string key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n";
  const Status misplaced = Check({"aks", key});
  ASSERT_FALSE(misplaced.ok());
  EXPECT_EQ(misplaced.error().message.find("b3Blbn"), std::string::npos) << misplaced.error().message;
  EXPECT_NE(misplaced.error().message.find("not shown"), std::string::npos);
  EXPECT_EQ(RedactArguments("--node-count: Value " + key + " not in range", {"-c", key}),
            "--node-count: Value <value not shown> not in range");
  EXPECT_EQ(RedactArguments("not expected: crate", {"crate"}), "not expected: crate");
  EXPECT_FALSE(SafeToEcho("my secret words"));
  EXPECT_FALSE(SafeToEcho(std::string(65, 'a')));
  EXPECT_TRUE(SafeToEcho("aks-nodepool1-12345678-vmss000000"));
}

}  // namespace
}  // namespace gangplank::cli
