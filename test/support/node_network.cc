// Claims are directories under /var/lib/gangplank-test/networks (mkdir is atomic); a claim older
// than two hours was left by a killed test and is taken over.
#include "support/node_network.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <stdexcept>

namespace gangplank::testing {
namespace fs = std::filesystem;

NodeNetworkClaim::NodeNetworkClaim() {
  const fs::path root = "/var/lib/gangplank-test/networks";
  fs::create_directories(root);
  std::mt19937 random(
      static_cast<unsigned>(::getpid()) ^
      static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count()));
  const int start = static_cast<int>(random() % 140);
  for (int i = 0; i < 140; ++i) {
    const int octet = 60 + (start + i) % 140;
    const fs::path claim = root / std::to_string(octet);
    if (::mkdir(claim.c_str(), 0755) != 0) {
      std::error_code ec;
      const auto age = fs::file_time_type::clock::now() - fs::last_write_time(claim, ec);
      if (ec || age < std::chrono::hours(2)) continue;
      fs::remove_all(claim, ec);
      if (::mkdir(claim.c_str(), 0755) != 0) continue;
    }
    octet_ = octet;
    claim_ = claim.string();
    return;
  }
  throw std::runtime_error("no free loopback /16 for test nodes under " + root.string());
}

NodeNetworkClaim::~NodeNetworkClaim() { ::rmdir(claim_.c_str()); }

}  // namespace gangplank::testing
