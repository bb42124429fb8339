// Attacks on the user's terminal: text that the server or a node controls (tags, names, error
// messages) printed by the real gangplank CLI in every output format and in error lines.
#include "attacks/attack_fixture.h"

namespace gangplank::attacks {
namespace {

using testing::RunProgram;

// The bytes a terminal acts on: ESC, BEL, CR, U+0085 (C1 NEL), U+202E (right-to-left override).
const std::string kEvil =
    "\x1b]0;PWNED\x07\x1b[2J\rok\xc2\x85 \xe2\x80\xae"
    "desrever";

bool ActsOnTerminal(const std::string& text) {
  return text.find_first_of("\x1b\x07\r") != std::string::npos ||
         text.find("\xc2\x85") != std::string::npos ||
         text.find("\xe2\x80\xae") != std::string::npos;
}

class CliAttackTest : public AttackTest {
 protected:
  testing::RunResult Cli(std::vector<std::string> args) {
    args.insert(args.begin(), GANGPLANK_CLI_PATH);
    testing::RunOptions options;
    options.env["GANGPLANK_CONFIG_DIR"] = config_.path().string();
    options.env["HOME"] = config_.path().string();
    return RunProgram(args, options);
  }

  testing::TempDir config_;
};

TEST_F(CliAttackTest, ServerTextNeverReachesTheTerminalRawInAnyFormat) {
  Start();
  ASSERT_EQ(Cli({"login", "--data-dir", dir_.Join("data")}).exit_code, 0);
  const std::string body = json::serialize(json::object{
      {"location", "westus2"},
      {"tags", json::object{{"evil", kEvil}, {"t" + kEvil, "named"}}},
      {"properties",
       json::object{
           {"dnsPrefix", "c1"},
           {"agentPoolProfiles",
            json::array{json::object{{"name", "nodepool1"}, {"count", 1}, {"mode", "System"}}}}}}});
  ASSERT_EQ(Call("PUT", Cluster() + kVersion, body).status, 201);
  ASSERT_EQ(WaitFor(Cluster()), "Succeeded");
  for (const std::string format : {"json", "yaml", "table", "tsv"}) {
    for (const std::vector<std::string>& query :
         {std::vector<std::string>{}, std::vector<std::string>{"--query", "tags"},
          std::vector<std::string>{"--query", "[tags.evil]"}}) {
      std::vector<std::string> args = {"aks", "show", "-g", "rg1", "-n", "c1", "-o", format};
      args.insert(args.end(), query.begin(), query.end());
      const auto shown = Cli(args);
      EXPECT_EQ(shown.exit_code, 0) << shown.err;
      EXPECT_FALSE(ActsOnTerminal(shown.out)) << format << " " << shown.out;
      if (format == "json" && query.size() == 2 && query[1] == "tags") {
        // Escaped, not altered: the JSON still holds exactly what the server stored.
        EXPECT_EQ(json::parse(shown.out).at("evil").as_string(), kEvil);
      }
    }
  }
  // Error lines quote what the server said, which quotes the request.
  const auto missing = Cli({"aks", "show", "-g", "rg1", "-n", "c1" + kEvil});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("error: "), std::string::npos) << missing.err;
  EXPECT_FALSE(ActsOnTerminal(missing.err)) << missing.err;
  const auto traced = Cli({"aks", "show", "-g", "rg1", "-n", "c1", "--debug"});
  EXPECT_FALSE(ActsOnTerminal(traced.err));
  ExpectHealthy();
}

}  // namespace
}  // namespace gangplank::attacks
