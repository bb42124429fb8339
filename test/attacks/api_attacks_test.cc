// Attacks on the API's rules, through the handlers without sockets (a fake clock, simulated
// nodes): one bad node report must not fail an operation or delete a node, read-only fields stay
// the server's, and requests that ask for too much get QuotaExceeded naming the limit.
#include <boost/json.hpp>
#include <future>

#include "api/api_harness.h"
#include "controller/machines.h"
#include "net/unix_http_client.h"
#include "node/agent_loop.h"
#include "server/node_gateway.h"

namespace gangplank::api {
namespace {
namespace json = boost::json;

class ApiAttackTest : public ApiHarness {
 protected:
  void SetUp() override {
    ApiHarness::SetUp();
    CreateGroup(kGroup);
  }

  void CreateCluster(const std::string& pool_extra = "") {
    const std::string body =
        R"({"location":"westus2","properties":{"agentPoolProfiles":[{"name":"nodepool1","count":1,"mode":"System")" +
        pool_extra + "}]}}";
    ASSERT_EQ(Send(HttpVerb::put, kCluster + kNewest, body).result(), HttpStatus::created);
    Settle();
  }

  controller::Machine OnlyMachine() {
    auto machines = controller::MachinesOf(*store_, kCluster + "/agentPools/nodepool1");
    EXPECT_TRUE(machines.ok() && machines->size() == 1u);
    return machines->front();
  }

  void Report(const controller::Machine& machine, const std::string& health) {
    protocol::NodeStatus status;
    status.applied_model_version = machine.desired.model_version;
    status.image_version = machine.desired.image_version;
    status.reimage_generation = machine.desired.reimage_generation;
    status.sshd_health = health;
    ASSERT_TRUE(
        controller::RecordNodeReport(*store_, machine.row.id, machine.uid, status, {}, "", clock_)
            .ok());
  }

  std::string FailureOfTheNextStep() {
    auto pool = store_->Get(resources::kPoolKind, kCluster + "/agentPools/nodepool1");
    controller::NodeAddressAllocator addresses(*store_, "127.42");
    auto progress = controller::ReconcilePool(*store_, **pool, images_, clock_,
                                              {false, std::chrono::seconds(120), true}, addresses);
    EXPECT_TRUE(progress.ok());
    return progress->failure;
  }
};

TEST_F(ApiAttackTest, OneUnhealthyReportOfANodeThatWasFineFailsNothing) {
  CreateCluster();
  clock_.Advance(std::chrono::hours(24));  // a node that has been fine for a day
  const controller::Machine machine = OnlyMachine();
  Report(machine, "Unhealthy");
  EXPECT_EQ(FailureOfTheNextStep(), "") << "one report failed the operation at once";
  clock_.Advance(std::chrono::seconds(60));
  Report(machine, "Unhealthy");
  EXPECT_EQ(FailureOfTheNextStep(), "");
  // Healthy again resets the count; unhealthy for longer than the node timeout fails.
  Report(machine, "Healthy");
  clock_.Advance(std::chrono::seconds(10));
  Report(machine, "Unhealthy");
  clock_.Advance(std::chrono::seconds(100));
  EXPECT_EQ(FailureOfTheNextStep(), "");
  clock_.Advance(std::chrono::seconds(30));
  const std::string failure = FailureOfTheNextStep();
  EXPECT_NE(failure.find("has not been ready for 130 s"), std::string::npos) << failure;
}

// The node timeout (120 s here) is how long a node may stay unready: at 120 s it is still waited
// for, one second later it fails the operation.
TEST_F(ApiAttackTest, TheNodeTimeoutFailsANodeOnlyOnceItHasPassed) {
  CreateCluster();
  clock_.Advance(std::chrono::hours(1));
  const controller::Machine machine = OnlyMachine();
  Report(machine, "Unhealthy");
  clock_.Advance(std::chrono::seconds(120));
  EXPECT_EQ(FailureOfTheNextStep(), "") << "failed at the timeout, not after it";
  clock_.Advance(std::chrono::seconds(1));
  const std::string failure = FailureOfTheNextStep();
  EXPECT_NE(failure.find("has not been ready for 121 s"), std::string::npos) << failure;
}

// A node waiting its turn behind others (a large pool on a busy host) is not failed while the
// pool keeps making progress: the node timeout counts from the last node that became ready.
TEST_F(ApiAttackTest, TheNodeTimeoutCountsFromThePoolsLastProgress) {
  const std::string body =
      R"({"location":"westus2","properties":{"agentPoolProfiles":[{"name":"nodepool1","count":3,"mode":"System"}]}})";
  ASSERT_EQ(Send(HttpVerb::put, kCluster + kNewest, body).result(), HttpStatus::created);
  Settle();
  clock_.Advance(std::chrono::hours(1));
  auto machines = controller::MachinesOf(*store_, kCluster + "/agentPools/nodepool1");
  ASSERT_TRUE(machines.ok() && machines->size() == 3u);
  for (const auto& machine : *machines) Report(machine, "Starting");
  clock_.Advance(std::chrono::seconds(100));
  Report((*machines)[0], "Healthy");
  clock_.Advance(std::chrono::seconds(100));
  Report((*machines)[1], "Healthy");
  clock_.Advance(std::chrono::seconds(50));  // the third: 250 s unready, the pool moved 50 s ago
  EXPECT_EQ(FailureOfTheNextStep(), "") << "a node that waits its turn failed the operation";
  clock_.Advance(std::chrono::seconds(70));
  EXPECT_EQ(FailureOfTheNextStep(), "");
  clock_.Advance(std::chrono::seconds(1));  // no progress for longer than the timeout: it fails
  const std::string failure = FailureOfTheNextStep();
  EXPECT_NE(failure.find("has not been ready for 121 s"), std::string::npos) << failure;
}

TEST_F(ApiAttackTest, AClientCannotSetTheNodeImageVersion) {
  CreateCluster(R"(,"nodeImageVersion":"AKSUbuntu-2204gen2containerd-evil")");
  const auto pool = Body(Send(HttpVerb::get, kCluster + "/agentPools/nodepool1" + kNewest));
  EXPECT_NE(pool.at("properties").at("nodeImageVersion"), "AKSUbuntu-2204gen2containerd-evil");
  int index = 0;
  for (const std::string version : {kNewest, kVersion, "?api-version=2019-04-01"}) {
    const std::string name = "p" + std::to_string(++index);
    const auto added =
        Send(HttpVerb::put, kCluster + "/agentPools/" + name + version,
             R"({"properties":{"count":1,"mode":"User","nodeImageVersion":"evil-image"}})");
    ASSERT_EQ(added.result(), HttpStatus::created) << added.body();
    Settle();
    const auto other = Body(Send(HttpVerb::get, kCluster + "/agentPools/" + name + kNewest));
    EXPECT_EQ(other.at("properties").at("nodeImageVersion"),
              pool.at("properties").at("nodeImageVersion"))
        << version;
  }
}

TEST_F(ApiAttackTest, PoolsAndNodesHaveAksLimitsThatSayWhichOne) {
  json::array pools;
  for (int i = 0; i < 101; ++i)
    pools.push_back(
        json::object{{"name", "p" + std::to_string(i)}, {"count", 1}, {"mode", "System"}});
  const auto many = Send(
      HttpVerb::put, kCluster + kNewest,
      json::serialize(json::object{{"location", "westus2"},
                                   {"properties", json::object{{"agentPoolProfiles", pools}}}}));
  EXPECT_EQ(many.result(), HttpStatus::bad_request);
  EXPECT_EQ(ErrorCode(many), "QuotaExceeded");
  EXPECT_NE(Body(many).at("error").at("message").as_string().find("100 pools per cluster"),
            std::string::npos);
  EXPECT_EQ(Send(HttpVerb::get, kCluster + kNewest).result(), HttpStatus::not_found);

  CreateCluster();
  const auto big = Send(HttpVerb::put, kCluster + "/agentPools/big" + kNewest,
                        R"({"properties":{"count":1001,"mode":"User"}})");
  EXPECT_EQ(big.result(), HttpStatus::bad_request);
  EXPECT_EQ(ErrorCode(big), "QuotaExceeded");
  EXPECT_NE(Body(big).at("error").at("message").as_string().find("1000 nodes per pool"),
            std::string::npos);
  // One pool at a time up to the limit, then the 101st is refused.
  for (int i = 2; i <= 100; ++i) {
    ASSERT_EQ(Send(HttpVerb::put, kCluster + "/agentPools/p" + std::to_string(i) + kNewest,
                   R"({"properties":{"count":0,"mode":"User"}})")
                  .result(),
              HttpStatus::created)
        << i;
    Settle();
  }
  const auto extra = Send(HttpVerb::put, kCluster + "/agentPools/p101" + kNewest,
                          R"({"properties":{"count":0,"mode":"User"}})");
  EXPECT_EQ(extra.result(), HttpStatus::bad_request);
  EXPECT_EQ(ErrorCode(extra), "QuotaExceeded");
}

// A node (or whoever holds its token) cannot make its report any size or say anything.
TEST_F(ApiAttackTest, NodeReportsHaveBoundedFieldsAndAKnownHealth) {
  CreateCluster();
  const controller::Machine machine = OnlyMachine();
  const std::string token = node_tokens_->Issue({machine.row.id, machine.uid});
  const auto report = [&](const std::string& image, const std::string& health) {
    protocol::NodeStatus status;
    status.applied_model_version = machine.desired.model_version;
    status.reimage_generation = machine.desired.reimage_generation;
    status.image_version = image;
    status.sshd_health = health;
    return Send(
        HttpVerb::post, "/gangplank/node/v1/status",
        json::serialize(json::object{{"status", json::parse(protocol::NodeStatusJson(status))}}), false,
        {{boost::beast::http::field::authorization, "Bearer " + token}});
  };
  const auto huge = report(std::string(300 << 10, 'i'), "Healthy");
  EXPECT_EQ(huge.result(), HttpStatus::bad_request);
  EXPECT_EQ(ErrorCode(huge), "QuotaExceeded");
  const auto odd = report(machine.desired.image_version, std::string(1000, 'h'));
  EXPECT_EQ(odd.result(), HttpStatus::bad_request);
  EXPECT_NE(Body(odd).at("error").at("message").as_string().find("sshdHealth"), std::string::npos);
  EXPECT_EQ(report(machine.desired.image_version, "Healthy").result(), HttpStatus::no_content);
  // Each kind of token opens its own door only: a node token is no ARM token and the other way.
  EXPECT_EQ(Send(HttpVerb::get, kCluster + kNewest, "", false,
                 {{boost::beast::http::field::authorization, "Bearer " + token}})
                .result(),
            HttpStatus::unauthorized);
  EXPECT_EQ(Send(HttpVerb::get, "/gangplank/node/v1/desired", "", false,
                 {{boost::beast::http::field::authorization, "Bearer " + token_}})
                .result(),
            HttpStatus::unauthorized);
  // The token of a machine that was provisioned anew (another uid) is gone with it.
  const std::string stale = node_tokens_->Issue({machine.row.id, "another-uid"});
  EXPECT_EQ(Send(HttpVerb::get, "/gangplank/node/v1/desired", "", false,
                 {{boost::beast::http::field::authorization, "Bearer " + stale}})
                .result(),
            HttpStatus::gone);
  // A forged one opens nothing at all.
  std::string forged = token;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(Send(HttpVerb::get, "/gangplank/node/v1/desired", "", false,
                 {{boost::beast::http::field::authorization, "Bearer " + forged}})
                .result(),
            HttpStatus::unauthorized);
}

// A node token is good for a day: after that it opens nothing. The agent renews its own halfway,
// a renewal revokes the token it replaces, a token younger than an hour is not renewed (a leaked
// one cannot be renewed over and over), and a node cut off for longer than a day takes the fresh
// token gangplankd writes into its token file.
TEST_F(ApiAttackTest, NodeTokensExpireAndTheAgentRenewsItsOwn) {
  CreateCluster();
  const controller::Machine machine = OnlyMachine();
  const std::string issued = node_tokens_->Issue({machine.row.id, machine.uid});
  server::NodeGateway gateway(*store_, *node_tokens_, [this](const HttpRequest& request) {
    return service_->Handle(request);
  });
  const std::string socket = dir_.Join("node.sock");
  ASSERT_TRUE(gateway.Start(socket).ok());
  testing::TempDir secrets;
  testing::WriteTestFile(secrets.Join("token"), issued + "\n", 0600);
  const auto make_source = [&](const std::string& token) {
    return std::make_unique<node::ControlPlaneSource>(
        std::make_unique<net::UnixHttpClient>(socket, std::chrono::seconds(30)),
        std::make_unique<net::UnixHttpClient>(socket, std::chrono::seconds(30)), token,
        secrets.Join("token"));
  };
  const auto bearer = [](const std::string& token) {
    return std::map<boost::beast::http::field, std::string>{
        {boost::beast::http::field::authorization, "Bearer " + token}};
  };

  // A young token works but is not renewed yet: the agent is told when, and goes on.
  clock_.Advance(std::chrono::seconds(10));
  const auto too_soon = Send(HttpVerb::post, "/gangplank/node/v1/token", "", false, bearer(issued));
  EXPECT_EQ(too_soon.result(), HttpStatus::too_many_requests) << too_soon.body();
  EXPECT_EQ(ErrorCode(too_soon), "NodeTokenRenewedTooSoon");
  EXPECT_EQ(too_soon[boost::beast::http::field::retry_after], "3590");
  auto young = make_source(issued);
  ASSERT_TRUE(young->Fetch("", std::chrono::seconds(0)).ok());
  EXPECT_EQ(testing::ReadTestFile(secrets.Join("token")), issued + "\n");

  // Half a day on, the agent renews; the token it replaced stops holding at once.
  clock_.Advance(std::chrono::hours(13));
  auto source = make_source(issued);
  auto first = source->Fetch("", std::chrono::seconds(0));
  ASSERT_TRUE(first.ok()) << first.error().message;
  std::string renewed = testing::ReadTestFile(secrets.Join("token"));
  renewed.pop_back();
  EXPECT_NE(renewed, issued) << "the agent renewed its token (and kept it for its next start)";
  const auto replaced =
      Send(HttpVerb::get, "/gangplank/node/v1/desired", "", false, bearer(issued));
  EXPECT_EQ(replaced.result(), HttpStatus::unauthorized);
  EXPECT_EQ(ErrorCode(replaced), "NodeTokenReplaced");
  EXPECT_EQ(Send(HttpVerb::post, "/gangplank/node/v1/token", "", false, bearer(issued)).result(),
            HttpStatus::unauthorized)
      << "a replaced token renews nothing";
  EXPECT_EQ(Send(HttpVerb::post, "/gangplank/node/v1/token", "", false, bearer(renewed)).result(),
            HttpStatus::too_many_requests)
      << "the renewed token is young";
  EXPECT_EQ(Send(HttpVerb::get, "/gangplank/node/v1/desired", "", false, bearer(renewed)).result(),
            HttpStatus::ok);

  clock_.Advance(std::chrono::hours(25));
  const auto expired = Send(HttpVerb::get, "/gangplank/node/v1/desired", "", false, bearer(renewed));
  EXPECT_EQ(expired.result(), HttpStatus::unauthorized);
  EXPECT_EQ(ErrorCode(expired), "NodeTokenExpired");
  EXPECT_FALSE(source->Fetch("", std::chrono::seconds(0)).ok()) << "an expired token still works";
  // gangplankd writes a fresh token into the node's file: the agent reads it after the 401.
  testing::WriteTestFile(secrets.Join("token"),
                         node_tokens_->Issue({machine.row.id, machine.uid}) + "\n", 0600);
  auto again = source->Fetch("", std::chrono::seconds(0));
  EXPECT_TRUE(again.ok()) << again.error().message;
  gateway.Stop();
}

// Local nodes are containers on this host: one control plane runs at most 2,000, and two requests
// that would together pass that cannot both be accepted (the harness's API runs local nodes).
TEST_F(ApiAttackTest, LocalNodesPerControlPlaneAreCappedEvenUnderRacingRequests) {
  const auto put_cluster = [&](const std::string& name, int count) {
    const std::string body =
        R"({"location":"westus2","properties":{"agentPoolProfiles":[{"name":"nodepool1","count":)" +
        std::to_string(count) + R"(,"mode":"System"}]}})";
    return Send(HttpVerb::put,
                kGroup + "/providers/Microsoft.ContainerService/managedClusters/" + name + kNewest,
                body);
  };
  ASSERT_EQ(put_cluster("big1", 1000).result(), HttpStatus::created);
  ASSERT_EQ(put_cluster("big2", 990).result(), HttpStatus::created);
  const auto over = put_cluster("over", 11);
  EXPECT_EQ(over.result(), HttpStatus::bad_request);
  EXPECT_EQ(ErrorCode(over), "QuotaExceeded");
  EXPECT_NE(Body(over).at("error").at("message").as_string().find("at most 2000"),
            std::string::npos);
  Settle();
  // Ten free: two clusters of ten each, at the same moment, 25 times; one at most gets in.
  int rounds_with_one = 0;
  for (int round = 0; round < 25; ++round) {
    const std::string a = "ra" + std::to_string(round), b = "rb" + std::to_string(round);
    auto first = std::async(std::launch::async, [&] { return put_cluster(a, 10); });
    auto second = std::async(std::launch::async, [&] { return put_cluster(b, 10); });
    const HttpResponse replies[] = {first.get(), second.get()};
    int accepted = 0;
    for (const auto& reply : replies) {
      accepted += reply.result() == HttpStatus::created;
      EXPECT_TRUE(reply.result() == HttpStatus::created ||
                  reply.result() == HttpStatus::bad_request ||
                  reply.result() == HttpStatus::conflict)
          << reply.body();
    }
    EXPECT_LE(accepted, 1) << "round " << round;
    rounds_with_one += accepted == 1;
    Settle();
    for (const std::string& name : {a, b}) {
      Send(HttpVerb::delete_,
           kGroup + "/providers/Microsoft.ContainerService/managedClusters/" + name + kNewest);
    }
    Settle();
  }
  EXPECT_GE(rounds_with_one, 12) << "deleting a cluster frees its nodes for the next round";
}

}  // namespace
}  // namespace gangplank::api
