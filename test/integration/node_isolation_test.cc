// Local nodes are machines: a login sees its own node only (files, processes, accounts), nothing
// of a node survives its reimage or deletion, and two control planes on one host share no address.
#include <dirent.h>

#include "integration/local_nodes_fixture.h"

namespace gangplank {
namespace {

// Host pids whose command line is exactly `argv` (NUL-separated in /proc).
std::vector<pid_t> HostPidsRunning(const std::vector<std::string>& argv) {
  std::string wanted;
  for (const auto& word : argv) wanted += word + '\0';
  std::vector<pid_t> pids;
  DIR* proc = ::opendir("/proc");
  while (dirent* entry = proc ? ::readdir(proc) : nullptr) {
    const std::string name = entry->d_name;
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in("/proc/" + name + "/cmdline");
    const std::string cmdline(std::istreambuf_iterator<char>(in), {});
    if (cmdline == wanted) pids.push_back(static_cast<pid_t>(std::stoi(name)));
  }
  if (proc) ::closedir(proc);
  return pids;
}


TEST_F(LocalNodesTest, AnAdminNamedLikeAHostAccountGetsItsOwnAccountInsideTheNode) {
  // A host account with a private file, and a cluster whose admin user has its name.
  const std::string name = "gpisolation";
  RunProgram({"userdel", "-r", name});  // a leftover of an interrupted run
  ASSERT_EQ(RunProgram({"useradd", "--create-home", "--shell", "/bin/bash", name}).exit_code, 0);
  struct RemoveUser {
    std::string name;
    ~RemoveUser() { RunProgram({"userdel", "-r", name}); }
  } remove_user{name};
  const std::string secret = "/home/" + name + "/secret";
  testing::WriteTestFile(secret, "the host account's own file\n", 0600);
  RunProgram({"chown", name + ":" + name, secret});
  const std::string host_entry = RunProgram({"getent", "passwd", name}).out;

  admin_ = name;
  ASSERT_EQ(Call("PUT", Cluster() + kVersion, ClusterBody(key_a_, 1)).status, 201);
  ASSERT_EQ(WaitFor(Cluster()), "Succeeded") << testing::ReadTestFile(dir_.Join("gangplankd.log"));
  const json::value machine = Machines().at(0);
  const auto inside =
      SshRun(key_a_, machine, "id -un; cat ~/secret 2>&1; getent passwd " + name + "; ls -A ~");
  ASSERT_EQ(inside.exit_code, 0) << inside.err;
  EXPECT_EQ(inside.out.substr(0, name.size() + 1), name + "\n");
  EXPECT_EQ(inside.out.find("the host account's own file"), std::string::npos) << inside.out;
  EXPECT_NE(inside.out.find("No such file"), std::string::npos) << inside.out;

  // The host account is as it was: the same passwd entry, its file, no ~/.ssh written for it.
  EXPECT_EQ(RunProgram({"getent", "passwd", name}).out, host_entry);
  EXPECT_EQ(testing::ReadTestFile(secret), "the host account's own file\n");
  EXPECT_FALSE(std::filesystem::exists("/home/" + name + "/.ssh"));
}

TEST_F(LocalNodesTest, ALoginSeesItsOwnNodeOnlyNotTheHostNorOtherNodes) {
  ASSERT_EQ(Call("PUT", Cluster() + kVersion, ClusterBody(key_a_, 2)).status, 201);
  ASSERT_EQ(WaitFor(Cluster()), "Succeeded");
  const json::array machines = Machines();
  ASSERT_EQ(machines.size(), 2u);
  // clang-format off
  const auto inside = SshRun(
      key_a_, machines[0],
      "hostname; ps -e -o comm= | wc -l; ps -e -o comm=; "
      "test -e " + nodes_.path().string() + " && echo SEES-THE-NODES-DIRECTORY; "
      "test -e " + dir_.path().string() + " && echo SEES-THE-DATA-DIRECTORY; "
      "test -e /var/lib/gangplank-test && echo SEES-THE-HOST; "
      "grep -v ' lo$' /proc/net/if_inet6 | sed 's/^/IPV6-ADDRESS /'; "
      "cat /var/lib/gangplank-node/ssh/ssh_host_ed25519_key.pub");
  // clang-format on
  ASSERT_EQ(inside.exit_code, 0) << inside.err;
  std::istringstream lines(inside.out);
  std::string hostname, count;
  std::getline(lines, hostname);
  std::getline(lines, count);
  EXPECT_EQ(hostname, MachineName(machines[0]));  // its own UTS namespace
  EXPECT_LT(std::stoi(count), 15) << inside.out;  // dumb-init, the agent, sshd and this session
  EXPECT_EQ(inside.out.find("gangplankd"), std::string::npos) << inside.out;
  EXPECT_EQ(inside.out.find("SEES-"), std::string::npos) << inside.out;
  // No IPv6 link-local address on either end of a node's link: each would announce itself by
  // multicast, flooded to every node on the bridge.
  EXPECT_EQ(inside.out.find("IPV6-ADDRESS"), std::string::npos) << inside.out;
  // (`ip addr show master BRIDGE` does not filter by bridge here: each link is asked on its own.)
  std::istringstream links(LinksOnOurBridge());
  int host_ends = 0;
  for (std::string link; std::getline(links, link); ++host_ends) {
    const std::string name = link.substr(link.find(": ") + 2, link.find('@') - link.find(": ") - 2);
    EXPECT_EQ(RunProgram({"/sbin/ip", "-6", "-o", "addr", "show", "dev", name}).out, "") << name;
  }
  EXPECT_EQ(host_ends, 2) << LinksOnOurBridge();
  // The host key file there is this node's own, not the other node's.
  const auto own_keys = machines[0].at("properties").at("hostKeys").as_array();
  const auto other_keys = machines[1].at("properties").at("hostKeys").as_array();
  bool own = false, other = false;
  for (const auto& key : own_keys) own = own || inside.out.find(key.as_string()) != std::string::npos;
  for (const auto& key : other_keys)
    other = other || inside.out.find(key.as_string()) != std::string::npos;
  EXPECT_TRUE(own) << inside.out;
  EXPECT_FALSE(other) << inside.out;
}

TEST_F(LocalNodesTest, NothingOfANodeSurvivesItsReimageOrItsDeletion) {
  ASSERT_EQ(Call("PUT", Cluster() + kVersion, ClusterBody(key_a_, 1)).status, 201);
  ASSERT_EQ(WaitFor(Cluster()), "Succeeded");
  const json::value before = Machines().at(0);
  const auto started = SshRun(key_a_, before,
                              "touch ~/left-behind; setsid sleep 7777 >/dev/null 2>&1 </dev/null & "
                              "echo started");
  ASSERT_EQ(started.exit_code, 0) << started.err;
  std::vector<pid_t> sleeping;
  for (int i = 0; i < 100 && sleeping.empty(); ++i) {
    sleeping = HostPidsRunning({"sleep", "7777"});
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(sleeping.size(), 1u) << "the process started in the node runs (seen from the host)";

  // A new key, then the node image upgrade: a new machine from a fresh copy of the image.
  ASSERT_EQ(Call("PUT", Cluster() + kVersion, ClusterBody(key_b_, 1)).status, 200);
  ASSERT_EQ(WaitFor(Cluster()), "Succeeded");
  ASSERT_EQ(Call("POST", Cluster() + "/agentPools/nodepool1/upgradeNodeImageVersion" + kVersion)
                .status,
            202);
  ASSERT_EQ(WaitFor(Cluster() + "/agentPools/nodepool1"), "Succeeded");
  EXPECT_TRUE(HostPidsRunning({"sleep", "7777"}).empty()) << "a node process survived its reimage";
  const json::value after = Machines().at(0);
  EXPECT_NE(after.at("properties").at("hostKeys"), before.at("properties").at("hostKeys"));
  const auto fresh = SshRun(key_b_, after, "ls -A ~; pgrep -c sleep; true");
  ASSERT_EQ(fresh.exit_code, 0) << fresh.err;
  EXPECT_EQ(fresh.out.find("left-behind"), std::string::npos) << fresh.out;
  EXPECT_NE(fresh.out.find("0\n"), std::string::npos) << fresh.out;

  // Deleted: every process of the node ends, its container, disk and address go.
  ASSERT_EQ(SshRun(key_b_, after, "setsid sleep 8888 >/dev/null 2>&1 </dev/null & echo started")
                .exit_code,
            0);
  for (int i = 0; i < 100 && HostPidsRunning({"sleep", "8888"}).empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_EQ(HostPidsRunning({"sleep", "8888"}).size(), 1u);
  ASSERT_EQ(Call("DELETE", Cluster() + kVersion).status, 202);
  EXPECT_EQ(WaitFor(Cluster()), "NotFound");
  EXPECT_TRUE(HostPidsRunning({"sleep", "8888"}).empty()) << "a node process survived its deletion";
  EXPECT_EQ(RunningNodeProcesses(), 0);
  EXPECT_EQ(NodeDirectories(), 0);
  EXPECT_EQ(LinksOnOurBridge(), "") << "a node's veth is left on the host";
}

// A second control plane beside the first, with the default settings.
class OtherControlPlane : public LocalNodesTest {
 public:
  void TestBody() override {}
  using LocalNodesTest::Call;
  using LocalNodesTest::Cluster;
  using LocalNodesTest::Machines;
  using LocalNodesTest::SetUp;
  using LocalNodesTest::TearDown;
  using LocalNodesTest::WaitFor;
  using LocalNodesTest::ClusterBody;
  using LocalNodesTest::key_a_;
};

TEST_F(LocalNodesTest, TwoControlPlanesOnOneHostShareNoAddressAndEveryHostKeyIsTheNodesOwn) {
  OtherControlPlane other;
  other.SetUp();
  ASSERT_EQ(Call("PUT", Cluster() + kVersion, ClusterBody(key_a_, 2)).status, 201);
  ASSERT_EQ(other.Call("PUT", other.Cluster() + kVersion, other.ClusterBody(other.key_a_, 2)).status,
            201);
  ASSERT_EQ(WaitFor(Cluster()), "Succeeded");
  ASSERT_EQ(other.WaitFor(other.Cluster()), "Succeeded");
  std::set<std::string> networks, addresses;
  json::array machines = Machines();
  for (const auto& machine : other.Machines()) machines.push_back(machine);
  ASSERT_EQ(machines.size(), 4u);
  for (const auto& machine : machines) {
    const std::string address = Address(machine);
    addresses.insert(address);
    networks.insert(address.substr(0, address.find('.', address.find('.') + 1)));
    // What answers on the node's address is that node's own sshd, with the key the API shows.
    const auto scan = RunProgram({"ssh-keyscan", "-T", "5", "-t", "ed25519", address},
                                 testing::RunOptions::WithTimeout(std::chrono::seconds(20)));
    std::string scanned = scan.out.substr(scan.out.find(' ') + 1);
    while (!scanned.empty() && scanned.back() == '\n') scanned.pop_back();
    bool published = false;
    for (const auto& key : machine.at("properties").at("hostKeys").as_array())
      published = published || std::string(key.as_string()).starts_with(scanned);
    EXPECT_TRUE(!scanned.empty() && published) << address << " answered " << scan.out;
  }
  EXPECT_EQ(addresses.size(), 4u) << "two nodes share an address";
  EXPECT_EQ(networks.size(), 2u) << "each control plane has its own node network";
  other.TearDown();
}

}  // namespace
}  // namespace gangplank
