// The node protocol through the pure handler: an agent with its machine's token reads the desired
// state and reports; forged, foreign and stale tokens and bad reports are refused clearly.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <future>
#include <thread>

#include "api/api_harness.h"
#include "controller/machines.h"
#include "net/unix_http_client.h"
#include "resources/machine.h"
#include "server/node_gateway.h"
#include "sshkey/generate.h"

namespace gangplank::api {
namespace {
namespace json = boost::json;
namespace http = boost::beast::http;


class NodeProtocolTest : public ApiHarness {
 protected:
  void SetUp() override {
    ApiHarness::SetUp();
    CreateGroup(kGroup);
    const std::string key = sshkey::GenerateKeyPair({sshkey::KeyKind::kEd25519, 0, "me@host"})
                                ->public_key.ToPublicKeyLine();
    const std::string body = json::serialize(json::object{
        {"location", "westus2"},
        {"properties",
         json::object{{"linuxProfile",
                       json::object{{"adminUsername", "azureuser"},
                                    {"ssh", json::object{{"publicKeys", json::array{json::object{
                                                                            {"keyData", key}}}}}}}},
                      {"agentPoolProfiles",
                       json::parse(R"([{"name":"nodepool1","count":1,"mode":"System"}])")}}}});
    ASSERT_EQ(Send(HttpVerb::put, kCluster + kVersion, body).result(), HttpStatus::created);
    Settle();
    auto machines = controller::MachinesOf(*store_, kCluster + "/agentPools/nodepool1");
    ASSERT_TRUE(machines.ok());
    ASSERT_EQ(machines->size(), 1u);
    machine_ = machines->front();
    token_ = node_tokens_->Issue({machine_.row.id, machine_.uid});
  }

  HttpResponse Node(HttpVerb verb, const std::string& path, const std::string& token,
                    const std::string& body = "") {
    return ApiHarness::Send(verb, "/gangplank/node/v1/" + path, body, false,
                            {{http::field::authorization, "Bearer " + token}});
  }

  controller::Machine machine_;
  std::string token_;
};

TEST_F(NodeProtocolTest, AnAgentReadsItsDesiredStateAndReports) {
  const auto desired = Node(HttpVerb::get, "desired", token_);
  ASSERT_EQ(desired.result(), HttpStatus::ok) << desired.body();
  const json::object doc = Body(desired).as_object();
  EXPECT_EQ(doc.at("adminUsername"), "azureuser");
  EXPECT_EQ(doc.at("nodeName"), json::value(machine_.desired.node_name));
  EXPECT_EQ(doc.at("publicKeys").as_array().size(), 1u);

  protocol::NodeStatus status;
  status.applied_model_version = machine_.desired.model_version;
  status.image_version = machine_.desired.image_version;
  status.reimage_generation = machine_.desired.reimage_generation;
  status.sshd_health = "Healthy";
  const std::string report = json::serialize(json::object{
      {"status", json::parse(protocol::NodeStatusJson(status))},
      {"loginEvents", json::parse(R"([{"user":"azureuser","source":"127.0.0.1","sourcePort":5,
          "keyType":"ED25519","fingerprint":"SHA256:x","method":"publickey","result":"Accepted"}])")},
      {"log", "sshd: Server listening\n"}});
  EXPECT_EQ(Node(HttpVerb::post, "status", token_, report).result(), HttpStatus::no_content);
  const auto logs = Send(HttpVerb::get,
                         kCluster + "/agentPools/nodepool1/machines/" + machine_.desired.node_name +
                             "/logs" + kNewest,
                         "", true);
  ASSERT_EQ(logs.result(), HttpStatus::ok) << logs.body();
  EXPECT_NE(Body(logs).at("logs").as_string().find("Server listening"), std::string::npos);
  EXPECT_EQ(Body(logs).at("loginEvents").at(0).at("result"), "Accepted");
  // The login names the change that put the node's key there: the cluster's creation, by the
  // admin, an operation the activity log has.
  const json::value login = Body(logs).at("loginEvents").at(0);
  EXPECT_EQ(login.at("modelVersion"), machine_.desired.model_version);
  const std::string operation(login.at("keyChange").at("operationId").as_string());
  EXPECT_EQ(login.at("keyChange").at("caller"), "client-id");
  const auto events =
      Send(HttpVerb::get, "/subscriptions/sub-1/providers/Microsoft.Insights/eventtypes/management/"
                          "values?api-version=2015-04-01&$filter=eventTimestamp%20ge%202000-01-01T00:00:00Z"
                          "%20and%20eventTimestamp%20le%202100-01-01T00:00:00Z");
  ASSERT_EQ(events.result(), HttpStatus::ok) << events.body();
  int with_it = 0;
  const json::value listed = Body(events);
  for (const json::value& event : listed.at("value").as_array())
    with_it += event.at("operationId") == json::value(operation) ? 1 : 0;
  EXPECT_GE(with_it, 1) << events.body();
}

TEST_F(NodeProtocolTest, ForgedStaleAndMissingTokensAndBadReportsAreRefused) {
  std::string forged = token_;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(Node(HttpVerb::get, "desired", forged).result(), HttpStatus::unauthorized);
  EXPECT_EQ(Node(HttpVerb::get, "desired", "garbage").result(), HttpStatus::unauthorized);
  EXPECT_EQ(ApiHarness::Send(HttpVerb::get, "/gangplank/node/v1/desired", "", false).result(),
            HttpStatus::unauthorized);
  // An ARM token is not a node token.
  EXPECT_EQ(Node(HttpVerb::get, "desired", token_.substr(0, 10)).result(),
            HttpStatus::unauthorized);
  // A token for a machine provisioned anew (another uid) is stale: 410, the node is going away.
  const std::string stale = node_tokens_->Issue({machine_.row.id, "another-uid"});
  EXPECT_EQ(Node(HttpVerb::get, "desired", stale).result(), HttpStatus::gone);
  for (const char* bad : {"{", "[]", R"({"status": 5})", R"({"status": {"sshdHealth": 1}})",
                          R"({"status": {"appliedModelVersion": 1, "imageVersion": "x",
                              "reimageGeneration": 1, "sshAccess": "LocalUser",
                              "hostKeyFingerprints": [], "sshdHealth": "Healthy",
                              "hostKeys": ["not a key"]}})"}) {
    const auto refused = Node(HttpVerb::post, "status", token_, bad);
    EXPECT_EQ(refused.result(), HttpStatus::bad_request) << bad << ": " << refused.body();
  }
  EXPECT_EQ(Node(HttpVerb::delete_, "desired", token_).result(), HttpStatus::not_found);
}

// The node gateway (a Unix socket): a request that knows the current state waits, is answered
// as soon as the machine's row changes, and a deleted machine ends the wait with 410.
TEST_F(NodeProtocolTest, TheGatewayHoldsAWaitingRequestUntilTheMachineChanges) {
  server::NodeGateway gateway(*store_, *node_tokens_,
                              [this](const HttpRequest& request) { return service_->Handle(request); });
  const std::string socket = dir_.Join("node.sock");
  ASSERT_TRUE(gateway.Start(socket).ok());
  net::UnixHttpClient client(socket, std::chrono::seconds(60));
  const std::map<std::string, std::string> auth{{"Authorization", "Bearer " + token_}};
  auto first = client.Send("GET", "/gangplank/node/v1/desired", "", auth);
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_EQ(first->status, 200) << first->body;
  const std::string etag = first->headers["etag"];
  ASSERT_FALSE(etag.empty());
  auto known = auth;
  known["If-None-Match"] = etag;

  // Unchanged: the wait runs out and the answer is 304.
  auto unchanged = client.Send("GET", "/gangplank/node/v1/desired?wait=1", "", known);
  ASSERT_TRUE(unchanged.ok());
  EXPECT_EQ(unchanged->status, 304);
  // Only the node protocol is served here.
  auto other = client.Send("GET", "/subscriptions", "", auth);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->status, 404);

  // A change (a reimage) answers the waiting request with the new state, long before its wait.
  auto waiting = std::async(std::launch::async, [&] {
    net::UnixHttpClient watcher(socket, std::chrono::seconds(120));
    return watcher.Send("GET", "/gangplank/node/v1/desired?wait=100", "", known);
  });
  for (int i = 0; i < 500 && gateway.Waiting() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(gateway.Waiting(), 1u);
  controller::Machine changed = machine_;
  changed.desired.reimage_generation += 1;
  store::Resource row = resources::EncodeMachine(changed);
  ASSERT_TRUE(store_->Put(row, store::Precondition::AtVersion(machine_.row.version)).ok());
  ASSERT_EQ(waiting.wait_for(std::chrono::seconds(50)), std::future_status::ready)
      << "the change did not end the wait";
  auto answered = waiting.get();
  ASSERT_TRUE(answered.ok());
  ASSERT_EQ(answered->status, 200);
  EXPECT_EQ(json::parse(answered->body).at("reimageGeneration"), changed.desired.reimage_generation);
  EXPECT_NE(answered->headers["etag"], etag);
  EXPECT_EQ(gateway.Waiting(), 0u);

  // The machine is deleted while its node waits: 410, and the agent stops its sshd.
  known["If-None-Match"] = answered->headers["etag"];
  auto deleted = std::async(std::launch::async, [&] {
    net::UnixHttpClient watcher(socket, std::chrono::seconds(120));
    return watcher.Send("GET", "/gangplank/node/v1/desired?wait=100", "", known);
  });
  for (int i = 0; i < 500 && gateway.Waiting() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(store_->Delete(resources::kMachineKind, machine_.row.id, store::Precondition::Any()).ok());
  ASSERT_EQ(deleted.wait_for(std::chrono::seconds(50)), std::future_status::ready);
  EXPECT_EQ(deleted.get()->status, 410);
  gateway.Stop();
  EXPECT_FALSE(gateway.Serving());
}

TEST_F(NodeProtocolTest, TheGatewayFlushesOnItsIntervalAndOnceMoreWhenItStops) {
  std::atomic<int> flushes{0};
  server::NodeGatewayOptions options;
  options.flush = [&flushes] { ++flushes; };
  options.flush_every = std::chrono::seconds(1);
  server::NodeGateway gateway(
      *store_, *node_tokens_,
      [this](const HttpRequest& request) { return service_->Handle(request); }, options);
  ASSERT_TRUE(gateway.Start(dir_.Join("node.sock")).ok());
  for (int i = 0; i < 1000 && flushes < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_GE(flushes.load(), 2) << "the watcher did not flush every second";
  gateway.Stop();
  const int at_stop = flushes.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(flushes.load(), at_stop) << "a stopped gateway flushed";

  // A gateway that stops before its first interval still writes what was left.
  std::atomic<int> last{0};
  options.flush = [&last] { ++last; };
  options.flush_every = std::chrono::hours(1);
  server::NodeGateway brief(
      *store_, *node_tokens_,
      [this](const HttpRequest& request) { return service_->Handle(request); }, options);
  ASSERT_TRUE(brief.Start(dir_.Join("node2.sock")).ok());
  EXPECT_EQ(last.load(), 0);
  brief.Stop();
  EXPECT_EQ(last.load(), 1) << "the gateway did not flush when it stopped";
}

}  // namespace
}  // namespace gangplank::api
