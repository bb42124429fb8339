// Root inside a node, as AKS gives it (the admin user has passwordless sudo), is contained: no new
// namespaces or mounts (seccomp), no disk beyond the node's own, no traffic to the host's
// services or to another cluster's nodes. Real nodes, the real ssh and sudo (root).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/statvfs.h>

#include "integration/local_nodes_fixture.h"

namespace gangplank {
namespace {

using RootInNodeAttack = LocalNodesTest;

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
  struct statvfs before {};
  ASSERT_EQ(::statvfs(nodes_.path().c_str(), &before), 0);
  // 300 MiB into a 256 MiB disk, as root: the node's own disk is full, nothing more.
  const auto fill = SshRun(key_a_, machine,
                           "sudo -n dd if=/dev/zero of=/var/big bs=1M count=300 2>&1; df -m / | "
                           "tail -1");
  EXPECT_NE(fill.out.find("No space left on device"), std::string::npos) << fill.out << fill.err;
  struct statvfs after {};
  ASSERT_EQ(::statvfs(nodes_.path().c_str(), &after), 0);
  const double used_mib =
      (static_cast<double>(before.f_bavail) - static_cast<double>(after.f_bavail)) *
      static_cast<double>(after.f_frsize) / (1 << 20);
  EXPECT_LT(used_mib, 270.0) << "the node took " << used_mib << " MiB of the host's disk";
  // The node goes on (sshd answers) and a reimage gives it a fresh disk.
  EXPECT_EQ(Ssh(key_a_, machine), 0);
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

TEST_F(RootInNodeAttack, NodesReachTheirOwnClustersNodesOnlyNotTheHostNorOtherClusters) {
  ASSERT_EQ(Call("PUT", Cluster("c1") + kVersion, ClusterBody(key_a_, 2)).status, 201);
  ASSERT_EQ(Call("PUT", Cluster("c2") + kVersion, ClusterBody(key_a_, 1)).status, 201);
  ASSERT_EQ(WaitFor(Cluster("c1")), "Succeeded") << Explain();
  ASSERT_EQ(WaitFor(Cluster("c2")), "Succeeded") << Explain();
  const json::array own = Machines("c1"), other = Machines("c2");
  HostListener listener;
  std::string gateway = Address(own[0]);
  gateway = gateway.substr(0, gateway.find('.', gateway.find('.') + 1)) + ".0.1";
  const auto reach = [&](const std::string& address, int port) {
    return "sudo -n timeout 3 bash -c 'echo > /dev/tcp/" + address + "/" + std::to_string(port) +
           "' 2>/dev/null && echo REACHED " + address + ":" + std::to_string(port) +
           " || echo REFUSED " + address + ":" + std::to_string(port);
  };
  const auto result = SshRun(key_a_, own[0],
                             reach(Address(own[1]), 22) + "; " + reach(gateway, listener.port()) +
                                 "; " + reach(Address(other[0]), 22));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("REACHED " + Address(own[1]) + ":22"), std::string::npos)
      << "nodes of one cluster reach each other: " << result.out;
  EXPECT_NE(result.out.find("REFUSED " + gateway), std::string::npos)
      << "a node reached the host's service: " << result.out;
  EXPECT_NE(result.out.find("REFUSED " + Address(other[0])), std::string::npos)
      << "a node reached another cluster's node: " << result.out;
  // The control plane and the host still reach every node.
  EXPECT_EQ(Ssh(key_a_, other[0]), 0);
}

}  // namespace
}  // namespace gangplank
