// End to end with real parts: gangplankd (as root) runs every node as a container (runc, from a
// node image built with debootstrap) whose agent runs a real sshd, and the real ssh client logs in
// with the keys the API was given. Key rotation reaches running
// nodes only with a node image upgrade; --no-ssh-key nodes admit no user key; sshAccess Disabled
// closes the port; a control plane killed mid-upgrade finishes it after a restart.
#include "integration/local_nodes_fixture.h"

namespace gangplank {
namespace {

TEST_F(LocalNodesTest, ANewKeyReachesRunningNodesOnlyWithANodeImageUpgrade) {
  ASSERT_EQ(Call("PUT", Cluster() + kVersion, ClusterBody(key_a_, 2)).status, 201);
  ASSERT_EQ(WaitFor(Cluster()), "Succeeded") << Explain();
  const json::array before = Machines();
  ASSERT_EQ(before.size(), 2u);
  for (const auto& machine : before) {
    EXPECT_EQ(machine.at("properties").at("state"), "Running");
    EXPECT_EQ(machine.at("properties").at("hostKeyFingerprints").as_array().size(), 2u);
  }
  ExpectOnlyKeyWorks(key_a_, key_b_);

  // The update changes the pool's model; the running nodes keep key A and show it.
  ASSERT_EQ(Call("PUT", Cluster() + kVersion, ClusterBody(key_b_, 2)).status, 200);
  ASSERT_EQ(WaitFor(Cluster()), "Succeeded") << Explain();
  for (const auto& machine : Machines())
    EXPECT_EQ(machine.at("properties").at("latestModelApplied"), false);
  ExpectOnlyKeyWorks(key_a_, key_b_);

  // The node image upgrade reimages them: new host keys, key B only.
  const auto upgrade =
      Call("POST", Cluster() + "/agentPools/nodepool1/upgradeNodeImageVersion" + kVersion);
  ASSERT_EQ(upgrade.status, 202) << upgrade.body;
  ASSERT_EQ(WaitFor(Cluster() + "/agentPools/nodepool1"), "Succeeded") << Explain();
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
  ASSERT_EQ(WaitFor(Cluster() + "/agentPools/nodepool1"), "Succeeded") << Explain();
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
  ASSERT_EQ(WaitFor(Cluster()), "Succeeded") << Explain();
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
  ASSERT_EQ(WaitFor(Cluster() + "/agentPools/nodepool1"), "Succeeded") << Explain();
  const std::string address = Address(Machines()[0]);
  EXPECT_TRUE(node::SshBannerAnswers(address, 22, std::chrono::milliseconds(1000)));
  ASSERT_EQ(
      Call("POST", Cluster() + "/agentPools/nodepool1/upgradeNodeImageVersion" + kVersion).status,
      202);
  ASSERT_EQ(WaitFor(Cluster() + "/agentPools/nodepool1"), "Succeeded") << Explain();
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
  ASSERT_EQ(WaitFor(Cluster()), "Succeeded") << Explain();
  ASSERT_EQ(Call("PUT", Cluster() + kVersion,
                 ClusterBody(key_b_, 4, R"(,"upgradeSettings":{"maxSurge":"1"})"))
                .status,
            200);
  ASSERT_EQ(WaitFor(Cluster()), "Succeeded") << Explain();
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
  ASSERT_EQ(WaitFor(Cluster() + "/agentPools/nodepool1"), "Succeeded") << Explain();
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
  ASSERT_EQ(WaitFor(Cluster()), "Succeeded") << Explain();
  const json::array before = Machines();
  ASSERT_EQ(Call("POST", Cluster() + "/stop" + kVersion).status, 202);
  ASSERT_EQ(WaitFor(Cluster()), "Succeeded") << Explain();
  for (const auto& machine : Machines()) {
    EXPECT_EQ(machine.at("properties").at("state"), "Stopped");
    EXPECT_FALSE(node::SshBannerAnswers(Address(machine), 22, std::chrono::milliseconds(500)))
        << Address(machine) << " still answers SSH while stopped";
  }
  EXPECT_EQ(RunningNodeProcesses(), 2);  // the machines exist; only their sshd is down

  ASSERT_EQ(Call("POST", Cluster() + "/start" + kVersion).status, 202);
  ASSERT_EQ(WaitFor(Cluster()), "Succeeded") << Explain();
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
  ASSERT_EQ(WaitFor(Cluster()), "Succeeded") << Explain();
  ASSERT_EQ(Call("PUT", Cluster() + kVersion,
                 ClusterBody(key_b_, 8, R"(,"upgradeSettings":{"maxSurge":"1"})"))
                .status,
            200);
  ASSERT_EQ(WaitFor(Cluster()), "Succeeded") << Explain();
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
  ASSERT_EQ(state, "Canceled") << "the upgrade finished before the abort reached it" << Explain();
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
  // Either way round, the message says why: the container's first process (the "agent") exits
  // at once, which the runtime may notice before the node timeout does.
  const std::string message(doc.at("error").at("message").as_string());
  EXPECT_TRUE(message.find("never reported") != std::string::npos ||
              message.find("its first process is not there") != std::string::npos ||
              message.find("its first process exited") != std::string::npos)
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
