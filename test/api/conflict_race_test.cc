// Conflicting requests sent at the same moment, many times, to one API and to two replicas of it
// on one PostgreSQL database: two requests that conflict are never both accepted, and every run
// ends consistent (no livelock, no node left behind a deleted group, no lock left over).
#include <gtest/gtest.h>

#include <boost/beast/http/field.hpp>
#include <boost/json.hpp>
#include <latch>
#include <thread>

#include "api/api_service.h"
#include "auth/token_service.h"
#include "resources/cluster_docs.h"
#include "controller/machines.h"
#include "controller/node_controller.h"
#include "controller/pool_runners.h"
#include "controller/simulated_nodes.h"
#include "mocks/fake_clock.h"
#include "sshkey/generate.h"
#include "store/postgres_store.h"
#include "store/sqlite_store.h"
#include "support/postgres_server.h"
#include "support/temp_dir.h"

namespace gangplank::api {
namespace {
namespace json = boost::json;

constexpr const char* kVersion = "?api-version=2026-08-01";
const std::string kGroups = "/subscriptions/sub-1/resourceGroups/";

enum class Topology { kSqlite, kPostgresOne, kPostgresTwo };

std::string KeyLine() {
  return sshkey::GenerateKeyPair({sshkey::KeyKind::kEd25519, 0, "race@test"})
      ->public_key.ToPublicKeyLine();
}

std::string ClusterBody(const std::string& key) {
  return json::serialize(json::object{
      {"location", "westus2"},
      {"properties",
       json::object{{"dnsPrefix", "race"},
                    {"linuxProfile",
                     json::object{{"adminUsername", "azureuser"},
                                  {"ssh", json::object{{"publicKeys",
                                                        json::array{json::object{
                                                            {"keyData", key}}}}}}}},
                    {"agentPoolProfiles",
                     json::array{json::object{{"name", "nodepool1"},
                                              {"count", 2},
                                              {"mode", "System"}}}}}}});
}

bool Accepted(const HttpResponse& response) {
  return response.result() == HttpStatus::ok || response.result() == HttpStatus::created ||
         response.result() == HttpStatus::accepted;
}

class ConflictRaceTest : public ::testing::TestWithParam<Topology> {
 protected:
  struct Replica {
    std::unique_ptr<store::Store> store;
    std::unique_ptr<controller::OperationsEngine> engine;
    std::unique_ptr<ApiService> service;
    std::unique_ptr<controller::SimulatedNodeRuntime> nodes;
    std::unique_ptr<controller::NodeController> node_controller;
  };

  void SetUp() override {
    tokens_ = *auth::TokenService::Open(dir_.path(), "https://127.0.0.1:8443/adfs",
                                        {"https://127.0.0.1:8443/"}, clock_);
    admin_.client_id = "client-id";
    admin_.subscription_id = "sub-1";
    node_tokens_ = auth::NodeTokens::Open(dir_.path(), "node-token.key", &clock_).value();
    const int count = GetParam() == Topology::kPostgresTwo ? 2 : 1;
    for (int i = 0; i < count; ++i) {
      Replica replica;
      if (GetParam() == Topology::kSqlite) {
        replica.store = std::move(store::SqliteStore::Open(dir_.Join("db")).value());
      } else {
        ASSERT_EQ(database_.error(), "");
        auto opened = store::PostgresStore::Open(database_.uri());
        ASSERT_TRUE(opened.ok()) << opened.error().ToString();
        replica.store = std::move(opened.value());
      }
      replica.engine = std::make_unique<controller::OperationsEngine>(
          *replica.store, clock_, controller::EngineOptions{"replica-" + std::to_string(i)});
      controller::RegisterClusterRunners(
          *replica.engine, images_, clock_,
          {std::chrono::seconds(120), std::chrono::milliseconds(1)});
      replica.nodes = std::make_unique<controller::SimulatedNodeRuntime>(*replica.store, clock_);
      replica.node_controller = std::make_unique<controller::NodeController>(
          *replica.store, *replica.nodes, *node_tokens_, clock_);
      replica.service = std::make_unique<ApiService>(
          ApiServiceConfig{admin_, "https://127.0.0.1:8443/", "", nullptr, {}, nullptr}, *replica.store, tokens_,
          clock_, *replica.engine, images_, nullptr);
      replicas_.push_back(std::move(replica));
    }
    token_ = *tokens_->Issue("client-id", "https://127.0.0.1:8443/");
  }

  Replica& Last() { return replicas_.back(); }

  HttpResponse Send(Replica& replica, HttpVerb verb, const std::string& target,
                    const std::string& body = "") {
    HttpRequest request(verb, target, 11);
    request.set(boost::beast::http::field::authorization, "Bearer " + token_);
    request.body() = body;
    request.prepare_payload();
    return replica.service->Handle(request);
  }

  // Sends both at the same moment (from two threads), one to the first replica and one to the
  // last, and returns both answers.
  std::pair<HttpResponse, HttpResponse> Race(HttpVerb verb_a, const std::string& target_a,
                                             const std::string& body_a, HttpVerb verb_b,
                                             const std::string& target_b,
                                             const std::string& body_b) {
    std::latch start(2);
    HttpResponse a, b;
    std::thread first([&] {
      start.arrive_and_wait();
      a = Send(replicas_.front(), verb_a, target_a, body_a);
    });
    std::thread second([&] {
      start.arrive_and_wait();
      b = Send(Last(), verb_b, target_b, body_b);
    });
    first.join();
    second.join();
    return {std::move(a), std::move(b)};
  }

  // Runs every replica's engine until no operation is in progress anywhere.
  void Settle() {
    for (int round = 0; round < 200; ++round) {
      bool busy = false;
      for (Replica& replica : replicas_) {
        ASSERT_TRUE(replica.store->Sync().ok());
        replica.engine->RunPending();
      }
      // One replica runs the nodes (the one holding the node controller's lease in gangplankd).
      ASSERT_TRUE(replicas_.front().store->Sync().ok());
      replicas_.front().node_controller->SyncOnce();
      const auto operations = replicas_.front().store->ListKind(controller::kOperationKind);
      ASSERT_TRUE(operations.ok());
      for (const auto& row : *operations)
        busy = busy || row.body.find("\"status\":\"InProgress\"") != std::string::npos;
      if (!busy) return;
    }
    FAIL() << "operations never finished (a livelock?)";
  }

  std::size_t RowsUnder(std::string_view kind, const std::string& id) {
    const std::string prefix = store::IdKey(id) + "/";
    std::size_t count = 0;
    const auto rows = replicas_.front().store->ListKind(kind);
    for (const auto& row : *rows) count += store::IdKey(row.id).starts_with(prefix) ? 1 : 0;
    return count;
  }

  void CreateGroup(const std::string& group) {
    ASSERT_EQ(Send(replicas_.front(), HttpVerb::put, group + "?api-version=2021-04-01",
                   R"({"location":"westus2"})")
                  .result(),
              HttpStatus::created);
  }

  void CreateGroupAndCluster(const std::string& group, const std::string& cluster) {
    CreateGroup(group);
    ASSERT_EQ(Send(replicas_.front(), HttpVerb::put, cluster + kVersion, ClusterBody(KeyLine()))
                  .result(),
              HttpStatus::created);
    Settle();
  }

  static constexpr int kRounds = 25;
  testing::TempDir dir_;
  testing::ScratchDatabase database_;
  testing::FakeClock clock_;
  auth::AdminCredentials admin_;
  std::shared_ptr<auth::TokenService> tokens_;
  resources::NodeImageCatalog images_{dir_.path() / "node-images.json"};
  std::optional<auth::NodeTokens> node_tokens_;
  std::vector<Replica> replicas_;
  std::string token_;
};

TEST_P(ConflictRaceTest, APoolPutAndAClusterDeleteAreNeverBothAccepted) {
  for (int round = 0; round < kRounds; ++round) {
    const std::string group = kGroups + "pools" + std::to_string(round);
    const std::string cluster = group + "/providers/Microsoft.ContainerService/managedClusters/c";
    CreateGroupAndCluster(group, cluster);
    auto [put, del] = Race(HttpVerb::put, cluster + "/agentPools/extra" + kVersion,
                           R"({"properties":{"count":1,"mode":"User"}})", HttpVerb::delete_,
                           cluster + kVersion, "");
    ASSERT_NE(Accepted(put), Accepted(del))
        << "round " << round << ": pool PUT " << put.result_int() << " " << put.body()
        << ", cluster DELETE " << del.result_int() << " " << del.body();
    const HttpResponse& loser = Accepted(put) ? del : put;
    EXPECT_EQ(loser.result(), HttpStatus::conflict) << loser.body();
    EXPECT_NE(loser.body().find("OperationNotAllowed"), std::string::npos) << loser.body();
    Settle();
    if (Accepted(del)) {
      EXPECT_EQ(Send(replicas_.front(), HttpVerb::get, cluster + kVersion).result(),
                HttpStatus::not_found);
      EXPECT_EQ(RowsUnder(resources::kPoolKind, cluster), 0u);
    } else {
      // The pool is there, and the cluster can still be deleted: nothing undoes anything.
      EXPECT_EQ(RowsUnder(resources::kMachineKind, cluster), 3u);
      ASSERT_EQ(Send(Last(), HttpVerb::delete_, cluster + kVersion).result(), HttpStatus::accepted);
      Settle();
    }
    EXPECT_EQ(RowsUnder(resources::kMachineKind, cluster), 0u);
    EXPECT_EQ(RowsUnder(controller::kOperationLockKind, group), 0u);
  }
}

TEST_P(ConflictRaceTest, AGroupDeleteDuringAClusterCreateLeavesNoNodeBehind) {
  for (int round = 0; round < kRounds; ++round) {
    const std::string group = kGroups + "groups" + std::to_string(round);
    const std::string cluster = group + "/providers/Microsoft.ContainerService/managedClusters/c";
    CreateGroup(group);
    auto [create, del] = Race(HttpVerb::put, cluster + kVersion, ClusterBody(KeyLine()),
                              HttpVerb::delete_, group + "?api-version=2021-04-01", "");
    ASSERT_TRUE(Accepted(create) || Accepted(del))
        << create.body() << " / " << del.body();
    if (!Accepted(create)) {
      EXPECT_EQ(create.result(), HttpStatus::conflict) << create.body();
    }
    if (!Accepted(del)) {
      EXPECT_EQ(del.result(), HttpStatus::conflict) << del.body();
    }
    Settle();
    const auto group_now = Send(replicas_.front(), HttpVerb::get, group + "?api-version=2021-04-01");
    if (Accepted(del)) {
      // Whatever the create did before the deletion took over is gone, nodes first.
      EXPECT_EQ(group_now.result(), HttpStatus::not_found) << group_now.body();
      EXPECT_EQ(RowsUnder(resources::kClusterKind, group), 0u);
      EXPECT_EQ(RowsUnder(resources::kMachineKind, group), 0u);
      EXPECT_FALSE(*controller::NodesPendingRemoval(*replicas_.front().store, group));
    } else {
      EXPECT_EQ(group_now.result(), HttpStatus::ok);
      EXPECT_EQ(RowsUnder(resources::kMachineKind, group), 2u);
      // The group can be deleted now, and its nodes go with it.
      ASSERT_EQ(Send(Last(), HttpVerb::delete_, group + "?api-version=2021-04-01").result(),
                HttpStatus::accepted);
      Settle();
      EXPECT_EQ(RowsUnder(resources::kMachineKind, group), 0u);
    }
    EXPECT_EQ(RowsUnder(controller::kOperationLockKind, group), 0u);
  }
}

TEST_P(ConflictRaceTest, AKeyChangeIsNotAcceptedWhileAPoolUpgradeRuns) {
  for (int round = 0; round < kRounds; ++round) {
    const std::string group = kGroups + "keys" + std::to_string(round);
    const std::string cluster = group + "/providers/Microsoft.ContainerService/managedClusters/c";
    CreateGroupAndCluster(group, cluster);
    const std::string new_key = KeyLine();
    auto [upgrade, key] =
        Race(HttpVerb::post, cluster + "/agentPools/nodepool1/upgradeNodeImageVersion" + kVersion,
             "", HttpVerb::put, cluster + kVersion, ClusterBody(new_key));
    ASSERT_NE(Accepted(upgrade), Accepted(key))
        << "round " << round << ": upgrade " << upgrade.result_int() << ", key change "
        << key.result_int() << " " << key.body();
    // While the winner runs, the loser's request is refused again.
    if (Accepted(upgrade)) {
      EXPECT_EQ(Send(Last(), HttpVerb::put, cluster + kVersion, ClusterBody(new_key)).result(),
                HttpStatus::conflict);
    }
    Settle();
    const auto pool = replicas_.front().store->Get(resources::kPoolKind,
                                                   cluster + "/agentPools/nodepool1");
    ASSERT_TRUE(pool.ok() && pool->has_value());
    EXPECT_EQ((*pool)->body.find(new_key.substr(12, 40)) != std::string::npos, Accepted(key));
    EXPECT_EQ(RowsUnder(controller::kOperationLockKind, group), 0u);
  }
}

// A custom role deleted while someone assigns it: never both accepted (an accepted assignment of
// a deleted role would grant a later role under that GUID whatever it lists).
TEST_P(ConflictRaceTest, ACustomRoleDeleteAndAnAssignmentOfItAreNeverBothAccepted) {
  const std::string sub = "/subscriptions/sub-1";
  const std::string authz = sub + "/providers/Microsoft.Authorization";
  for (int round = 0; round < kRounds; ++round) {
    char guid[40];
    std::snprintf(guid, sizeof guid, "c0ffee00-0000-4000-8000-%012d", round);
    const std::string role = authz + "/roleDefinitions/" + guid + "?api-version=2022-04-01";
    ASSERT_EQ(Send(replicas_.front(), HttpVerb::put, role,
                   R"({"properties": {"roleName": "race )" + std::to_string(round) +
                       R"(", "permissions": [{"actions": ["*/read"]}], "assignableScopes": [")" +
                       sub + R"("]}})")
                  .result(),
              HttpStatus::created);
    std::snprintf(guid + 24, sizeof guid - 24, "%012d", round + 1000);
    const std::string assignment = authz + "/roleAssignments/" + guid + "?api-version=2022-04-01";
    const std::string body = R"({"properties": {"roleDefinitionId": ")" + authz +
                             "/roleDefinitions/c0ffee00-0000-4000-8000-" +
                             std::string(12 - std::to_string(round).size(), '0') +
                             std::to_string(round) +
                             R"(", "principalId": "aaaaaaaa-0000-4000-8000-000000000001"}})";
    auto [assigned, deleted] = Race(HttpVerb::put, assignment, body, HttpVerb::delete_, role, "");
    const bool assign_ok = assigned.result() == HttpStatus::created;
    const bool delete_ok = deleted.result() == HttpStatus::ok;
    ASSERT_FALSE(assign_ok && delete_ok)
        << "round " << round << ": both accepted: " << assigned.body() << " / " << deleted.body();
    ASSERT_TRUE(assign_ok || delete_ok) << assigned.body() << " / " << deleted.body();
    if (assign_ok) {
      // The role stays while assigned; both go in order.
      ASSERT_EQ(Send(Last(), HttpVerb::delete_, assignment).result(), HttpStatus::ok);
      ASSERT_EQ(Send(replicas_.front(), HttpVerb::delete_, role).result(), HttpStatus::ok);
    }
    EXPECT_EQ(Send(Last(), HttpVerb::get, role).result(), HttpStatus::not_found);
  }
}

// Two members added to one group at the same moment, on two replicas: both are kept.
TEST_P(ConflictRaceTest, TwoMembersAddedAtOnceAreBothKept) {
  const auto made = Send(replicas_.front(), HttpVerb::post, "/v1.0/groups",
                         R"({"displayName": "race", "mailNickname": "race"})");
  ASSERT_EQ(made.result(), HttpStatus::created) << made.body();
  const std::string group(json::parse(made.body()).at("id").as_string());
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::string> ids;
    for (int i = 0; i < 2; ++i) {
      const auto user = Send(replicas_.front(), HttpVerb::post, "/v1.0/groups",
                             R"({"displayName": "m", "mailNickname": "m"})");
      ids.emplace_back(json::parse(user.body()).at("id").as_string());
    }
    const std::string add = "/v1.0/groups/" + group + "/members/$ref";
    auto [first, second] = Race(HttpVerb::post, add, R"({"@odata.id": ")" + ids[0] + R"("})",
                                HttpVerb::post, add, R"({"@odata.id": ")" + ids[1] + R"("})");
    ASSERT_EQ(first.result(), HttpStatus::no_content) << first.body();
    ASSERT_EQ(second.result(), HttpStatus::no_content) << second.body();
  }
  const auto members = Send(Last(), HttpVerb::get, "/v1.0/groups/" + group + "/members");
  EXPECT_EQ(json::parse(members.body()).at("value").as_array().size(), 2u * kRounds);
}

INSTANTIATE_TEST_SUITE_P(Topologies, ConflictRaceTest,
                         ::testing::Values(Topology::kSqlite, Topology::kPostgresOne,
                                           Topology::kPostgresTwo),
                         [](const ::testing::TestParamInfo<Topology>& topology) {
                           switch (topology.param) {
                             case Topology::kSqlite: return std::string("sqlite");
                             case Topology::kPostgresOne: return std::string("postgresql");
                             case Topology::kPostgresTwo: return std::string("postgresql_two_replicas");
                           }
                           return std::string();
                         });

}  // namespace
}  // namespace gangplank::api
