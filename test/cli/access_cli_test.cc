// The real `gangplank` binary's ad, role and monitor commands against a real gangplankd: an
// identity made and given a role as az does it, a person and a group, assignments listed with
// their names, refused writes in the activity log.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace gangplank::cli {
namespace {
using testing::RunProgram;
using testing::RunResult;
namespace json = boost::json;

class AccessCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = testing::StartListening(
        [this](int port) {
          return std::vector<std::string>{GANGPLANKD_PATH, "--data-dir", dir_.Join("data"),
                                          "--listen", "127.0.0.1:" + std::to_string(port),
                                          "--nodes", "simulated"};
        },
        dir_.Join("gangplankd.log"), port_);
    ASSERT_TRUE(server_) << testing::ReadTestFile(dir_.Join("gangplankd.log"));
    ASSERT_EQ(Gangplank({"login", "--data-dir", dir_.Join("data")}, "admin").exit_code, 0);
    ASSERT_EQ(Gangplank({"group", "create", "-n", "rg1", "-o", "none"}, "admin").exit_code, 0);
    subscription_ = Json(Gangplank({"group", "show", "-n", "rg1", "--query", "id"}, "admin"))
                        .as_string()
                        .subview(0, 51);
  }

  // `gangplank ARGS` with the configuration of `who` (each identity its own config dir).
  RunResult Gangplank(std::vector<std::string> args, const std::string& who) {
    args.insert(args.begin(), GANGPLANK_CLI_PATH);
    testing::RunOptions options;
    options.env = {{"HOME", dir_.path().string()}, {"GANGPLANK_CONFIG_DIR", dir_.Join(who)}};
    options.timeout = std::chrono::seconds(60);
    return RunProgram(args, options);
  }
  static json::value Json(const RunResult& result) {
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return result.exit_code == 0 ? json::parse(result.out) : json::value();
  }

  testing::TempDir dir_;
  int port_ = 0;
  std::unique_ptr<testing::BackgroundProcess> server_;
  std::string subscription_;
};

TEST_F(AccessCliTest, AnIdentityARoleAPersonAGroupAndTheActivityLog) {
  const std::string group = subscription_ + "/resourceGroups/rg1";
  // create-for-rbac with a role: az's four fields, and the assignment listed with its names.
  const json::value sp = Json(Gangplank({"ad", "sp", "create-for-rbac", "--name", "ci", "--role",
                                         "Reader", "--scopes", group},
                                        "admin"));
  const std::string app(sp.at("appId").as_string());
  EXPECT_EQ(sp.at("tenant"), "adfs");
  EXPECT_FALSE(sp.at("password").as_string().empty());
  EXPECT_EQ(Json(Gangplank({"ad", "sp", "show", "--id", app, "--query", "appId"}, "admin")),
            json::value(app));
  EXPECT_EQ(Json(Gangplank({"ad", "sp", "list", "--display-name", "c", "--query", "length(@)"},
                           "admin")),
            1);
  const json::value listed =
      Json(Gangplank({"role", "assignment", "list", "-g", "rg1", "--query",
                      "[].[principalName, roleDefinitionName]", "-o", "json"},
                     "admin"));
  EXPECT_EQ(listed, json::parse("[[\"" + app + "\", \"Reader\"]]")) << listed;
  EXPECT_EQ(Json(Gangplank({"role", "definition", "list", "--name", "Reader", "--query",
                            "[0].permissions[0].actions[0]"},
                           "admin")),
            "*/read");

  // The identity signs in with the secret printed: it reads, it cannot write.
  const auto login = Gangplank({"login", "--server", "https://127.0.0.1:" + std::to_string(port_) + "/",
                       "--ca-file", dir_.Join("data/tls/ca.crt"), "--client-id", app,
                       "--client-secret", std::string(sp.at("password").as_string())},
                      "ci");
  ASSERT_EQ(login.exit_code, 0) << login.err;
  EXPECT_EQ(Gangplank({"group", "show", "-n", "rg1", "-o", "none"}, "ci").exit_code, 0);
  const auto refused = Gangplank({"group", "create", "-n", "rg1", "-o", "none"}, "ci");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("AuthorizationFailed"), std::string::npos) << refused.err;

  // A person, a group, Contributor to the group by name look-ups.
  ASSERT_EQ(Gangplank({"ad", "user", "create", "--display-name", "Ada", "--user-principal-name",
                       "ada@gangplank.test", "--password", "Correct-Horse-9", "-o", "none"},
                      "admin")
                .exit_code,
            0);
  const std::string ada(
      Json(Gangplank({"ad", "user", "show", "--id", "ada@gangplank.test", "--query", "id"}, "admin"))
          .as_string());
  ASSERT_EQ(Gangplank({"ad", "group", "create", "--display-name", "ops", "--mail-nickname", "ops",
                       "-o", "none"},
                      "admin")
                .exit_code,
            0);
  ASSERT_EQ(Gangplank({"ad", "group", "member", "add", "-g", "ops", "--member-id", ada}, "admin")
                .exit_code,
            0);
  EXPECT_EQ(Json(Gangplank({"ad", "group", "member", "check", "-g", "ops", "--member-id", ada,
                            "--query", "value"},
                           "admin")),
            true);
  const std::string ops(
      Json(Gangplank({"ad", "group", "show", "-g", "ops", "--query", "id"}, "admin")).as_string());
  const json::value made = Json(Gangplank({"role", "assignment", "create", "--assignee-object-id",
                                           ops, "--assignee-principal-type", "Group", "--role",
                                           "Contributor", "-g", "rg1"},
                                          "admin"));
  EXPECT_EQ(made.at("principalType"), "Group");
  EXPECT_EQ(Json(Gangplank({"role", "assignment", "list", "-g", "rg1", "--assignee", app,
                            "--query", "length(@)"},
                           "admin")),
            1);
  // Deleted by assignee and role, as az's delete without --ids finds them.
  ASSERT_EQ(Gangplank({"role", "assignment", "delete", "--assignee", app, "--role", "Reader", "-g",
                       "rg1"},
                      "admin")
                .exit_code,
            0);
  EXPECT_EQ(Gangplank({"group", "show", "-n", "rg1", "-o", "none"}, "ci").exit_code, 1);

  // Bad input: a clear error, nothing made.
  const auto unknown = Gangplank(
      {"role", "assignment", "create", "--assignee", app, "--role", "Nope", "-g", "rg1"}, "admin");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("Role 'Nope' doesn't exist"), std::string::npos) << unknown.err;
  EXPECT_EQ(Gangplank({"role", "assignment", "create", "--role", "Reader"}, "admin").exit_code, 1);

  // The refused write is in the activity log, with the identity as caller.
  const json::value events =
      Json(Gangplank({"monitor", "activity-log", "list", "-g", "rg1", "--offset", "1h",
                      "--status", "Failed", "--caller", app, "--query",
                      "[].operationName.value"},
                     "admin"));
  EXPECT_EQ(events, json::parse(R"(["Microsoft.Resources/subscriptions/resourceGroups/write"])"))
      << events;
  EXPECT_EQ(Gangplank({"monitor", "activity-log", "list", "--offset", "soon"}, "admin").exit_code,
            1);
}

}  // namespace
}  // namespace gangplank::cli
