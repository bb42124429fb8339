// Whether something listens on an address and port, from the kernel's socket tables.
#include "net/listening.h"

#include <arpa/inet.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace gangplank::net {

bool Listening(const std::string& address, int port) {
  in6_addr v6{};
  in_addr v4{};
  std::string want;  // /proc/net/tcp's "ADDRESS:PORT" in hex, as the kernel prints it
  char port_hex[8];
  std::snprintf(port_hex, sizeof port_hex, "%04X", port);
  const char* table = nullptr;
  if (::inet_pton(AF_INET, address.c_str(), &v4) == 1) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "%08X", v4.s_addr);  // network order bytes, read as host int
    want = std::string(hex) + ":" + port_hex;
    table = "/proc/net/tcp";
  } else if (::inet_pton(AF_INET6, address.c_str(), &v6) == 1) {
    for (int word = 0; word < 4; ++word) {
      std::uint32_t value;
      std::memcpy(&value, v6.s6_addr + 4 * word, 4);
      char hex[16];
      std::snprintf(hex, sizeof hex, "%08X", value);
      want += hex;
    }
    want += std::string(":") + port_hex;
    table = "/proc/net/tcp6";
  } else {
    return false;
  }
  std::ifstream file(table);
  std::string line;
  while (std::getline(file, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state;
    if (fields >> slot >> local >> remote >> state && local == want && state == "0A") return true;
  }
  return false;
}

}  // namespace gangplank::net
