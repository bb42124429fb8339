// The fixture of the real-node tests: a gangplankd (as root) whose nodes are containers, a token,
// the API, keys, and the real ssh into the nodes with known_hosts from the API's host keys.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <set>
#include <thread>

#include "node/sshd_process.h"
#include "sshkey/generate.h"
#include "support/https_client.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace gangplank {
namespace json = boost::json;
using testing::RunProgram;

// The newest stable version: machines and securityProfile.sshAccess are part of it.
inline constexpr const char* kVersion = "?api-version=2026-08-01";

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
    if (HasFailure()) std::cerr << NodeConsoles();  // before the nodes and their disks go
    // Every node, its disk and the node bridge are gone, whatever the test did.
    RunProgram({GANGPLANKD_PATH, "stop-nodes", "--data-dir", dir_.Join("data"), "--nodes-dir",
                nodes_.path().string(), "--remove"});
    EXPECT_EQ(RunningNodeProcesses(), 0);
  }

  void Start(const std::string& agent = GANGPLANK_NODE_PATH, const std::string& timeout = "60") {
    server_ = testing::StartListening(
        [&](int port) {
          std::vector<std::string> argv{
              GANGPLANKD_PATH, "--data-dir",     dir_.Join("data"), "--listen",
              "127.0.0.1:" + std::to_string(port), "--nodes", "local", "--nodes-dir",
              nodes_.path().string(), "--node-agent", agent, "--node-timeout", timeout};
          argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
          return argv;
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

  // This control plane's node bridge, as it wrote its name beside the nodes ("" before it did).
  std::string OurBridge() const {
    std::string bridge = testing::ReadTestFile((nodes_.path() / "bridge").string());
    while (!bridge.empty() && bridge.back() == '\n') bridge.pop_back();
    return bridge;
  }

  // The links on this control plane's node bridge (other tests' nodes run beside ours).
  std::string LinksOnOurBridge() const {
    const std::string bridge = OurBridge();
    if (bridge.empty()) return {};
    return RunProgram({"/sbin/ip", "-o", "link", "show", "master", bridge}).out;
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
    if (token_.empty()) token_ = testing::AdminToken(*client_, dir_.Join("data"), port_);
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
          {"adminUsername", admin_},
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

  // What each node's first process (the agent) printed: an agent that died says why here.
  std::string NodeConsoles() const {
    std::string text;
    std::error_code ec;
    namespace fs = std::filesystem;
    for (const auto& entry : fs::directory_iterator(nodes_.path(), ec)) {
      const fs::path file = entry.path() / "console.log";
      if (entry.path().filename().string().size() != 36 || !fs::exists(file)) continue;
      const std::string console = testing::ReadTestFile(file.string());
      text += "--- node " + entry.path().filename().string() + " console.log (end) ---\n" +
              console.substr(console.size() > 3000 ? console.size() - 3000 : 0) + "\n";
    }
    return text;
  }

  // For a failed wait: the end of gangplankd's log, which says which node held things up and why.
  std::string Explain() {
    const std::string log = testing::ReadTestFile(dir_.Join("gangplankd.log"));
    std::size_t from = log.size();
    for (int lines = 0; lines < 80 && from > 0; ++lines) from = log.rfind('\n', from - 1);
    const auto machines =
        Call("GET", Cluster() + "/agentPools/nodepool1/machines" + std::string(kVersion));
    return "\n--- gangplankd.log (end) ---\n" + log.substr(from == std::string::npos ? 0 : from) +
           "\n--- machines ---\n" + machines.body;
  }

  json::array Machines(const std::string& cluster = "c1") {
    const auto reply = Call("GET", Cluster(cluster) + "/agentPools/nodepool1/machines" + kVersion);
    EXPECT_EQ(reply.status, 200) << reply.body;
    return json::parse(reply.body).at("value").as_array();
  }

  static std::string MachineName(const json::value& machine) {
    return std::string(machine.at("name").as_string());
  }

  static std::string Address(const json::value& machine) {
    return std::string(
        machine.at("properties").at("network").at("ipAddresses").at(0).at("ip").as_string());
  }

  // The real ssh running `command` on the node as the admin user, with a known_hosts made from
  // the host keys the API reports (never StrictHostKeyChecking=no).
  testing::RunResult SshRun(const std::string& identity, const json::value& machine,
                            const std::string& command) {
    std::string known_hosts;
    for (const auto& key : machine.at("properties").at("hostKeys").as_array())
      known_hosts += Address(machine) + " " + std::string(key.as_string()) + "\n";
    testing::WriteTestFile(keys_.Join("known_hosts"), known_hosts);
    return RunProgram({"ssh", "-F", "/dev/null", "-i", identity, "-o", "IdentitiesOnly=yes", "-o",
                       "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o",
                       "UserKnownHostsFile=" + keys_.Join("known_hosts"), "-o", "ConnectTimeout=5",
                       "-l", admin_, "--", Address(machine), command},
                      testing::RunOptions::WithTimeout(std::chrono::seconds(30)));
  }

  // 0 when `identity` lets the admin user in (the node answers), 255 when refused.
  int Ssh(const std::string& identity, const json::value& machine) {
    const auto result = SshRun(identity, machine, "echo on-node");
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

  std::string admin_ = "azureuser";
  std::vector<std::string> extra_args_;  // more gangplankd flags, set before Start
  testing::TempDir dir_;
  testing::TempDir keys_;
  testing::TempDir nodes_{"/var/lib/gangplank-test", 0755};
  int port_ = 0;
  std::string token_;
  std::unique_ptr<testing::BackgroundProcess> server_;
  std::unique_ptr<testing::HttpsClient> client_;
  std::string key_a_, key_b_;
};

}  // namespace gangplank
