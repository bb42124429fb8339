// The standing attack suite's fixture: a real gangplankd over real TLS, a token, and the server's
// health and footprint (resident memory, CPU time) read from /proc before and after an attack.
#pragma once

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/https_client.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace gangplank::attacks {
namespace json = boost::json;

// Memory bounds are for the normal build. AddressSanitizer's build (scripts/test --sanitize)
// keeps freed memory in quarantine and adds shadow memory and redzones: there they are 4 times as
// large, still far below what the attacks took before they were refused.
#if defined(GANGPLANK_SANITIZED)
inline constexpr long kMemoryScale = 4;
#else
inline constexpr long kMemoryScale = 1;
#endif

// The newest stable version (machines, securityProfile.sshAccess).
inline constexpr const char* kVersion = "?api-version=2026-08-01";

class AttackTest : public ::testing::Test {
 protected:
  // Attacks open many connections from this process too.
  static void SetUpTestSuite() {
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }

  void Start(std::vector<std::string> extra = {}, std::vector<std::string> wrapper = {}) {
    server_ = testing::StartListening(
        [&](int port) {
          std::vector<std::string> argv = wrapper;
          for (const std::string& arg :
               {std::string(GANGPLANKD_PATH), std::string("--data-dir"), dir_.Join("data"),
                std::string("--listen"), "127.0.0.1:" + std::to_string(port),
                std::string("--threads"), std::string("2"), std::string("--nodes"),
                std::string("simulated")})
            argv.push_back(arg);
          argv.insert(argv.end(), extra.begin(), extra.end());
          return argv;
        },
        dir_.Join("gangplankd.log"), port_);
    ASSERT_TRUE(server_) << testing::ReadTestFile(dir_.Join("gangplankd.log"));
    client_ = NewClient();
    token_ = Token();
    ASSERT_EQ(Call("PUT", Group() + "?api-version=2021-04-01", R"({"location":"westus2"})").status,
              201);
  }

  std::unique_ptr<testing::HttpsClient> NewClient(const std::string& source = "") const {
    return std::make_unique<testing::HttpsClient>(port_, dir_.Join("data/tls/ca.crt"), source);
  }

  json::object Credentials() const { return testing::AdminCredentials(dir_.Join("data")); }
  std::string Token() { return testing::AdminToken(*client_, dir_.Join("data"), port_); }

  std::string Group() const {
    return "/subscriptions/" + std::string(Credentials().at("subscriptionId").as_string()) +
           "/resourceGroups/rg1";
  }
  std::string Cluster(const std::string& name = "c1") const {
    return Group() + "/providers/Microsoft.ContainerService/managedClusters/" + name;
  }

  testing::HttpsReply Call(const std::string& method, const std::string& target,
                           const std::string& body = "") {
    std::map<std::string, std::string> headers{{"Authorization", "Bearer " + token_}};
    if (!body.empty()) headers["Content-Type"] = "application/json";
    return client_->Request(method, target, body, headers);
  }

  // The provisioning state of `target` once it is no longer changing (or "NotFound").
  std::string WaitFor(const std::string& target) {
    std::string state;
    for (int i = 0; i < 300; ++i) {
      const auto reply = Call("GET", target + kVersion);
      if (reply.status == 404) return "NotFound";
      state =
          std::string(json::parse(reply.body).at("properties").at("provisioningState").as_string());
      if (state == "Succeeded" || state == "Failed" || state == "Canceled") return state;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return state;
  }

  // The server still answers, anonymous and authenticated, on a new connection.
  void ExpectHealthy() {
    ASSERT_TRUE(server_->Running()) << "gangplankd died";
    client_ = NewClient();
    EXPECT_EQ(client_->Request("GET", "/healthz").status, 200);
    EXPECT_EQ(Call("GET", Group() + "?api-version=2021-04-01").status, 200);
  }

  // Resident memory of gangplankd, in KiB.
  long ResidentKiB() const {
    std::ifstream status("/proc/" + std::to_string(server_->pid()) + "/status");
    std::string line;
    while (std::getline(status, line))
      if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
  }

  // User and system CPU time of gangplankd, in clock ticks.
  long CpuTicks() const {
    std::ifstream stat("/proc/" + std::to_string(server_->pid()) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), {});
    std::istringstream fields(text.substr(text.rfind(')') + 2));
    std::string field;
    long utime = 0, stime = 0;
    for (int i = 3; fields >> field; ++i) {
      if (i == 14) utime = std::stol(field);
      if (i == 15) stime = std::stol(field);
    }
    return utime + stime;
  }

  std::string Log() const { return testing::ReadTestFile(dir_.Join("gangplankd.log")); }

  testing::TempDir dir_;
  int port_ = 0;
  std::unique_ptr<testing::BackgroundProcess> server_;
  std::unique_ptr<testing::HttpsClient> client_;
  std::string token_;
};

}  // namespace gangplank::attacks
