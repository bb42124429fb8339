// A gangplankd API without sockets: SQLite store in a scratch directory, a fake clock, the token
// service, the operations engine (driven by hand), and helpers to send requests.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/beast/http/field.hpp>
#include <boost/json.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "api/api_service.h"
#include "controller/node_controller.h"
#include "controller/pool_runners.h"
#include "controller/simulated_nodes.h"
#include "mocks/fake_clock.h"
#include "sshkey/generate.h"
#include "store/sqlite_store.h"
#include "support/temp_dir.h"

namespace gangplank::api {

// The resources most tests use: subscription sub-1 (the admin's), group rg1, cluster c1.
inline constexpr const char* kVersion = "?api-version=2022-11-01";
// The newest stable version: it has the machines API and securityProfile.sshAccess.
inline constexpr const char* kNewest = "?api-version=2026-08-01";
inline const std::string kGroup = "/subscriptions/sub-1/resourceGroups/rg1";
inline const std::string kCluster =
    kGroup + "/providers/Microsoft.ContainerService/managedClusters/c1";

// A fresh public key line (ed25519 unless told otherwise) for request bodies.
inline std::string NewKey(sshkey::KeyKind kind = sshkey::KeyKind::kEd25519) {
  return sshkey::GenerateKeyPair({kind, 0, "test@host"})->public_key.ToPublicKeyLine();
}

// A cluster body (newest api-version) with one System pool of `count` nodes.
inline std::string ClusterWith(const std::string& key, int count, const std::string& surge = "33%") {
  namespace json = boost::json;
  json::object pool{{"name", "nodepool1"},     {"count", count},
                    {"mode", "System"},        {"osType", "Linux"},
                    {"type", "VirtualMachineScaleSets"},
                    {"upgradeSettings", json::object{{"maxSurge", surge}}}};
  return json::serialize(json::object{
      {"location", "westus2"},
      {"properties",
       json::object{{"dnsPrefix", "c1"},
                    {"linuxProfile",
                     json::object{{"adminUsername", "azureuser"},
                                  {"ssh", json::object{{"publicKeys",
                                                        json::array{json::object{
                                                            {"keyData", key}}}}}}}},
                    {"agentPoolProfiles", json::array{pool}}}}});
}

class ApiHarness : public ::testing::Test {
 protected:
  static constexpr const char* kUrl = "https://127.0.0.1:8443/";

  void SetUp() override {
    store_ = std::move(store::SqliteStore::Open(dir_.Join("db")).value());
    tokens_ = *auth::TokenService::Open(dir_.path(), std::string(kUrl) + "adfs",
                                        {kUrl, "https://127.0.0.1:8443"}, clock_);
    admin_.client_id = "client-id";
    admin_.client_secret = "client-secret";
    admin_.subscription_id = "sub-1";
    node_tokens_ = auth::NodeTokens::Open(dir_.path(), "node-token.key", &clock_).value();
    kube_tokens_ = auth::NodeTokens::Open(dir_.path(), "kube-token.key").value();
    ssh_cas_ = auth::SshCaKeyring::Open(*store_, dir_.path(), std::nullopt, clock_).value();
    Restart();
    token_ = *tokens_->Issue("client-id", kUrl);
  }

  // A new engine and service over the same store, as after a gangplankd restart. Nodes are
  // simulated (they report their desired state as soon as the node controller looks); tests of
  // real nodes use the binaries.
  void Restart() {
    service_.reset();
    nodes_.reset();
    simulated_nodes_ = std::make_unique<controller::SimulatedNodeRuntime>(*store_, clock_);
    nodes_ = std::make_unique<controller::NodeController>(*store_, *simulated_nodes_,
                                                          *node_tokens_, clock_);
    // One process on SQLite: a restarted engine is the same owner and resumes its leases at once.
    operations_ = std::make_unique<controller::OperationsEngine>(
        *store_, clock_, controller::EngineOptions{"gangplankd"});
    controller::RegisterClusterRunners(*operations_, images_, clock_,
                                       {std::chrono::seconds(120), std::chrono::milliseconds(1)});
    service_ = std::make_unique<ApiService>(
        ApiServiceConfig{admin_, kUrl, "-----BEGIN CERTIFICATE-----\n", &*kube_tokens_,
                         [this](const std::string& line) { warnings_.push_back(line); },
                         ssh_cas_.get()},
        *store_, tokens_, clock_, *operations_, images_, &*node_tokens_);
  }

  // Runs queued operations until none is left waiting (each waiting step runs once per round,
  // and the node controller makes the nodes match the machines between rounds).
  void Settle() {
    for (int round = 0; round < 50; ++round) {
      operations_->RunPending();
      if (!AnyOperationInProgress()) return;
      nodes_->SyncOnce();
    }
  }

  HttpResponse Send(HttpVerb verb, const std::string& target, const std::string& body = "",
                    bool authenticated = true,
                    const std::map<boost::beast::http::field, std::string>& headers = {}) {
    HttpRequest request(verb, target, 11);
    if (authenticated) request.set(boost::beast::http::field::authorization, "Bearer " + token_);
    for (const auto& [name, value] : headers) request.set(name, value);
    request.body() = body;
    request.prepare_payload();
    return service_->Handle(request);
  }

  // PUTs the resource group at `group_id` (/subscriptions/…/resourceGroups/NAME).
  void CreateGroup(const std::string& group_id) {
    ASSERT_EQ(Send(HttpVerb::put, group_id + "?api-version=2021-04-01", R"({"location":"westus2"})")
                  .result(),
              HttpStatus::created);
  }

  bool AnyOperationInProgress() {
    const auto rows = store_->ListKind(controller::kOperationKind);
    if (!rows.ok()) return false;
    const std::vector<store::Resource>& list = rows.value();
    return std::any_of(list.begin(), list.end(), [](const store::Resource& row) {
      return row.body.find("\"status\":\"InProgress\"") != std::string::npos;
    });
  }

  // The operation an accepted request started, as its Azure-AsyncOperation URL answers now.
  boost::json::value OperationOf(const HttpResponse& accepted) {
    std::string url(accepted["Azure-AsyncOperation"]);
    url = url.substr(url.find("/subscriptions/"));
    return Body(Send(HttpVerb::get, url));
  }

  static boost::json::value Body(const HttpResponse& response) {
    return boost::json::parse(response.body());
  }
  static std::string ErrorCode(const HttpResponse& response) {
    return std::string(Body(response).at("error").at("code").as_string());
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<store::Store> store_;
  std::shared_ptr<auth::TokenService> tokens_;
  auth::AdminCredentials admin_;
  std::unique_ptr<controller::OperationsEngine> operations_;
  std::unique_ptr<controller::SimulatedNodeRuntime> simulated_nodes_;
  std::unique_ptr<controller::NodeController> nodes_;
  resources::NodeImageCatalog images_{dir_.path() / "node-images.json"};
  std::optional<auth::NodeTokens> node_tokens_;
  std::optional<auth::NodeTokens> kube_tokens_;
  std::unique_ptr<auth::SshCaKeyring> ssh_cas_;
  std::vector<std::string> warnings_;  // what the service logged for the operator
  std::unique_ptr<ApiService> service_;
  std::string token_;
};

}  // namespace gangplank::api
