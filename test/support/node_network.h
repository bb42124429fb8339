// A loopback /16 (127.X.0.0/16) for one test's local nodes, claimed for the test's lifetime so
// that tests running side by side (C++ and shell alike) never give two nodes the same address.
#pragma once

#include <string>

namespace gangplank::testing {

class NodeNetworkClaim {
 public:
  NodeNetworkClaim();  // claims a free X in 60..199; throws if none is free
  ~NodeNetworkClaim();
  NodeNetworkClaim(const NodeNetworkClaim&) = delete;
  NodeNetworkClaim& operator=(const NodeNetworkClaim&) = delete;

  int second_octet() const { return octet_; }
  std::string cidr() const { return "127." + std::to_string(octet_) + ".0.0/16"; }

 private:
  int octet_ = 0;
  std::string claim_;
};

}  // namespace gangplank::testing
