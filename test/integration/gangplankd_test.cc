// The real gangplankd binary over real TLS: first start, keep-alive, limits, tokens, restarts.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <boost/json.hpp>

#include "support/https_client.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace gangplank {
namespace {
namespace json = boost::json;

class GangplankdTest : public ::testing::Test {
 protected:
  // Restarts keep the port: tokens name the server's URL as issuer and audience.
  void Start() {
    server_ = testing::StartListening(
        [this](int port) {
          return std::vector<std::string>{GANGPLANKD_PATH, "--data-dir", dir_.Join("data"),
                                          "--listen", "127.0.0.1:" + std::to_string(port),
                                          "--threads", "2", "--nodes", "simulated"};
        },
        dir_.Join("gangplankd.log"), port_);
    ASSERT_TRUE(server_) << testing::ReadTestFile(dir_.Join("gangplankd.log"));
    client_ = std::make_unique<testing::HttpsClient>(port_, dir_.Join("data/tls/ca.crt"));
  }

  json::object Credentials() const { return testing::AdminCredentials(dir_.Join("data")); }
  std::string Token() { return testing::AdminToken(*client_, dir_.Join("data"), port_); }

  std::string Subscription() const {
    return std::string(Credentials().at("subscriptionId").as_string());
  }

  testing::TempDir dir_;
  int port_ = 0;
  std::unique_ptr<testing::BackgroundProcess> server_;
  std::unique_ptr<testing::HttpsClient> client_;
};

TEST_F(GangplankdTest, FirstStartWritesCredentialsAndServesHealthOverVerifiedTls) {
  Start();
  EXPECT_EQ(testing::FileMode(dir_.Join("data/credentials.json")), 0600u);
  EXPECT_EQ(testing::FileMode(dir_.Join("data")), 0700u);
  const json::object credentials = Credentials();
  EXPECT_EQ(credentials.at("server").as_string(),
            "https://127.0.0.1:" + std::to_string(port_) + "/");
  EXPECT_EQ(credentials.at("tenant"), "adfs");
  EXPECT_EQ(credentials.at("caFile").as_string(), dir_.Join("data/tls/ca.crt"));
  for (int i = 0; i < 3; ++i) {
    const auto health = client_->Request("GET", "/healthz");
    EXPECT_EQ(health.status, 200);
  }
  EXPECT_EQ(client_->connections(), 1);  // keep-alive
  // The secret is in the 0600 file only, never in the log.
  const std::string log = testing::ReadTestFile(dir_.Join("gangplankd.log"));
  EXPECT_EQ(log.find(std::string(credentials.at("clientSecret").as_string())), std::string::npos);
}

TEST_F(GangplankdTest, OversizedAndMalformedRequestsGetArmErrors) {
  Start();
  // Refused from the headers alone, before any of the body is read: first who is asking, then
  // the size.
  const std::string big_put =
      "PUT /subscriptions/x/resourcegroups/rg?api-version=2021-04-01 HTTP/1.1\r\n"
      "Host: 127.0.0.1\r\nContent-Length: " +
      std::to_string(5 << 20) + "\r\n";
  EXPECT_EQ(client_->Raw(big_put + "\r\n").status, 401);
  const auto big = client_->Raw(big_put + "Authorization: Bearer " + Token() + "\r\n\r\n");
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(json::parse(big.body).at("error").at("code"), "RequestEntityTooLarge");
  const auto garbage = client_->Raw("THIS IS NOT HTTP\r\n\r\n");
  EXPECT_EQ(garbage.status, 400);
  EXPECT_NE(garbage.body.find("\"error\""), std::string::npos);
  EXPECT_EQ(client_->Request("GET", "/healthz").status, 200);  // the server is fine
}

TEST_F(GangplankdTest, TokensAndWritesSurviveRestartsAndKill9) {
  Start();
  const std::string token = Token();
  const std::string group =
      "/subscriptions/" + Subscription() + "/resourceGroups/durable?api-version=2021-04-01";
  const auto created = client_->Request("PUT", group, R"({"location":"westus2"})",
                                        {{"Authorization", "Bearer " + token}});
  ASSERT_EQ(created.status, 201) << created.body;

  ::kill(server_->pid(), SIGKILL);  // no chance to flush anything after the 201
  server_->Stop();
  client_.reset();
  Start();
  const auto after_kill =
      client_->Request("GET", group, "", {{"Authorization", "Bearer " + token}});
  EXPECT_EQ(after_kill.status, 200) << after_kill.body;

  // SIGTERM stops it cleanly and promptly.
  ::kill(server_->pid(), SIGTERM);
  int status = 0;
  for (int i = 0; i < 100 && ::waitpid(server_->pid(), &status, WNOHANG) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST_F(GangplankdTest, BadCommandLinesFailClearly) {
  auto bad_listen =
      testing::RunProgram({GANGPLANKD_PATH, "--data-dir", dir_.Join("d"), "--listen", "nowhere"});
  EXPECT_EQ(bad_listen.exit_code, 1);
  EXPECT_NE(bad_listen.err.find("HOST:PORT"), std::string::npos);
  auto bad_store =
      testing::RunProgram({GANGPLANKD_PATH, "--data-dir", dir_.Join("d"), "--store", "mysql://x"});
  EXPECT_EQ(bad_store.exit_code, 1);
  EXPECT_NE(bad_store.err.find("sqlite:PATH"), std::string::npos);
}

}  // namespace
}  // namespace gangplank
