// Root inside a node, as AKS gives it (the admin user has passwordless sudo), is contained: no new
// namespaces or mounts (seccomp), no disk beyond the node's own, no traffic to the host's
// services or to another cluster's nodes. Real nodes, the real ssh and sudo (root).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <thread>
#include <vector>

#include "integration/local_nodes_fixture.h"

namespace gangplank {
namespace {

// What the files under DIR take of the host's file system (du -x): the nodes' mounts (their disks,
// their root overlays) are not walked into. Measured per directory, so tests running beside this
// one cannot move the figure as the file system's free space would.
double HostMibUnder(const std::filesystem::path& dir) {
  struct stat base {};
  if (::lstat(dir.c_str(), &base) != 0) return -1;
  double bytes = 0;
  std::error_code error;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, error);
       it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    struct stat entry {};
    if (::lstat(it->path().c_str(), &entry) != 0) continue;
    if (entry.st_dev != base.st_dev) {
      it.disable_recursion_pending();
      continue;
    }
    bytes += static_cast<double>(entry.st_blocks) * 512;
  }
  return bytes / (1 << 20);
}

// A listener on the host's wildcard address, which a node could reach through its gateway.
class HostListener {
 public:
  HostListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_ANY);
    socklen_t length = sizeof address;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 || ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0)
      throw std::runtime_error("cannot listen");
    port_ = ntohs(address.sin_port);
  }
  ~HostListener() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

class RootInNodeAttack : public LocalNodesTest {
 protected:
  // Two clusters, one of two nodes and one of one: a node reaches the other node of its cluster,
  // not the host's services (through the gateway) and not the other cluster's node; the control
  // plane and the host still reach every node.
  void ExpectNodesReachTheirOwnClusterOnly() {
    ASSERT_EQ(Call("PUT", Cluster("c1") + kVersion, ClusterBody(key_a_, 2)).status, 201);
    ASSERT_EQ(Call("PUT", Cluster("c2") + kVersion, ClusterBody(key_a_, 1)).status, 201);
    ASSERT_EQ(WaitFor(Cluster("c1")), "Succeeded") << Explain();
    ASSERT_EQ(WaitFor(Cluster("c2")), "Succeeded") << Explain();
    const json::array own = Machines("c1"), other = Machines("c2");
    HostListener listener;
    const auto address = [](const json::value& machine) { return Address(machine); };
    std::string gateway = address(own[0]);
    gateway = gateway.substr(0, gateway.find('.', gateway.find('.') + 1)) + ".0.1";
    // Three tries of 3 s each: a loaded machine may lose a first SYN; a refused one stays refused.
    const auto reach = [&](const std::string& target_address, int port) {
      const std::string target = target_address + "/" + std::to_string(port);
      return "for try in 1 2 3; do sudo -n timeout 3 bash -c 'echo > /dev/tcp/" + target +
             "' 2>/dev/null && break; done && echo REACHED " + target_address + ":" +
             std::to_string(port) + " || echo REFUSED " + target_address + ":" +
             std::to_string(port);
    };
    const auto result = SshRun(key_a_, own[0],
                               reach(address(own[1]), 22) + "; " + reach(gateway, listener.port()) +
                                   "; " + reach(address(other[0]), 22));
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.out.find("REACHED " + address(own[1]) + ":22"), std::string::npos)
        << "nodes of one cluster reach each other: " << result.out
        << RunProgram({"/usr/sbin/nft", "list", "ruleset"}).out;
    EXPECT_NE(result.out.find("REFUSED " + gateway), std::string::npos)
        << "a node reached the host's service: " << result.out;
    EXPECT_NE(result.out.find("REFUSED " + address(other[0])), std::string::npos)
        << "a node reached another cluster's node: " << result.out;
    EXPECT_EQ(Ssh(key_a_, other[0]), 0);
  }
};

TEST_F(RootInNodeAttack, SudoGivesRootButNoNewNamespacesMountsOrKernelKeys) {
  ASSERT_EQ(Call("PUT", Cluster() + kVersion, ClusterBody(key_a_, 1)).status, 201);
  ASSERT_EQ(WaitFor(Cluster()), "Succeeded") << Explain();
  const json::value machine = Machines().at(0);
  const auto root = SshRun(key_a_, machine, "sudo -n id -u");
  ASSERT_EQ(root.exit_code, 0) << root.err;
  EXPECT_EQ(root.out, "0\n") << "the admin user has passwordless sudo, as on AKS";
  EXPECT_EQ(root.err, "") << "sudo complains (its own host name must resolve)";
  // Each of these is where a container escape starts; each must be refused, as root too.
  for (const std::string attack :
       {"unshare -Ur id", "sudo -n unshare -m true", "sudo -n unshare -n true",
        "sudo -n unshare -p -f true", "sudo -n mount -t tmpfs none /mnt",
        "sudo -n mount --bind / /mnt", "sudo -n nsenter -t 1 -m true"}) {
    const auto result = SshRun(key_a_, machine, attack);
    EXPECT_NE(result.exit_code, 0) << attack << " was allowed: " << result.out;
    // EPERM, as the tools word it ("Operation not permitted", mount's "permission denied").
    EXPECT_TRUE(result.err.find("not permitted") != std::string::npos ||
                result.err.find("permission denied") != std::string::npos)
        << attack << " failed for another reason than being refused: " << result.err;
  }
  // The node still works as a machine after all that.
  EXPECT_EQ(Ssh(key_a_, machine), 0);
}

TEST_F(RootInNodeAttack, ANodeFillsItsOwnDiskNotTheHosts) {
  server_.reset();  // again with a smaller largest disk
  extra_args_ = {"--node-disk-max", "256M"};
  Start();
  ASSERT_EQ(Call("PUT", Cluster() + kVersion, ClusterBody(key_a_, 1)).status, 201);
  ASSERT_EQ(WaitFor(Cluster()), "Succeeded") << Explain();
  const json::value machine = Machines().at(0);
  const double before = HostMibUnder(nodes_.path());
  ASSERT_GE(before, 0);
  // 300 MiB into a 256 MiB disk, as root: the node's own disk is full, nothing more.
  const auto fill = SshRun(key_a_, machine,
                           "sudo -n dd if=/dev/zero of=/var/big bs=1M count=300 2>&1; df -m / | "
                           "tail -1");
  EXPECT_NE(fill.out.find("No space left on device"), std::string::npos) << fill.out << fill.err;
  const double used_mib = HostMibUnder(nodes_.path()) - before;
  EXPECT_GT(used_mib, 100.0) << "the node's writes land in its disk file, which grows";
  EXPECT_LT(used_mib, 270.0) << "the node took " << used_mib << " MiB of the host's disk";
  // The node goes on (sshd answers) and a reimage gives it a fresh disk.
  EXPECT_EQ(Ssh(key_a_, machine), 0);
}

TEST_F(RootInNodeAttack, NodesReachTheirOwnClustersNodesOnlyNotTheHostNorOtherClusters) {
  ExpectNodesReachTheirOwnClusterOnly();
}

// The links of this host whose names start with `prefix`.
std::vector<std::string> LinksNamed(const std::string& prefix) {
  std::vector<std::string> links;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/sys/class/net", ec))
    if (entry.path().filename().string().starts_with(prefix))
      links.push_back(entry.path().filename().string());
  return links;
}

// A bridge holds 1,023 ports at most, so nodes beyond --node-bridge-ports go on further bridges
// linked to the first. With one node per bridge every node is on a bridge of its own: the same
// rules hold across bridges (a node's packets to the host come in on its own bridge), and
// removing the nodes removes every bridge and link.
TEST_F(RootInNodeAttack, NodesOnBridgesOfTheirOwnKeepTheSameRules) {
  server_.reset();  // again with one node per bridge
  const std::string bridge = OurBridge();
  ASSERT_FALSE(bridge.empty());
  // The firewall as a control plane made it before bridges had segments: the host side names
  // the main bridge only, and nothing passes between the host and a segment. The next start
  // brings it up to date.
  const std::string table = "gangplank_" + bridge.substr(8);
  const std::string cidr = "10." + bridge.substr(8) + ".0.0/16";
  const auto old_rules = RunProgram(
      {"/usr/sbin/nft",
       "flush chain inet " + table + " input; add rule inet " + table + " input iifname \"" +
           bridge + "\" ct state established,related accept; add rule inet " + table +
           " input iifname \"" + bridge + "\" drop; flush chain bridge " + table +
           " forward; add rule bridge " + table + " forward ether type != ip accept; add rule bridge " +
           table + " forward ip saddr != " + cidr + " accept; add rule bridge " + table +
           " forward meta mark set ip saddr map @cluster_of; add rule bridge " + table +
           " forward ip daddr . meta mark @peers accept; add rule bridge " + table + " forward drop"});
  ASSERT_EQ(old_rules.exit_code, 0) << old_rules.err;
  extra_args_ = {"--node-bridge-ports", "1"};
  Start();
  ExpectNodesReachTheirOwnClusterOnly();
  EXPECT_EQ(LinksNamed(bridge + "-").size(), 3u) << "a bridge per node";
  server_.reset();
  RunProgram({GANGPLANKD_PATH, "stop-nodes", "--data-dir", dir_.Join("data"), "--nodes-dir",
              nodes_.path().string(), "--remove"});
  EXPECT_TRUE(LinksNamed(bridge).empty()) << "the bridges outlived the nodes";
  EXPECT_TRUE(LinksNamed("gpu" + bridge.substr(bridge.rfind('-') + 1) + "-").empty())
      << "the links between the bridges outlived the nodes";
}

// Root in one node floods the node gateway's socket (bind-mounted into every node): it keeps a
// few connections, and gangplankd, its API and every other node go on as before.
TEST_F(RootInNodeAttack, FloodingTheNodeGatewayFromOneNodeCostsTheOthersNothing) {
  ASSERT_EQ(Call("PUT", Cluster("c1") + kVersion, ClusterBody(key_a_, 1)).status, 201);
  ASSERT_EQ(WaitFor(Cluster("c1")), "Succeeded") << Explain();
  const json::value attacker = Machines("c1").at(0);
  // 3,000 connections held open, as root; says how many the gateway has not closed after a second.
  const std::string flood =
      "sudo -n perl -MIO::Socket::UNIX -MIO::Select -e '"
      "my @s; for (1..3000) { my $c = IO::Socket::UNIX->new(Peer => \"/run/gangplank/node.sock\","
      " Type => SOCK_STREAM) or next; push @s, $c; } sleep 1;"
      "my $open = 0; for my $c (@s) { my $sel = IO::Select->new($c); if ($sel->can_read(0)) {"
      " my $b; $open++ if sysread($c, $b, 1) } else { $open++ } }"
      "print \"open $open of \", scalar(@s), \"\\n\"; sleep 12'";
  testing::RunResult flooded;
  std::thread attack([&] { flooded = SshRun(key_a_, attacker, flood); });
  std::this_thread::sleep_for(std::chrono::seconds(5));
  // Meanwhile: gangplankd answers, holds few descriptors, and a new cluster's nodes come up
  // through the same gateway.
  const auto fds = std::distance(
      std::filesystem::directory_iterator("/proc/" + std::to_string(server_->pid()) + "/fd"),
      std::filesystem::directory_iterator{});
  EXPECT_LT(fds, 400) << "gangplankd holds a descriptor per flooding connection";
  ASSERT_EQ(Call("PUT", Cluster("c2") + kVersion, ClusterBody(key_a_, 1)).status, 201);
  EXPECT_EQ(WaitFor(Cluster("c2")), "Succeeded") << Explain();
  EXPECT_EQ(Ssh(key_a_, Machines("c2").at(0)), 0);
  attack.join();
  int open = -1, made = -1;
  ASSERT_EQ(std::sscanf(flooded.out.c_str(), "open %d of %d", &open, &made), 2)
      << flooded.out << flooded.err;
  EXPECT_GT(made, 100) << "the attack could not even connect: " << flooded.out;
  EXPECT_LE(open, 8) << "one node held " << open << " gateway connections";
}

// Root in one node reads another node's token (here: handed to it) and speaks with it: refused,
// because the connection comes from the first node.
TEST_F(RootInNodeAttack, ANodeCannotSpeakAsAnotherNodeWithItsToken) {
  ASSERT_EQ(Call("PUT", Cluster("c1") + kVersion, ClusterBody(key_a_, 2)).status, 201);
  ASSERT_EQ(WaitFor(Cluster("c1")), "Succeeded") << Explain();
  const json::array machines = Machines("c1");
  // The other node's token, from its directory on the host.
  std::string victim_token;
  for (const auto& entry : std::filesystem::directory_iterator(nodes_.path())) {
    const auto hostname = entry.path() / "bundle" / "config.json";
    if (!std::filesystem::exists(hostname)) continue;
    if (testing::ReadTestFile(hostname.string()).find(MachineName(machines[1])) ==
        std::string::npos)
      continue;
    victim_token = testing::ReadTestFile((entry.path() / "secrets" / "token").string());
  }
  ASSERT_FALSE(victim_token.empty());
  const std::string request =
      "sudo -n perl -MIO::Socket::UNIX -e '"
      "my $c = IO::Socket::UNIX->new(Peer => \"/run/gangplank/node.sock\", Type => SOCK_STREAM)"
      " or die; print $c \"GET /gangplank/node/v1/desired HTTP/1.1\\r\\nHost: node\\r\\n"
      "Authorization: Bearer " +
      victim_token +
      "\\r\\nConnection: close\\r\\n\\r\\n\";"
      " my $line = <$c>; print $line'";
  const auto result = SshRun(key_a_, machines[0], request);
  EXPECT_NE(result.out.find(" 403 "), std::string::npos)
      << "a node spoke with another node's token: " << result.out << result.err;
}

}  // namespace
}  // namespace gangplank
