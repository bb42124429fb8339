// End to end with real parts: gangplankd (as root) runs every node as a container (runc, from a
// node image built with debootstrap) whose agent runs a real sshd, and the real ssh client logs in
// with the keys the API was given. Key rotation reaches running
// nodes only with a node image upgrade; --no-ssh-key nodes admit no user key; sshAccess Disabled
// closes the port; a control plane killed mid-upgrade finishes it after a restart.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include "node/sshd_process.h"
#include "sshkey/generate.h"
#include "support/https_client.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace gangplank {
namespace {
namespace json = boost::json;
using testing::RunProgram;

// The newest stable version: machines and securityProfile.sshAccess are part of it.
constexpr const char* kVersion = "?api-version=2026-08-01";

class LocalNodesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "local nodes need root (CI runs as root)";
    key_a_ = WriteKey("a");
    key_b_ = WriteKey("b");
    Start();
    Call("PUT", "/subscriptions/" + Subscription() + "/resourceGroups/rg1?api-version=2021-04-01",
         R"({"location":"westus2"})");
  }

  void TearDown() override {
    server_.reset();  // SIGTERM, then SIGKILL
    // Every node, its disk and the node bridge are gone, whatever the test did.
    RunProgram({GANGPLANKD_PATH, "stop-nodes", "--data-dir", dir_.Join("data"), "--nodes-dir",
                nodes_.path().string(), "--remove"});
    EXPECT_EQ(RunningNodeProcesses(), 0);
  }

  void Start(const std::string& agent = GANGPLANK_NODE_PATH, const std::string& timeout = "60") {
    server_ = testing::StartListening(
        [&](int port) {
          return std::vector<std::string>{
              GANGPLANKD_PATH, "--data-dir",     dir_.Join("data"), "--listen",
              "127.0.0.1:" + std::to_string(port), "--nodes", "local", "--nodes-dir",
              nodes_.path().string(), "--node-agent", agent, "--node-timeout", timeout};
        },
        dir_.Join("gangplankd.log"), port_);
    ASSERT_TRUE(server_) << testing::ReadTestFile(dir_.Join("gangplankd.log"));
    client_ = std::make_unique<testing::HttpsClient>(port_, dir_.Join("data/tls/ca.crt"));
    token_.clear();
  }

  // Directories of nodes (named by uid) in the nodes directory; beside them are control/ (the
  // node gateway's socket), .runc/ (runc's state) and the bridge's name.
  int NodeDirectories() const {
    int count = 0;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(nodes_.path(), ec))
      count += entry.path().filename().string().size() == 36;
    return count;
  }

  void Kill9() {
    ::kill(server_->pid(), SIGKILL);
    server_->Stop();
    client_.reset();
  }

  std::string Subscription() const {
    return std::string(json::parse(testing::ReadTestFile(dir_.Join("data/credentials.json")))
                           .at("subscriptionId")
                           .as_string());
  }
  std::string Cluster(const std::string& name = "c1") const {
    return "/subscriptions/" + Subscription() +
           "/resourceGroups/rg1/providers/Microsoft.ContainerService/managedClusters/" + name;
  }

  testing::HttpsReply Call(const std::string& method, const std::string& path,
                           const std::string& body = "") {
    if (token_.empty()) {
      const json::object credentials =
          json::parse(testing::ReadTestFile(dir_.Join("data/credentials.json"))).as_object();
      const auto reply = client_->Request(
          "POST", "/adfs/oauth2/v2.0/token",
          "grant_type=client_credentials&client_id=" +
              std::string(credentials.at("clientId").as_string()) +
              "&client_secret=" + std::string(credentials.at("clientSecret").as_string()) +
              "&scope=https://127.0.0.1:" + std::to_string(port_) + "//.default",
          {{"Content-Type", "application/x-www-form-urlencoded"}});
      token_ = std::string(json::parse(reply.body).at("access_token").as_string());
    }
    return client_->Request(
        method, path, body,
        {{"Authorization", "Bearer " + token_}, {"Content-Type", "application/json"}});
  }

  std::string WriteKey(const std::string& name) {
    auto pair = sshkey::GenerateKeyPair({sshkey::KeyKind::kEd25519, 0, name + "@laptop"});
    EXPECT_TRUE(sshkey::WriteKeyPair(*pair, {keys_.Join(name), keys_.Join(name + ".pub")}).ok());
    return keys_.Join(name);
  }
  std::string PublicKey(const std::string& path) {
    std::string key = testing::ReadTestFile(path + ".pub");
    while (!key.empty() && key.back() == '\n') key.pop_back();
    return key;
  }

  std::string ClusterBody(const std::string& key_path, int count,
                          const std::string& pool_extra = "") {
    json::object properties{
        {"agentPoolProfiles", json::parse(R"([{"name":"nodepool1","mode":"System","count":)" +
                                          std::to_string(count) + pool_extra + "}]")}};
    if (!key_path.empty()) {
      properties["linuxProfile"] = json::object{
          {"adminUsername", "azureuser"},
          {"ssh", json::object{{"publicKeys",
                                json::array{json::object{{"keyData", PublicKey(key_path)}}}}}}};
    }
    return json::serialize(json::object{{"location", "westus2"}, {"properties", properties}});
  }

  // Polls the resource until it leaves the transitional state; returns the final state.
  std::string WaitFor(const std::string& path,
                      std::chrono::seconds limit = std::chrono::seconds(90)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    std::string state;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto reply = Call("GET", path + kVersion);
      if (reply.status == 404) return "NotFound";
      state =
          std::string(json::parse(reply.body).at("properties").at("provisioningState").as_string());
      if (state == "Succeeded" || state == "Failed") return state;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return "timed out in " + state;
  }

  json::array Machines(const std::string& cluster = "c1") {
    const auto reply = Call("GET", Cluster(cluster) + "/agentPools/nodepool1/machines" + kVersion);
    EXPECT_EQ(reply.status, 200) << reply.body;
    return json::parse(reply.body).at("value").as_array();
  }

  static std::string Address(const json::value& machine) {
    return std::string(
        machine.at("properties").at("network").at("ipAddresses").at(0).at("ip").as_string());
  }

  // The real ssh, with a known_hosts made from the host keys the API reports (never
  // StrictHostKeyChecking=no).
  int Ssh(const std::string& identity, const json::value& machine) {
    std::string known_hosts;
    for (const auto& key : machine.at("properties").at("hostKeys").as_array())
      known_hosts += Address(machine) + " " + std::string(key.as_string()) + "\n";
    testing::WriteTestFile(keys_.Join("known_hosts"), known_hosts);
    const auto result =
        RunProgram({"ssh", "-F", "/dev/null", "-i", identity, "-o", "IdentitiesOnly=yes", "-o",
                    "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o",
                    "UserKnownHostsFile=" + keys_.Join("known_hosts"), "-o", "ConnectTimeout=5",
                    "azureuser@" + Address(machine), "echo", "on-node"},
                   testing::RunOptions::WithTimeout(std::chrono::seconds(30)));
    if (result.exit_code == 0) {
      EXPECT_EQ(result.out, "on-node\n");
    }
    return result.exit_code;
  }

  // 0 on every node for `in`, 255 (refused) on every node for `out`.
  void ExpectOnlyKeyWorks(const std::string& in, const std::string& out) {
    for (const auto& machine : Machines()) {
      EXPECT_EQ(Ssh(in, machine), 0) << Address(machine) << " should let " << in << " in";
      EXPECT_EQ(Ssh(out, machine), 255) << Address(machine) << " should refuse " << out;
    }
  }

  // Nodes whose container runs: the first process runc started (its pid file) is alive and in
  // the node's own cgroup.
  int RunningNodeProcesses() {
    int count = 0;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(nodes_.path(), ec)) {
      const std::string uid = entry.path().filename().string();
      if (uid.size() != 36) continue;
      const auto read = [](const std::string& path) {
        std::ifstream in(path);
        return std::string(std::istreambuf_iterator<char>(in), {});
      };
      const std::string pid = read((entry.path() / "init.pid").string());
      if (pid.empty()) continue;
      const std::string cgroup = read("/proc/" + pid + "/cgroup");
      count += cgroup.find("/gangplank/" + uid) != std::string::npos;
    }
    return count;
  }

  testing::TempDir dir_;
  testing::TempDir keys_;
  testing::TempDir nodes_{"/var/lib/gangplank-test", 0755};
  int port_ = 0;
  std::string token_;
  std::unique_ptr<testing::BackgroundProcess> server_;
  std::unique_ptr<testing::HttpsClient> client_;
  std::string key_a_, key_b_;
};

TEST_F(LocalNodesTest, ANewKeyReachesRunningNodesOnlyWithANodeImageUpgrade) {
  ASSERT_EQ(Call("PUT", Cluster() + kVersion, ClusterBody(key_a_, 2)).status, 201);
  ASSERT_EQ(WaitFor(Cluster()), "Succeeded") << testing::ReadTestFile(dir_.Join("gangplankd.log"));
  const json::array before = Machines();
  ASSERT_EQ(before.size(), 2u);
  for (const auto& machine : before) {
    EXPECT_EQ(machine.at("properties").at("state"), "Running");
    EXPECT_EQ(machine.at("properties").at("hostKeyFingerprints").as_array().size(), 2u);
  }
  ExpectOnlyKeyWorks(key_a_, key_b_);

  // The update changes the pool's model; the running nodes keep key A and show it.
  ASSERT_EQ(Call("PUT", Cluster() + kVersion, ClusterBody(key_b_, 2)).status, 200);
  ASSERT_EQ(WaitFor(Cluster()), "Succeeded");
  for (const auto& machine : Machines())
    EXPECT_EQ(machine.at("properties").at("latestModelApplied"), false);
  ExpectOnlyKeyWorks(key_a_, key_b_);

  // The node image upgrade reimages them: new host keys, key B only.
  const auto upgrade =
      Call("POST", Cluster() + "/agentPools/nodepool1/upgradeNodeImageVersion" + kVersion);
  ASSERT_EQ(upgrade.status, 202) << upgrade.body;
  ASSERT_EQ(WaitFor(Cluster() + "/agentPools/nodepool1"), "Succeeded");
  const json::array after = Machines();
  for (std::size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].at("properties").at("latestModelApplied"), true);
    EXPECT_NE(after[i].at("properties").at("hostKeyFingerprints"),
              before[i].at("properties").at("hostKeyFingerprints"));
  }
  ExpectOnlyKeyWorks(key_b_, key_a_);

  // Scale out after the update: the new node takes only key B at once.
  ASSERT_EQ(Call("PUT", Cluster() + "/agentPools/nodepool1" + kVersion,
                 R"({"properties":{"count":3,"mode":"System"}})")
                .status,
            200);
  ASSERT_EQ(WaitFor(Cluster() + "/agentPools/nodepool1"), "Succeeded");
  ASSERT_EQ(Machines().size(), 3u);
  ExpectOnlyKeyWorks(key_b_, key_a_);

  // The audit trail: who logged in with which key, and the node's logs.
  const std::string machine(Machines()[0].at("name").as_string());
  const auto logs =
      Call("GET", Cluster() + "/agentPools/nodepool1/machines/" + machine + "/logs" + kVersion);
  ASSERT_EQ(logs.status, 200);
  const json::object log_doc = json::parse(logs.body).as_object();
  bool accepted = false, refused = false;
  for (const auto& event : log_doc.at("loginEvents").as_array()) {
    accepted = accepted || event.at("result") == "Accepted";
    refused = refused || event.at("result") == "Refused";
  }
  EXPECT_TRUE(accepted && refused) << logs.body;
  EXPECT_NE(log_doc.at("logs").as_string().find("sshd"), std::string::npos);
}

TEST_F(LocalNodesTest, NoSshKeyNodesAdmitNoUserKeyAndDisabledClosesThePort) {
  ASSERT_EQ(Call("PUT", Cluster() + kVersion, ClusterBody("", 1)).status, 201);
  ASSERT_EQ(WaitFor(Cluster()), "Succeeded") << testing::ReadTestFile(dir_.Join("gangplankd.log"));
  for (const auto& machine : Machines()) {
    EXPECT_EQ(machine.at("properties").at("sshdHealth"), "Healthy");
    EXPECT_EQ(Ssh(key_a_, machine), 255);
    EXPECT_EQ(Ssh(key_b_, machine), 255);
  }
  // sshAccess Disabled applies at the next reimage, and then no sshd listens.
  ASSERT_EQ(Call("PUT", Cluster() + "/agentPools/nodepool1" + kVersion,
                 R"({"properties":{"count":1,"mode":"System",
                     "securityProfile":{"sshAccess":"Disabled"}}})")
                .status,
            200);
  ASSERT_EQ(WaitFor(Cluster() + "/agentPools/nodepool1"), "Succeeded");
  const std::string address = Address(Machines()[0]);
  EXPECT_TRUE(node::SshBannerAnswers(address, 22, std::chrono::milliseconds(1000)));
  ASSERT_EQ(
      Call("POST", Cluster() + "/agentPools/nodepool1/upgradeNodeImageVersion" + kVersion).status,
      202);
  ASSERT_EQ(WaitFor(Cluster() + "/agentPools/nodepool1"), "Succeeded");
  EXPECT_EQ(Machines()[0].at("properties").at("sshdHealth"), "Disabled");
  EXPECT_FALSE(node::SshBannerAnswers(address, 22, std::chrono::milliseconds(1000)))
      << RunProgram({"ss", "-ltnp"}).out;
}

TEST_F(LocalNodesTest, AControlPlaneKilledMidUpgradeFinishesItAndAdoptsItsNodes) {
  // maxSurge 1: four reimages one after another, so the kill lands in the middle.
  ASSERT_EQ(Call("PUT", Cluster() + kVersion,
                 ClusterBody(key_a_, 4, R"(,"upgradeSettings":{"maxSurge":"1"})"))
                .status,
            201);
  ASSERT_EQ(WaitFor(Cluster()), "Succeeded") << testing::ReadTestFile(dir_.Join("gangplankd.log"));
  ASSERT_EQ(Call("PUT", Cluster() + kVersion,
                 ClusterBody(key_b_, 4, R"(,"upgradeSettings":{"maxSurge":"1"})"))
                .status,
            200);
  ASSERT_EQ(WaitFor(Cluster()), "Succeeded");
  ASSERT_EQ(
      Call("POST", Cluster() + "/agentPools/nodepool1/upgradeNodeImageVersion" + kVersion).status,
      202);
  // Kill it at several points: after the first, second and third node are reimaged.
  for (int point = 1; point <= 3; ++point) {
    for (int i = 0; i < 300; ++i) {
      int current = 0;
      for (const auto& machine : Machines())
        current += machine.at("properties").at("latestModelApplied") == true ? 1 : 0;
      if (current >= point) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    Kill9();
    EXPECT_EQ(RunningNodeProcesses(), 4) << "at point " << point;  // nodes outlive it, like VMs
    Start();
  }
  ASSERT_EQ(WaitFor(Cluster() + "/agentPools/nodepool1"), "Succeeded")
      << testing::ReadTestFile(dir_.Join("gangplankd.log"));
  for (const auto& machine : Machines())
    EXPECT_EQ(machine.at("properties").at("latestModelApplied"), true);
  ExpectOnlyKeyWorks(key_b_, key_a_);
  EXPECT_EQ(RunningNodeProcesses(), 4);  // adopted: none lost, none started twice

  // Deleting the cluster leaves no node process and no node directory behind.
  ASSERT_EQ(Call("DELETE", Cluster() + kVersion).status, 202);
  EXPECT_EQ(WaitFor(Cluster()), "NotFound");
  EXPECT_EQ(RunningNodeProcesses(), 0);
  EXPECT_EQ(NodeDirectories(), 0) << "the last node leaves no directory behind";
}

TEST_F(LocalNodesTest, AStoppedClusterRunsNoSshdAndStartBringsTheSameNodesBack) {
  ASSERT_EQ(Call("PUT", Cluster() + kVersion, ClusterBody(key_a_, 2)).status, 201);
  ASSERT_EQ(WaitFor(Cluster()), "Succeeded");
  const json::array before = Machines();
  ASSERT_EQ(Call("POST", Cluster() + "/stop" + kVersion).status, 202);
  ASSERT_EQ(WaitFor(Cluster()), "Succeeded");
  for (const auto& machine : Machines()) {
    EXPECT_EQ(machine.at("properties").at("state"), "Stopped");
    EXPECT_FALSE(node::SshBannerAnswers(Address(machine), 22, std::chrono::milliseconds(500)))
        << Address(machine) << " still answers SSH while stopped";
  }
  EXPECT_EQ(RunningNodeProcesses(), 2);  // the machines exist; only their sshd is down

  ASSERT_EQ(Call("POST", Cluster() + "/start" + kVersion).status, 202);
  ASSERT_EQ(WaitFor(Cluster()), "Succeeded");
  const json::array after = Machines();
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < after.size(); ++i) {
    // No reimage: the same host keys, the same key lets the user in.
    EXPECT_EQ(after[i].at("properties").at("hostKeys"), before[i].at("properties").at("hostKeys"));
    EXPECT_EQ(Ssh(key_a_, after[i]), 0);
  }
}

TEST_F(LocalNodesTest, AnAbortedUpgradeLeavesReimagedNodesOnTheNewKeyAndTheRestOnTheOld) {
  // Eight nodes reimaged one at a time (about 0.2 s a batch); the abort comes as the first batch
  // starts, long before the last.
  ASSERT_EQ(Call("PUT", Cluster() + kVersion,
                 ClusterBody(key_a_, 8, R"(,"upgradeSettings":{"maxSurge":"1"})"))
                .status,
            201);
  ASSERT_EQ(WaitFor(Cluster()), "Succeeded");
  ASSERT_EQ(Call("PUT", Cluster() + kVersion,
                 ClusterBody(key_b_, 8, R"(,"upgradeSettings":{"maxSurge":"1"})"))
                .status,
            200);
  ASSERT_EQ(WaitFor(Cluster()), "Succeeded");
  const std::string pool = Cluster() + "/agentPools/nodepool1";
  ASSERT_EQ(Call("POST", pool + "/upgradeNodeImageVersion" + kVersion).status, 202);
  for (int i = 0; i < 300; ++i) {  // until the first node has been told to reimage
    const json::array machines = Machines();
    if (std::any_of(machines.begin(), machines.end(), [](const json::value& m) {
          return m.at("properties").at("state") != "Running" ||
                 m.at("properties").at("latestModelApplied") == true;
        }))
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const auto abort = Call("POST", pool + "/abort" + kVersion);
  ASSERT_TRUE(abort.status == 202 || abort.status == 204) << abort.body;
  std::string state;
  for (int i = 0; i < 600; ++i) {
    state = std::string(json::parse(Call("GET", pool + kVersion).body)
                            .at("properties")
                            .at("provisioningState")
                            .as_string());
    if (state == "Canceled" || state == "Succeeded") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(state, "Canceled") << "the upgrade finished before the abort reached it";
  int on_new = 0, on_old = 0;
  for (const auto& machine : Machines()) {
    if (machine.at("properties").at("latestModelApplied") == true) {
      ++on_new;
      EXPECT_EQ(Ssh(key_b_, machine), 0);
      EXPECT_EQ(Ssh(key_a_, machine), 255);
    } else {
      ++on_old;
      EXPECT_EQ(Ssh(key_a_, machine), 0) << "a node the upgrade did not reach keeps the old key";
      EXPECT_EQ(Ssh(key_b_, machine), 255);
    }
  }
  EXPECT_GE(on_new, 1);
  EXPECT_GE(on_old, 1);
}

TEST_F(LocalNodesTest, NodesThatCannotComeUpFailTheCreateClearlyAndAreRemoved) {
  // An "agent" that exits at once: the node never reports.
  server_.reset();
  Start("/bin/false", "5");
  const auto created = Call("PUT", Cluster() + kVersion, ClusterBody(key_a_, 2));
  ASSERT_EQ(created.status, 201);
  EXPECT_EQ(WaitFor(Cluster()), "Failed");
  std::string operation = created.headers.at("azure-asyncoperation");
  operation = operation.substr(operation.find("/subscriptions/"));
  const auto status = Call("GET", operation);
  const json::object doc = json::parse(status.body).as_object();
  EXPECT_EQ(doc.at("status"), "Failed");
  EXPECT_EQ(doc.at("error").at("code"), "NodeProvisioningFailed");
  EXPECT_NE(doc.at("error").at("message").as_string().find("never reported"), std::string::npos)
      << status.body;
  // The nodes that never came up are gone, processes and directories.
  for (int i = 0; i < 50 && NodeDirectories() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(Machines().empty());
  EXPECT_EQ(NodeDirectories(), 0);
}

TEST_F(LocalNodesTest, ANodeImageWhoseSshdRefusesItsConfigurationFailsTheCreateAtOnce) {
  // A node image whose sshd refuses every configuration, published as the newest: waiting cannot
  // help, so the create fails with sshd's own words long before the (hour-long) node timeout.
  server_.reset();
  const std::string data = dir_.Join("data");
  ASSERT_EQ(RunProgram({GANGPLANKD_PATH, "node-image", "build", "--data-dir", data, "--version",
                        "GangplankBrokenSshd-1"})
                .exit_code,
            0);
  const std::string sshd = data + "/node-images/GangplankBrokenSshd-1/rootfs/usr/sbin/sshd";
  std::filesystem::remove(sshd);  // a hard link into the machine's cache: never write through it
  testing::WriteTestFile(sshd,
                         "#!/bin/sh\necho '/etc/ssh/sshd_config line 7: Bad configuration option: "
                         "Foo' >&2\nexit 255\n",
                         0755);
  ASSERT_EQ(RunProgram({GANGPLANKD_PATH, "node-image", "publish", "--data-dir", data, "--os-sku",
                        "Ubuntu", "--version", "GangplankBrokenSshd-1"})
                .exit_code,
            0);
  Start(GANGPLANK_NODE_PATH, "3600");
  const auto created = Call("PUT", Cluster() + kVersion, ClusterBody(key_a_, 2));
  ASSERT_EQ(created.status, 201);
  EXPECT_EQ(WaitFor(Cluster()), "Failed");
  std::string operation = created.headers.at("azure-asyncoperation");
  operation = operation.substr(operation.find("/subscriptions/"));
  const json::object doc = json::parse(Call("GET", operation).body).as_object();
  EXPECT_EQ(doc.at("error").at("code"), "NodeProvisioningFailed");
  const std::string message(doc.at("error").at("message").as_string());
  EXPECT_NE(message.find("cannot be provisioned"), std::string::npos) << message;
  EXPECT_NE(message.find("Bad configuration option: Foo"), std::string::npos) << message;
  for (int i = 0; i < 50 && NodeDirectories() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(Machines().empty());
  EXPECT_EQ(NodeDirectories(), 0);
}

}  // namespace
}  // namespace gangplank
