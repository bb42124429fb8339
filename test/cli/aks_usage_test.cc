// The real `gangplank` binary's help and usage errors, as az gives them: arguments in groups with
// the examples last, every missing argument named at once, exit 2 for whatever the command line
// got wrong.
#include <gtest/gtest.h>

#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace gangplank::cli {
namespace {

using testing::RunProgram;
using testing::RunResult;

class AksUsageTest : public ::testing::Test {
 protected:
  // With a HOME of its own: nothing here may read or write the user's keys or login.
  RunResult Gangplank(std::vector<std::string> args) {
    args.insert(args.begin(), GANGPLANK_CLI_PATH);
    testing::RunOptions options;
    options.env["HOME"] = home_.path().string();
    return RunProgram(args, options);
  }
  testing::TempDir home_;
};

TEST_F(AksUsageTest, CreateHelpGroupsItsArgumentsAsAzDoesWithTheExamplesLast) {
  const RunResult help = Gangplank({"aks", "create", "--help"});
  ASSERT_EQ(help.exit_code, 0) << help.err;
  std::vector<std::size_t> at;
  for (const char* group : {"\nArguments:\n", "\nSSH Arguments:\n", "\nNode Pool Arguments:\n",
                            "\nNetwork Arguments:\n", "\nGlobal Arguments:\n", "\nExamples:\n"}) {
    at.push_back(help.out.find(group));
    EXPECT_NE(at.back(), std::string::npos) << group << " missing in:\n" << help.out;
  }
  EXPECT_TRUE(std::is_sorted(at.begin(), at.end())) << help.out;
  // The command's own arguments come first; -o and --query are global, as in az.
  EXPECT_LT(help.out.find("--resource-group"), help.out.find("\nSSH Arguments:\n"));
  EXPECT_GT(help.out.find("--query"), help.out.find("\nGlobal Arguments:\n"));
  // A refused flag says why in its own line, in a group that names the document.
  const std::size_t refused = help.out.find("docs/az-compatibility.md):\n");
  ASSERT_NE(refused, std::string::npos);
  EXPECT_NE(help.out.find("Refused: ", refused), std::string::npos);
}

TEST_F(AksUsageTest, EveryMissingArgumentIsNamedAtOnceWithExitTwo) {
  const RunResult show = Gangplank({"aks", "show"});
  EXPECT_EQ(show.exit_code, 2);
  EXPECT_NE(show.err.find("the following arguments are required: --resource-group/-g, --name/-n"),
            std::string::npos)
      << show.err;
  const RunResult surge =
      Gangplank({"aks", "nodepool", "update", "-g", "rg", "--cluster-name", "c", "-n", "p",
                 "--max-surge"});
  EXPECT_EQ(surge.exit_code, 2);
  EXPECT_NE(surge.err.find("argument --max-surge: expected one argument"), std::string::npos)
      << surge.err;
}

TEST_F(AksUsageTest, ABadQueryIsShownAndConflictingKeyFlagsAreAUsageError) {
  const RunResult query = Gangplank({"aks", "show", "-g", "rg", "-n", "c", "--query", "[?x"});
  EXPECT_EQ(query.exit_code, 2);
  EXPECT_NE(query.err.find("'[?x'"), std::string::npos) << query.err;
  const RunResult keys =
      Gangplank({"aks", "create", "-g", "rg", "-n", "c", "--no-ssh-key", "--generate-ssh-keys"});
  EXPECT_EQ(keys.exit_code, 2) << keys.err;
  EXPECT_NE(keys.err.find("--no-ssh-key"), std::string::npos) << keys.err;
}

}  // namespace
}  // namespace gangplank::cli
