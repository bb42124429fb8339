// HeldOnHost asks the kernel about one address: it must agree with the list of every interface.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <string>
#include <vector>

#include "runtime/node_network.h"

namespace gangplank::runtime {
namespace {

std::vector<std::string> HostIpv4Addresses() {
  std::vector<std::string> addresses;
  ifaddrs* interfaces = nullptr;
  if (::getifaddrs(&interfaces) != 0) return addresses;
  for (const ifaddrs* entry = interfaces; entry != nullptr; entry = entry->ifa_next) {
    if (entry->ifa_addr == nullptr || entry->ifa_addr->sa_family != AF_INET) continue;
    char text[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(entry->ifa_addr)->sin_addr, text,
                sizeof text);
    addresses.emplace_back(text);
  }
  ::freeifaddrs(interfaces);
  return addresses;
}

TEST(HeldOnHostTest, EveryAddressOfAHostInterfaceIsHeld) {
  const auto addresses = HostIpv4Addresses();
  ASSERT_FALSE(addresses.empty()) << "no IPv4 address on any interface (not even loopback)";
  for (const std::string& address : addresses) EXPECT_TRUE(HeldOnHost(address)) << address;
}

TEST(HeldOnHostTest, AnAddressNoInterfaceHoldsIsFree) {
  // TEST-NET-1 and TEST-NET-3 (RFC 5737) are never given to a host's interface.
  for (const char* address : {"192.0.2.77", "203.0.113.9"})
    EXPECT_FALSE(HeldOnHost(address)) << address;
}

TEST(HeldOnHostTest, TextThatIsNoAddressIsNotHeld) {
  for (const char* text : {"", "10.224.1", "not-an-address", "10.224.1.300"})
    EXPECT_FALSE(HeldOnHost(text)) << text;
}

}  // namespace
}  // namespace gangplank::runtime
