// The real `gangplank` binary against a real gangplankd: the seed page's key rules (the default
// key, "key not found" with nothing created, --generate-ssh-keys, paths and contents, ~, private
// keys, conflicting flags), and, with real nodes, create → ssh → update → upgrade → ssh.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <tuple>
#include <boost/json.hpp>

#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace gangplank::cli {
namespace {

using testing::RunProgram;
using testing::RunResult;
namespace json = boost::json;

class AksCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "the end-to-end CLI test runs local nodes: run it as root";
    std::filesystem::create_directories(home_.Join(".ssh"));
    server_ = testing::StartListening(
        [this](int port) {
          return std::vector<std::string>{
              GANGPLANKD_PATH, "--data-dir", dir_.Join("data"), "--listen",
              "127.0.0.1:" + std::to_string(port), "--nodes", "local", "--nodes-dir",
              nodes_.path().string(), "--node-agent", GANGPLANK_NODE_PATH};
        },
        dir_.Join("gangplankd.log"), port_);
    ASSERT_TRUE(server_) << testing::ReadTestFile(dir_.Join("gangplankd.log"));
    const auto login = Gangplank({"login", "--data-dir", dir_.Join("data")});
    ASSERT_EQ(login.exit_code, 0) << login.err;
    EXPECT_EQ(testing::FileMode(dir_.Join("config/config.json")), 0600u);
    EXPECT_EQ(Gangplank({"aks", "show", "-g", "rg1", "-n", "none"}).exit_code, 1);
    CreateGroup();
  }

  void TearDown() override {
    server_.reset();
    RunProgram({GANGPLANKD_PATH, "stop-nodes", "--data-dir", dir_.Join("data"), "--nodes-dir",
                nodes_.path().string(), "--remove"});
  }

  void CreateGroup() {
    // The CLI's group commands come later; the token endpoint and a PUT do the same here.
    const json::object credentials =
        json::parse(testing::ReadTestFile(dir_.Join("data/credentials.json"))).as_object();
    const std::string url = "https://127.0.0.1:" + std::to_string(port_);
    const auto token =
        RunProgram({"curl", "-sf", "--cacert", dir_.Join("data/tls/ca.crt"), "-d",
                    "grant_type=client_credentials&client_id=" +
                        std::string(credentials.at("clientId").as_string()) + "&client_secret=" +
                        std::string(credentials.at("clientSecret").as_string()) + "&scope=" + url +
                        "//.default",
                    url + "/adfs/oauth2/v2.0/token"});
    ASSERT_EQ(token.exit_code, 0) << token.err;
    const std::string bearer(json::parse(token.out).at("access_token").as_string());
    ASSERT_EQ(RunProgram({"curl", "-sf", "--cacert", dir_.Join("data/tls/ca.crt"), "-X", "PUT",
                          "-H", "Authorization: Bearer " + bearer, "-H",
                          "Content-Type: application/json", "-d", R"({"location":"westus2"})",
                          url + "/subscriptions/" +
                              std::string(credentials.at("subscriptionId").as_string()) +
                              "/resourceGroups/rg1?api-version=2021-04-01"})
                  .exit_code,
              0);
  }

  RunResult Gangplank(std::vector<std::string> args) {
    args.insert(args.begin(), GANGPLANK_CLI_PATH);
    testing::RunOptions options;
    options.env = {{"HOME", home_.path().string()}, {"GANGPLANK_CONFIG_DIR", dir_.Join("config")}};
    options.timeout = std::chrono::seconds(120);
    return RunProgram(args, options);
  }

  // `gangplank ARGUMENTS` on a terminal (a pty from script(1)): its output, standard error included.
  RunResult GangplankOnTerminal(const std::string& arguments) {
    testing::RunOptions options;
    options.env = {{"HOME", home_.path().string()}, {"GANGPLANK_CONFIG_DIR", dir_.Join("config")}};
    options.timeout = std::chrono::seconds(120);
    return RunProgram(
        {"script", "-qefc", std::string(GANGPLANK_CLI_PATH) + " " + arguments, "/dev/null"}, options);
  }

  bool ClusterExists(const std::string& name) {
    return Gangplank({"aks", "show", "-g", "rg1", "-n", name}).exit_code == 0;
  }

  testing::TempDir dir_;
  testing::TempDir home_;
  testing::TempDir nodes_{"/var/lib/gangplank-test", 0755};
  int port_ = 0;
  std::unique_ptr<testing::BackgroundProcess> server_;
};

TEST_F(AksCliTest, KeyRulesOfTheSeedPageAndNothingCreatedOnAKeyError) {
  // No flag and no ~/.ssh/id_rsa.pub: "key not found", naming the path and the two flags.
  auto missing = Gangplank({"aks", "create", "-g", "rg1", "-n", "c1", "-c", "1"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("key not found"), std::string::npos) << missing.err;
  EXPECT_NE(missing.err.find(home_.Join(".ssh/id_rsa.pub")), std::string::npos);
  EXPECT_NE(missing.err.find("--generate-ssh-keys"), std::string::npos);
  EXPECT_NE(missing.err.find("--no-ssh-key"), std::string::npos);
  EXPECT_FALSE(ClusterExists("c1"));

  // A private key path is refused without echoing it; conflicting flags are refused.
  ASSERT_EQ(
      RunProgram({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", home_.Join(".ssh/mine")})
          .exit_code,
      0);
  auto private_path =
      Gangplank({"aks", "create", "-g", "rg1", "-n", "c1", "--ssh-key-value", "~/.ssh/mine"});
  EXPECT_EQ(private_path.exit_code, 1);
  EXPECT_EQ(private_path.err.find("PRIVATE KEY"), std::string::npos);
  auto both =
      Gangplank({"aks", "create", "-g", "rg1", "-n", "c1", "--no-ssh-key", "--generate-ssh-keys"});
  EXPECT_NE(both.exit_code, 0);
  EXPECT_FALSE(ClusterExists("c1"));

  // --generate-ssh-keys creates the pair with the right modes, and says where.
  auto generated = Gangplank(
      {"aks", "create", "-g", "rg1", "-n", "c1", "-c", "1", "--generate-ssh-keys", "-o", "none"});
  ASSERT_EQ(generated.exit_code, 0) << generated.err;
  EXPECT_NE(generated.err.find(home_.Join(".ssh/id_rsa")), std::string::npos) << generated.err;
  EXPECT_EQ(testing::FileMode(home_.Join(".ssh/id_rsa")), 0600u);
  EXPECT_EQ(testing::FileMode(home_.Join(".ssh/id_rsa.pub")), 0644u);
  std::string generated_key = testing::ReadTestFile(home_.Join(".ssh/id_rsa.pub"));
  // Again: the existing pair is reused, not replaced.
  auto reused = Gangplank(
      {"aks", "create", "-g", "rg1", "-n", "c5", "-c", "1", "--generate-ssh-keys", "-o", "none"});
  ASSERT_EQ(reused.exit_code, 0) << reused.err;
  EXPECT_EQ(testing::ReadTestFile(home_.Join(".ssh/id_rsa.pub")), generated_key);
  // A lone private key: its public half is derived (and written), not a new pair made.
  std::filesystem::remove(home_.Join(".ssh/id_rsa.pub"));
  auto derived = Gangplank({"aks", "create", "-g", "rg1", "-n", "c6", "-c", "1",
                            "--generate-ssh-keys", "--query",
                            "linuxProfile.ssh.publicKeys[0].keyData", "-o", "tsv"});
  ASSERT_EQ(derived.exit_code, 0) << derived.err;
  EXPECT_EQ(derived.out.substr(0, derived.out.rfind(' ')),
            generated_key.substr(0, generated_key.rfind(' ')));
  EXPECT_EQ(testing::FileMode(home_.Join(".ssh/id_rsa.pub")), 0644u);
  // The default key is used when no flag is given, now that it exists.
  auto by_default = Gangplank({"aks", "create", "-g", "rg1", "-n", "c2", "-c", "1", "-o", "json"});
  ASSERT_EQ(by_default.exit_code, 0) << by_default.err;
  std::string key = testing::ReadTestFile(home_.Join(".ssh/id_rsa.pub"));
  key.pop_back();
  EXPECT_EQ(json::parse(by_default.out)
                .at("linuxProfile")
                .at("ssh")
                .at("publicKeys")
                .at(0)
                .at("keyData"),
            json::value(key));
  // Key contents instead of a path, and --no-ssh-key.
  auto contents = Gangplank({"aks", "create", "-g", "rg1", "-n", "c3", "-c", "1", "--ssh-key-value",
                             testing::ReadTestFile(home_.Join(".ssh/mine.pub")), "-o", "none"});
  EXPECT_EQ(contents.exit_code, 0) << contents.err;
  auto none = Gangplank(
      {"aks", "create", "-g", "rg1", "-n", "c4", "-c", "1", "--no-ssh-key", "-o", "json"});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  const json::value no_key = json::parse(none.out);
  EXPECT_TRUE(no_key.at("linuxProfile").is_null()) << "az prints null for a missing profile";
}

TEST_F(AksCliTest, CreateSshUpdateUpgradeSshThroughTheCliOnly) {
  ASSERT_EQ(
      RunProgram({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", home_.Join(".ssh/old")})
          .exit_code,
      0);
  ASSERT_EQ(
      RunProgram({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", home_.Join(".ssh/new")})
          .exit_code,
      0);
  auto created = Gangplank({"aks", "create", "-g", "rg1", "-n", "c1", "-c", "2", "--ssh-key-value",
                            "~/.ssh/old.pub", "-o", "none"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const auto ssh = [&](const std::string& key) {
    return Gangplank({"aks", "ssh", "-g", "rg1", "-n", "c1", "-i", "~/.ssh/" + key, "--", "echo",
                      "on-the-node"});
  };
  auto first = ssh("old");
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out, "on-the-node\n");
  EXPECT_EQ(ssh("new").exit_code, 255);

  auto updated = Gangplank({"aks", "update", "-g", "rg1", "-n", "c1", "--ssh-key-value",
                            "~/.ssh/new.pub", "-o", "none"});
  ASSERT_EQ(updated.exit_code, 0) << updated.err;
  EXPECT_NE(updated.err.find("nodepool upgrade -g rg1 --cluster-name c1 -n nodepool1 "
                             "--node-image-only"),
            std::string::npos)
      << updated.err;
  auto pending = Gangplank({"aks", "machine", "list", "-g", "rg1", "--cluster-name", "c1"});
  ASSERT_EQ(pending.exit_code, 0);
  const json::value machines = json::parse(pending.out);
  for (const auto& machine : machines.as_array())
    EXPECT_EQ(machine.at("latestModelApplied"), false);
  EXPECT_EQ(ssh("old").exit_code, 0);
  EXPECT_EQ(ssh("new").exit_code, 255);

  auto upgraded =
      Gangplank({"aks", "nodepool", "upgrade", "-g", "rg1", "--cluster-name", "c1", "-n",
                 "nodepool1", "--node-image-only", "--max-surge", "50%", "-o", "none"});
  ASSERT_EQ(upgraded.exit_code, 0) << upgraded.err;
  EXPECT_EQ(ssh("new").exit_code, 0);
  EXPECT_EQ(ssh("old").exit_code, 255);
}

TEST_F(AksCliTest, StopStartUpgradesAbortDeleteMachinesAndTagsWithAzsNames) {
  ASSERT_EQ(Gangplank({"group", "create", "-n", "rg3", "-l", "westus2", "-o", "none"}).exit_code, 0);
  ASSERT_EQ(Gangplank({"aks", "create", "-g", "rg3", "-n", "c1", "-c", "3", "--no-ssh-key", "-o",
                       "none"})
                .exit_code,
            0);
  auto show = [&](const std::string& query) {
    auto shown = Gangplank({"aks", "show", "-g", "rg3", "-n", "c1", "--query", query, "-o", "tsv"});
    EXPECT_EQ(shown.exit_code, 0) << shown.err;
    return shown.out;
  };
  // update --tags: the cluster's tags, nothing else.
  auto tagged = Gangplank(
      {"aks", "update", "-g", "rg3", "-n", "c1", "--tags", "env=dev", "team=ops", "-o", "none"});
  ASSERT_EQ(tagged.exit_code, 0) << tagged.err;
  EXPECT_EQ(show("tags.team"), "ops\n");
  // No flag at all: as az, the cluster is PUT back as it is (back to its goal state).
  EXPECT_EQ(Gangplank({"aks", "update", "-g", "rg3", "-n", "c1", "-o", "none"}).exit_code, 0);
  EXPECT_EQ(show("tags.env"), "dev\n");
  // A value az would refuse is refused before anything is sent; so is a flag that needs a
  // service this control plane does not run.
  auto bad = Gangplank({"aks", "update", "-g", "rg3", "-n", "c1", "--auto-upgrade-channel", "x"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("argument --auto-upgrade-channel: invalid choice: 'x'"), std::string::npos)
      << bad.err;
  auto refused = Gangplank({"aks", "update", "-g", "rg3", "-n", "c1", "--attach-acr", "reg1"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("--attach-acr is not supported here"), std::string::npos)
      << refused.err;

  // get-upgrades and nodepool get-upgrades (latestNodeImageVersion).
  auto upgrades = Gangplank({"aks", "get-upgrades", "-g", "rg3", "-n", "c1", "--query",
                             "controlPlaneProfile.kubernetesVersion", "-o", "tsv"});
  ASSERT_EQ(upgrades.exit_code, 0) << upgrades.err;
  EXPECT_EQ(upgrades.out, "1.25.6\n");
  auto pool_upgrades =
      Gangplank({"aks", "nodepool", "get-upgrades", "-g", "rg3", "--cluster-name", "c1",
                 "--nodepool-name", "nodepool1", "--query", "latestNodeImageVersion",
                 "-o", "tsv"});
  ASSERT_EQ(pool_upgrades.exit_code, 0) << pool_upgrades.err;
  EXPECT_NE(pool_upgrades.out.find("AKSUbuntu-"), std::string::npos);

  // Nothing runs: nothing to abort, and the CLI says so.
  auto abort = Gangplank({"aks", "operation-abort", "-g", "rg3", "-n", "c1"});
  EXPECT_EQ(abort.exit_code, 0) << abort.err;
  EXPECT_NE(abort.err.find("no operation in progress"), std::string::npos) << abort.err;
  EXPECT_EQ(Gangplank({"aks", "nodepool", "operation-abort", "-g", "rg3", "--cluster-name", "c1",
                       "-n", "nodepool1"})
                .exit_code,
            0);

  // delete-machines: the named node goes, the count drops.
  auto machines = Gangplank({"aks", "machine", "list", "-g", "rg3", "--cluster-name", "c1",
                             "--query", "[1].name", "-o", "tsv"});
  ASSERT_EQ(machines.exit_code, 0);
  const std::string doomed = machines.out.substr(0, machines.out.find('\n'));
  auto deleted = Gangplank({"aks", "nodepool", "delete-machines", "-g", "rg3", "--cluster-name",
                            "c1", "-n", "nodepool1", "--machine-names", doomed});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_EQ(show("agentPoolProfiles[0].count"), "2\n");
  auto left = Gangplank({"aks", "machine", "list", "-g", "rg3", "--cluster-name", "c1"});
  EXPECT_EQ(left.out.find(doomed), std::string::npos);

  // rotate-certs: asks first (no terminal here: --yes), then the old kubeconfig is refused.
  const auto credential = [&] {
    auto got = Gangplank({"aks", "get-credentials", "-g", "rg3", "-n", "c1", "--file", "-"});
    EXPECT_EQ(got.exit_code, 0) << got.err;
    return got.out.substr(got.out.find("token: "));
  };
  const std::string before = credential();
  auto unconfirmed = Gangplank({"aks", "rotate-certs", "-g", "rg3", "-n", "c1"});
  EXPECT_NE(unconfirmed.exit_code, 0);
  EXPECT_NE(unconfirmed.err.find("--yes"), std::string::npos) << unconfirmed.err;
  EXPECT_EQ(credential(), before) << "nothing was rotated without --yes";
  auto rotated = Gangplank({"aks", "rotate-certs", "-g", "rg3", "-n", "c1", "--yes"});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  EXPECT_NE(credential(), before);
  EXPECT_EQ(show("provisioningState"), "Succeeded\n");

  // stop and start.
  ASSERT_EQ(Gangplank({"aks", "stop", "-g", "rg3", "-n", "c1"}).exit_code, 0);
  EXPECT_EQ(show("powerState.code"), "Stopped\n");
  ASSERT_EQ(Gangplank({"aks", "start", "-g", "rg3", "-n", "c1"}).exit_code, 0);
  EXPECT_EQ(show("powerState.code"), "Running\n");
}

TEST_F(AksCliTest, GroupsPoolsScaleLogsAndDeletesWithConfirmation) {
  auto group = Gangplank({"group", "create", "-n", "rg2", "-l", "westus2", "-o", "json"});
  ASSERT_EQ(group.exit_code, 0) << group.err;
  EXPECT_EQ(json::parse(group.out).at("name"), "rg2");
  ASSERT_EQ(
      Gangplank({"aks", "create", "-g", "rg2", "-n", "c1", "-c", "1", "--no-ssh-key", "-o", "none"})
          .exit_code,
      0);
  auto added = Gangplank({"aks", "nodepool", "add", "-g", "rg2", "--cluster-name", "c1", "-n",
                          "tools", "-c", "1", "--os-sku", "AzureLinux", "-o", "json"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  EXPECT_EQ(json::parse(added.out).at("provisioningState"), "Succeeded");
  // Two pools: as az, aks scale needs to be told which.
  auto which = Gangplank({"aks", "scale", "-g", "rg2", "-n", "c1", "-c", "2", "-o", "none"});
  EXPECT_EQ(which.exit_code, 2);
  EXPECT_NE(which.err.find("--nodepool-name"), std::string::npos) << which.err;
  ASSERT_EQ(Gangplank({"aks", "scale", "-g", "rg2", "-n", "c1", "-c", "2", "--nodepool-name",
                       "nodepool1", "-o", "none"})
                .exit_code,
            0);
  auto machines = Gangplank({"aks", "machine", "list", "-g", "rg2", "--cluster-name", "c1"});
  ASSERT_EQ(machines.exit_code, 0);
  const json::value nodes = json::parse(machines.out);
  EXPECT_EQ(nodes.as_array().size(), 3u);
  auto logs =
      Gangplank({"aks", "node", "logs", "-g", "rg2", "--cluster-name", "c1", "--nodepool-name",
                 "nodepool1", "--node", std::string(nodes.at(0).at("name").as_string())});
  ASSERT_EQ(logs.exit_code, 0) << logs.err;
  EXPECT_NE(json::parse(logs.out).at("logs").as_string().find("sshd"), std::string::npos);

  // Without a terminal, destructive commands need --yes, and then nothing is deleted.
  auto unconfirmed = Gangplank({"aks", "delete", "-g", "rg2", "-n", "c1"});
  EXPECT_EQ(unconfirmed.exit_code, 1);
  EXPECT_NE(unconfirmed.err.find("--yes"), std::string::npos);
  EXPECT_TRUE(ClusterExists("c1") ||
              Gangplank({"aks", "show", "-g", "rg2", "-n", "c1"}).exit_code == 0);
  ASSERT_EQ(
      Gangplank({"aks", "nodepool", "delete", "-g", "rg2", "--cluster-name", "c1", "-n", "tools"})
          .exit_code,
      0);
  ASSERT_EQ(Gangplank({"aks", "delete", "-g", "rg2", "-n", "c1", "--yes"}).exit_code, 0);
  EXPECT_EQ(Gangplank({"aks", "list", "-g", "rg2"}).out, "[]\n");
  // A typo gets a usage error (exit 2), not a crash.
  EXPECT_EQ(Gangplank({"aks", "scale", "-g", "rg2", "-n", "c1"}).exit_code, 2);
  EXPECT_EQ(Gangplank({"aks", "sacle"}).exit_code, 2);
}

TEST_F(AksCliTest, QueryVerboseDebugDidYouMeanAndMachineShow) {
  ASSERT_EQ(Gangplank({"aks", "create", "-g", "rg1", "-n", "c1", "-c", "2", "--no-ssh-key", "-o",
                       "none"})
                .exit_code,
            0);
  // --query: the JMESPath az users already write.
  auto count = Gangplank({"aks", "show", "-g", "rg1", "-n", "c1", "--query",
                          "agentPoolProfiles[0].count", "-o", "tsv"});
  EXPECT_EQ(count.out, "2\n") << count.err;
  auto current = Gangplank({"aks", "machine", "list", "-g", "rg1", "--cluster-name", "c1",
                            "--query", "[?latestModelApplied].name", "-o", "tsv"});
  EXPECT_EQ(std::count(current.out.begin(), current.out.end(), '\n'), 2) << current.out;
  auto table = Gangplank({"aks", "nodepool", "list", "-g", "rg1", "--cluster-name", "c1", "--query",
                          "[].{Name:name, Count:count}", "-o", "table"});
  EXPECT_NE(table.out.find("nodepool1"), std::string::npos) << table.out;
  auto bad_query = Gangplank({"aks", "show", "-g", "rg1", "-n", "c1", "--query", "[?name=='c1'"});
  EXPECT_EQ(bad_query.exit_code, 2);
  EXPECT_NE(bad_query.err.find("column"), std::string::npos) << bad_query.err;

  // machine show: the whole machine in JSON, its row in a table.
  const std::string name =
      Gangplank({"aks", "machine", "list", "-g", "rg1", "--cluster-name", "c1", "--query",
                 "[0].name", "-o", "tsv"})
          .out;
  ASSERT_FALSE(name.empty());
  const std::vector<std::string> show = {"aks", "machine", "show", "-g", "rg1", "--cluster-name",
                                         "c1", "--nodepool-name", "nodepool1", "--machine-name",
                                         name.substr(0, name.size() - 1)};
  auto shown = Gangplank(show);
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  const json::value machine = json::parse(shown.out);
  EXPECT_EQ(machine.at("name"), json::value(name.substr(0, name.size() - 1)));
  EXPECT_FALSE(machine.at("properties").at("hostKeys").as_array().empty());
  auto show_table = show;
  show_table.insert(show_table.end(), {"-o", "table"});
  auto row = Gangplank(show_table);
  EXPECT_NE(row.out.find(std::string(
                machine.at("properties").at("network").at("ipAddresses").at(0).at("ip").as_string())),
            std::string::npos)
      << row.out;

  // --verbose: a line per request and the time; --debug: headers and bodies, never secrets.
  auto verbose = Gangplank({"aks", "show", "-g", "rg1", "-n", "c1", "-o", "none", "--verbose"});
  EXPECT_NE(verbose.err.find("INFO: GET /subscriptions/"), std::string::npos) << verbose.err;
  EXPECT_NE(verbose.err.find("Command ran in"), std::string::npos);
  auto debug = Gangplank({"--debug", "aks", "show", "-g", "rg1", "-n", "c1", "-o", "none"});
  EXPECT_NE(debug.err.find("DEBUG:   response body: {"), std::string::npos) << debug.err;
  EXPECT_NE(debug.err.find("Bearer <redacted>"), std::string::npos);
  const std::string secret(json::parse(testing::ReadTestFile(dir_.Join("data/credentials.json")))
                               .at("clientSecret")
                               .as_string());
  EXPECT_EQ(debug.err.find(secret), std::string::npos);
  EXPECT_EQ(debug.err.find("access_token"), std::string::npos);

  // On a terminal (a pty from script(1)), a long operation shows a spinner, a bar and the
  // server's progress; without one (every other call here), standard error stays quiet.
  const auto scaled = GangplankOnTerminal("aks scale -g rg1 -n c1 -c 3 -o none");
  EXPECT_EQ(scaled.exit_code, 0) << scaled.out;
  EXPECT_NE(scaled.out.find("Scaling nodepool1 ["), std::string::npos) << scaled.out;
  EXPECT_NE(scaled.out.find("[####################] 100%"), std::string::npos) << scaled.out;
  EXPECT_NE(scaled.out.find("nodes provisioned and answering SSH"), std::string::npos)
      << scaled.out;
  EXPECT_EQ(Gangplank({"aks", "scale", "-g", "rg1", "-n", "c1", "-c", "2", "-o", "none"}).err, "");

  // az's other global flags: --only-show-errors drops progress and notices but keeps errors;
  // --subscription names the subscription instead of the login's.
  const auto quiet = GangplankOnTerminal("aks scale -g rg1 -n c1 -c 3 -o none --only-show-errors");
  EXPECT_EQ(quiet.exit_code, 0) << quiet.out;
  EXPECT_EQ(quiet.out.find("Scaling nodepool1"), std::string::npos) << quiet.out;
  auto missing = Gangplank({"aks", "show", "-g", "rg1", "-n", "nope", "--only-show-errors"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err.rfind("error: ", 0), 0u) << missing.err;
  const std::string subscription(json::parse(testing::ReadTestFile(dir_.Join("data/credentials.json")))
                                     .at("subscriptionId")
                                     .as_string());
  EXPECT_EQ(Gangplank({"aks", "show", "-g", "rg1", "-n", "c1", "-o", "none", "--subscription",
                       subscription})
                .exit_code,
            0);
  auto other = Gangplank({"aks", "show", "-g", "rg1", "-n", "c1", "--subscription",
                          "00000000-0000-0000-0000-000000000001"});
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_NE(other.err.find("00000000-0000-0000-0000-000000000001"), std::string::npos) << other.err;

  // Typos: "did you mean", exit 2, nothing sent.
  auto flag = Gangplank({"aks", "create", "-g", "rg1", "-n", "c9", "--ssh-key-vale", "x"});
  EXPECT_EQ(flag.exit_code, 2);
  EXPECT_NE(flag.err.find("Did you mean --ssh-key-value?"), std::string::npos) << flag.err;
  EXPECT_FALSE(ClusterExists("c9"));
  auto command = Gangplank({"aks", "nodepool", "lsit", "-g", "rg1", "--cluster-name", "c1"});
  EXPECT_EQ(command.exit_code, 2);
  EXPECT_NE(command.err.find("Did you mean list"), std::string::npos) << command.err;
}

// az's everyday flags, as a script for az writes them, land in the fields az sets, and the
// server keeps them.
TEST_F(AksCliTest, AzsFlagsForVmSizeZonesLabelsTaintsTagsAndTheAutoscalerReachTheBody) {
  ASSERT_EQ(Gangplank({"group", "create", "-n", "rg4", "-l", "westus2", "-o", "none"}).exit_code, 0);
  auto created = Gangplank({"aks", "create", "-g", "rg4", "-n", "c1", "--no-ssh-key", "-c", "1",
                            "-s", "Standard_D4s_v3", "--zones", "1", "2", "--max-pods", "50",
                            "--tags", "team=platform", "env=dev", "--network-plugin", "AZURE",
                            "--enable-cluster-autoscaler", "--min-count", "1", "--max-count", "3",
                            "-k", "1.27.3", "--yes", "-o", "json"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const json::value cluster = json::parse(created.out);
  const json::value& pool = cluster.at("agentPoolProfiles").at(0);
  EXPECT_EQ(pool.at("vmSize"), "Standard_D4s_v3");
  EXPECT_EQ(pool.at("availabilityZones"), json::parse(R"(["1","2"])"));
  EXPECT_EQ(pool.at("maxPods"), 50);
  EXPECT_EQ(pool.at("enableAutoScaling"), true);
  EXPECT_EQ(pool.at("minCount"), 1);
  EXPECT_EQ(pool.at("maxCount"), 3);
  EXPECT_EQ(pool.at("orchestratorVersion"), "1.27.3");
  EXPECT_EQ(cluster.at("tags"), json::parse(R"({"team":"platform","env":"dev"})"));
  EXPECT_EQ(cluster.at("networkProfile").at("networkPlugin"), "azure");
  EXPECT_EQ(cluster.at("kubernetesVersion"), "1.27.3");

  auto added = Gangplank({"aks", "nodepool", "add", "-g", "rg4", "--cluster-name", "c1", "-n",
                          "gpu", "-c", "1", "--labels", "sku=gpu", "tier=a", "--node-taints",
                          "sku=gpu:NoSchedule,zone=a:NoExecute", "--mode", "user",
                          "--ssh-access", "Disabled", "-o", "json"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  const json::value properties = json::parse(added.out);
  EXPECT_EQ(properties.at("nodeLabels"), json::parse(R"({"sku":"gpu","tier":"a"})"));
  EXPECT_EQ(properties.at("nodeTaints"),
            json::parse(R"(["sku=gpu:NoSchedule","zone=a:NoExecute"])"));
  EXPECT_EQ(properties.at("mode"), "User");
  EXPECT_EQ(properties.at("securityProfile").at("sshAccess"), "Disabled");

  // nodepool update: GET, change, PUT; what was not named stays.
  auto updated = Gangplank({"aks", "nodepool", "update", "-g", "rg4", "--cluster-name", "c1",
                            "-n", "gpu", "--labels", "sku=cpu", "--max-surge", "50%", "-o",
                            "json"});
  ASSERT_EQ(updated.exit_code, 0) << updated.err;
  const json::value after = json::parse(updated.out);
  EXPECT_EQ(after.at("nodeLabels"), json::parse(R"({"sku":"cpu"})"));
  EXPECT_EQ(after.at("upgradeSettings").at("maxSurge"), "50%");
  EXPECT_EQ(after.at("nodeTaints").as_array().size(), 2u);

  // Wrong values are az's errors, with exit code 2 and nothing sent.
  auto wrong = Gangplank({"aks", "nodepool", "add", "-g", "rg4", "--cluster-name", "c1", "-n",
                          "bad", "--zones", "4"});
  EXPECT_EQ(wrong.exit_code, 2);
  EXPECT_NE(wrong.err.find("argument --zones: invalid choice: '4'"), std::string::npos)
      << wrong.err;
  EXPECT_EQ(Gangplank({"aks", "nodepool", "show", "-g", "rg4", "--cluster-name", "c1", "-n",
                       "bad"})
                .exit_code,
            1);
  // aks-preview's flags: a file in base64, host port ranges, IP tags, a three-state switch, the
  // SKU tier, and a URL parameter of a delete.
  testing::WriteTestFile(dir_.Join("motd"), "Authorized use only\n");
  auto preview = Gangplank({"aks", "nodepool", "add", "-g", "rg4", "--cluster-name", "c1", "-n",
                            "edge", "-c", "1", "--message-of-the-day", dir_.Join("motd"),
                            "--allowed-host-ports", "80/tcp,4000-4100/UDP", "--node-public-ip-tags",
                            "RoutingPreference=Internet", "--workload-runtime", "wasmwasi", "-o",
                            "json"});
  ASSERT_EQ(preview.exit_code, 0) << preview.err;
  const json::value edge = json::parse(preview.out);
  EXPECT_EQ(edge.at("messageOfTheDay"), "QXV0aG9yaXplZCB1c2Ugb25seQo=");
  EXPECT_EQ(edge.at("networkProfile"), json::parse(R"({
      "allowedHostPorts": [{"portStart": 80, "portEnd": 80, "protocol": "TCP"},
                           {"portStart": 4000, "portEnd": 4100, "protocol": "UDP"}],
      "nodePublicIPTags": [{"ipTagType": "RoutingPreference", "tag": "Internet"}]})"));
  EXPECT_EQ(edge.at("workloadRuntime"), "WasmWasi");
  auto tiered = Gangplank({"aks", "update", "-g", "rg4", "-n", "c1", "--tier", "standard",
                           "--enable-workload-identity", "--node-os-upgrade-channel", "nodeimage",
                           "-o", "json"});
  ASSERT_EQ(tiered.exit_code, 0) << tiered.err;
  const json::value tier = json::parse(tiered.out);
  EXPECT_EQ(tier.at("sku"), json::parse(R"({"name": "Base", "tier": "Standard"})"));
  EXPECT_EQ(tier.at("securityProfile").at("workloadIdentity").at("enabled"), true);
  EXPECT_EQ(tier.at("autoUpgradeProfile").at("nodeOSUpgradeChannel"), "NodeImage");
  for (const auto& [flag, value, error] :
       {std::tuple{"--allowed-host-ports", "80/icmp", "is not PORT[-PORT]/tcp|udp"},
        std::tuple{"--node-public-ip-tags", "Internet", "is not TYPE=TAG"},
        std::tuple{"--message-of-the-day", "/nonexistent/motd", "cannot read"}}) {
    auto refused = Gangplank({"aks", "nodepool", "add", "-g", "rg4", "--cluster-name", "c1", "-n",
                              "bad", flag, value});
    EXPECT_EQ(refused.exit_code, 2) << flag;
    EXPECT_NE(refused.err.find(error), std::string::npos) << refused.err;
  }
  auto snapshot = Gangplank({"aks", "update", "-g", "rg4", "-n", "c1", "--cluster-snapshot-id", "x"});
  EXPECT_EQ(snapshot.exit_code, 2);
  EXPECT_NE(snapshot.err.find("cluster snapshots are not kept here"), std::string::npos)
      << snapshot.err;
  auto deleted = Gangplank({"aks", "nodepool", "delete", "-g", "rg4", "--cluster-name", "c1", "-n",
                            "edge", "-i", "true", "--verbose"});
  EXPECT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_NE(deleted.err.find("edge?api-version=2026-08-01&ignore-pod-disruption-budget=true"),
            std::string::npos)
      << deleted.err;
}

// az's wait, nodepool stop/start and upgrade --node-image-only, and what they print: az's shape
// (properties lifted, az's names, resourceGroup).
TEST_F(AksCliTest, WaitPoolStopStartAndUpgradeAsAzDoesThem) {
  ASSERT_EQ(Gangplank({"group", "create", "-n", "rg5", "-l", "westus2", "-o", "none"}).exit_code, 0);
  ASSERT_EQ(Gangplank({"aks", "create", "-g", "rg5", "-n", "c1", "-c", "1", "--no-ssh-key",
                       "--no-wait", "-o", "none"})
                .exit_code,
            0);
  auto created = Gangplank({"aks", "wait", "-g", "rg5", "-n", "c1", "--created", "--interval",
                            "1", "--timeout", "120"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_EQ(created.out, "");
  auto shown = Gangplank({"aks", "show", "-g", "rg5", "-n", "c1", "-o", "json"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  const json::object cluster = json::parse(shown.out).as_object();
  EXPECT_EQ(cluster.at("provisioningState"), "Succeeded");
  EXPECT_EQ(cluster.at("resourceGroup"), "rg5");
  EXPECT_FALSE(cluster.contains("properties"));
  EXPECT_TRUE(cluster.at("agentPoolProfiles").at(0).as_object().contains("enableFips"));

  const std::vector<std::string> pool = {"-g", "rg5", "--cluster-name", "c1", "-n", "nodepool1"};
  auto with = [&](std::vector<std::string> head, std::vector<std::string> tail = {}) {
    head.insert(head.end(), pool.begin(), pool.end());
    head.insert(head.end(), tail.begin(), tail.end());
    return Gangplank(head);
  };
  auto stopped = with({"aks", "nodepool", "stop"}, {"-o", "json"});
  ASSERT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_EQ(json::parse(stopped.out).at("powerState").at("code"), "Stopped");
  EXPECT_EQ(with({"aks", "nodepool", "wait"},
                 {"--custom", "powerState.code=='Stopped'", "--interval", "1", "--timeout", "30"})
                .exit_code,
            0);
  auto started = with({"aks", "nodepool", "start"}, {"--query", "powerState.code", "-o", "tsv"});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  EXPECT_EQ(started.out, "Running\n");

  auto upgraded = Gangplank({"aks", "upgrade", "-g", "rg5", "-n", "c1", "--node-image-only",
                             "--yes", "-o", "none"});
  ASSERT_EQ(upgraded.exit_code, 0) << upgraded.err;
  auto machines = Gangplank({"aks", "machine", "list", "-g", "rg5", "--cluster-name", "c1",
                             "--query", "[?!latestModelApplied].name", "-o", "tsv"});
  EXPECT_EQ(machines.out, "");

  // az's errors: no condition; a condition that never holds (timed out).
  auto no_condition = Gangplank({"aks", "wait", "-g", "rg5", "-n", "c1"});
  EXPECT_EQ(no_condition.exit_code, 2);
  EXPECT_NE(no_condition.err.find("--created | --updated | --deleted | --exists | --custom"),
            std::string::npos);
  auto never = Gangplank({"aks", "wait", "-g", "rg5", "-n", "c1", "--custom",
                          "provisioningState=='Nope'", "--interval", "1", "--timeout", "2"});
  EXPECT_EQ(never.exit_code, 1);
  EXPECT_NE(never.err.find("Wait operation timed-out after 2 seconds"), std::string::npos)
      << never.err;

  ASSERT_EQ(Gangplank({"aks", "delete", "-g", "rg5", "-n", "c1", "--yes", "--no-wait"}).exit_code,
            0);
  EXPECT_EQ(Gangplank({"aks", "wait", "-g", "rg5", "-n", "c1", "--deleted", "--interval", "1",
                       "--timeout", "120"})
                .exit_code,
            0);
}

// aks ssh says, from the API and before ssh fails, why it cannot get in, with the command that
// fixes it: no key on the cluster, a key not yet applied, SSH disabled, a stopped node.
TEST_F(AksCliTest, SshSaysWhyItCannotGetInAndWhatFixesIt) {
  ASSERT_EQ(
      RunProgram({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", home_.Join(".ssh/id_rsa")})
          .exit_code,
      0);
  ASSERT_EQ(Gangplank({"group", "create", "-n", "rg6", "-l", "westus2", "-o", "none"}).exit_code, 0);
  ASSERT_EQ(Gangplank({"aks", "create", "-g", "rg6", "-n", "c1", "-c", "1", "--no-ssh-key", "-o",
                       "none"})
                .exit_code,
            0);
  const auto ssh = [&] { return Gangplank({"aks", "ssh", "-g", "rg6", "-n", "c1", "--", "true"}); };
  auto no_key = ssh();
  EXPECT_EQ(no_key.exit_code, 1);
  EXPECT_NE(no_key.err.find("has no SSH key"), std::string::npos) << no_key.err;
  EXPECT_NE(no_key.err.find("gangplank aks update -g rg6 -n c1 --ssh-key-value"), std::string::npos)
      << no_key.err;

  ASSERT_EQ(Gangplank({"aks", "update", "-g", "rg6", "-n", "c1", "--ssh-key-value",
                       "~/.ssh/id_rsa.pub", "-o", "none"})
                .exit_code,
            0);
  auto pending = ssh();  // ssh itself is refused; then the reason
  EXPECT_EQ(pending.exit_code, 255);
  EXPECT_NE(pending.err.find("has not applied its pool's latest model"), std::string::npos)
      << pending.err;
  EXPECT_NE(pending.err.find("gangplank aks nodepool upgrade -g rg6 --cluster-name c1 -n "
                             "nodepool1 --node-image-only"),
            std::string::npos)
      << pending.err;
  const std::vector<std::string> reimage = {"aks", "nodepool", "upgrade", "-g", "rg6",
                                            "--cluster-name", "c1", "-n", "nodepool1",
                                            "--node-image-only", "-o", "none"};
  ASSERT_EQ(Gangplank(reimage).exit_code, 0);
  auto in = ssh();
  EXPECT_EQ(in.exit_code, 0) << in.err;

  ASSERT_EQ(Gangplank({"aks", "nodepool", "update", "-g", "rg6", "--cluster-name", "c1", "-n",
                       "nodepool1", "--ssh-access", "disabled", "--yes", "-o", "none"})
                .exit_code,
            0);
  ASSERT_EQ(Gangplank(reimage).exit_code, 0);
  auto disabled = ssh();
  EXPECT_EQ(disabled.exit_code, 1);
  EXPECT_NE(disabled.err.find("SSH is disabled on node"), std::string::npos) << disabled.err;
  EXPECT_NE(disabled.err.find("--ssh-access localuser"), std::string::npos) << disabled.err;

  ASSERT_EQ(Gangplank({"aks", "stop", "-g", "rg6", "-n", "c1"}).exit_code, 0);
  auto stopped = ssh();
  EXPECT_EQ(stopped.exit_code, 1);
  EXPECT_NE(stopped.err.find("is stopped"), std::string::npos) << stopped.err;
  EXPECT_NE(stopped.err.find("gangplank aks start -g rg6 -n c1"), std::string::npos)
      << stopped.err;
}

TEST_F(AksCliTest, LoginWithServerAndCredentialsAndItsErrors) {
  const json::object credentials =
      json::parse(testing::ReadTestFile(dir_.Join("data/credentials.json"))).as_object();
  const std::string server = "https://127.0.0.1:" + std::to_string(port_) + "/";
  const std::string id(credentials.at("clientId").as_string());
  const std::string secret(credentials.at("clientSecret").as_string());
  const std::string ca = dir_.Join("data/tls/ca.crt");
  std::filesystem::remove(dir_.Join("config/config.json"));

  // Pieces missing: a usage error naming both ways to log in.
  auto partial = Gangplank({"login", "--server", server, "--client-id", id});
  EXPECT_EQ(partial.exit_code, 2);
  EXPECT_NE(partial.err.find("--data-dir"), std::string::npos) << partial.err;
  // A wrong secret: refused by the server, the secret not echoed, no config written.
  auto wrong = Gangplank({"login", "--server", server, "--client-id", id, "--client-secret",
                          "not-the-secret-123", "--ca-file", ca});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_NE(wrong.err.find("login refused"), std::string::npos) << wrong.err;
  EXPECT_EQ(wrong.err.find("not-the-secret-123"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir_.Join("config/config.json")));
  // A CA that did not sign the server's certificate: a TLS error, nothing saved.
  testing::TempDir other;
  ASSERT_EQ(RunProgram({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=other", "-keyout",
                        other.Join("key.pem"), "-out", other.Join("ca.crt"), "-days", "1"})
                .exit_code,
            0);
  auto untrusted = Gangplank({"login", "--server", server, "--client-id", id, "--client-secret",
                              secret, "--ca-file", other.Join("ca.crt")});
  EXPECT_EQ(untrusted.exit_code, 1);
  EXPECT_NE(untrusted.err.find("certificate"), std::string::npos) << untrusted.err;
  EXPECT_FALSE(std::filesystem::exists(dir_.Join("config/config.json")));

  // The secret from standard input: logged in, and the CLI works.
  std::vector<std::string> args = {GANGPLANK_CLI_PATH, "login", "--server", server, "--client-id",
                                   id, "--client-secret", "-", "--ca-file", ca};
  testing::RunOptions options = testing::RunOptions::WithStdin(secret + "\n");
  options.env = {{"HOME", home_.path().string()}, {"GANGPLANK_CONFIG_DIR", dir_.Join("config")}};
  auto login = RunProgram(args, options);
  ASSERT_EQ(login.exit_code, 0) << login.err;
  EXPECT_EQ(testing::FileMode(dir_.Join("config/config.json")), 0600u);
  EXPECT_EQ(Gangplank({"group", "show", "-n", "rg1", "--query", "name", "-o", "tsv"}).out, "rg1\n");

  // The next run reuses the token and the TLS session (0600 files; the secret is in neither).
  auto again = Gangplank({"--verbose", "group", "show", "-n", "rg1", "-o", "none"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("token: from"), std::string::npos) << again.err;
  EXPECT_EQ(again.err.find("/oauth2/"), std::string::npos) << "no token request: " << again.err;
  for (const char* file : {"config/tokens.json", "config/tls-session"}) {
    EXPECT_EQ(testing::FileMode(dir_.Join(file)), 0600u) << file;
    EXPECT_EQ(testing::ReadTestFile(dir_.Join(file)).find(secret), std::string::npos) << file;
  }
  // A session is resumed only by a client that trusts the CA it was made with: pointed at
  // another CA, the client checks the certificate again, and refuses it.
  const std::string config = testing::ReadTestFile(dir_.Join("config/config.json"));
  std::string other_ca = config;
  other_ca.replace(other_ca.find(ca), ca.size(), other.Join("ca.crt"));
  testing::WriteTestFile(dir_.Join("config/config.json"), other_ca, 0600);
  auto resumed = Gangplank({"group", "show", "-n", "rg1", "-o", "none"});
  EXPECT_EQ(resumed.exit_code, 1);
  EXPECT_NE(resumed.err.find("certificate"), std::string::npos) << resumed.err;
  testing::WriteTestFile(dir_.Join("config/config.json"), config, 0600);

  // A cluster made with --no-ssh-key takes a key later with aks update.
  ASSERT_EQ(Gangplank({"aks", "create", "-g", "rg1", "-n", "nokey", "-c", "1", "--no-ssh-key",
                       "-o", "none"})
                .exit_code,
            0);
  ASSERT_EQ(
      RunProgram({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", home_.Join(".ssh/later")})
          .exit_code,
      0);
  auto keyed = Gangplank({"aks", "update", "-g", "rg1", "-n", "nokey", "--ssh-key-value",
                          "~/.ssh/later.pub", "--query",
                          "linuxProfile.ssh.publicKeys[0].keyData", "-o", "tsv"});
  ASSERT_EQ(keyed.exit_code, 0) << keyed.err;
  EXPECT_EQ(keyed.out, testing::ReadTestFile(home_.Join(".ssh/later.pub")));
}

TEST(LocalCliTest, UpStatusDownStartsAndStopsABackgroundControlPlane) {
  testing::TempDir home;
  const std::string data_dir = home.Join("data");
  const int port = testing::FreeLoopbackPort();
  const auto gangplank = [&](std::vector<std::string> args) {
    args.insert(args.begin(), GANGPLANK_CLI_PATH);
    testing::RunOptions options;
    options.env = {{"HOME", home.path().string()}, {"GANGPLANK_CONFIG_DIR", home.Join("config")}};
    return RunProgram(args, options);
  };
  EXPECT_EQ(gangplank({"local", "status", "--data-dir", data_dir}).exit_code, 3);
  auto up = gangplank(
      {"local", "up", "--data-dir", data_dir, "--listen", "127.0.0.1:" + std::to_string(port)});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  const pid_t pid = std::stoi(testing::ReadTestFile(data_dir + "/gangplankd.pid"));
  auto status = gangplank({"local", "status", "--data-dir", data_dir});
  EXPECT_EQ(status.exit_code, 0);
  EXPECT_EQ(json::parse(status.out).at("running"), true);
  // `up` logged the CLI in.
  EXPECT_EQ(gangplank({"group", "create", "-n", "rg1", "-o", "none"}).exit_code, 0);
  auto again = gangplank(
      {"local", "up", "--data-dir", data_dir, "--listen", "127.0.0.1:" + std::to_string(port)});
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_NE(again.err.find("already runs"), std::string::npos);
  auto down = gangplank({"local", "down", "--data-dir", data_dir});
  EXPECT_EQ(down.exit_code, 0) << down.err;
  // Gone: an exited process that init has not reaped yet has an empty command line.
  const auto cmdline = RunProgram({"cat", "/proc/" + std::to_string(pid) + "/cmdline"});
  EXPECT_EQ(cmdline.out.find("gangplankd"), std::string::npos);
  EXPECT_EQ(gangplank({"local", "status", "--data-dir", data_dir}).exit_code, 3);
  if (cmdline.out.find("gangplankd") != std::string::npos)
    ::kill(pid, SIGKILL);  // never leave it behind, even on failure
}

}  // namespace
}  // namespace gangplank::cli
