// SSH user CA rotation through the API: a next CA is trusted by every EntraId node first,
// certificates switch to it, the retired one stays trusted by the nodes imaged under it until
// their node image upgrade, and a drop removes a CA from every node at once.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>

#include "access/directory.h"
#include "resources/machine_store.h"
#include "api/api_harness.h"
#include "common/base64.h"
#include "sshkey/generate.h"

namespace gangplank::api {
namespace {
namespace json = boost::json;
namespace http = boost::beast::http;

const std::string kCa = "/subscriptions/sub-1/providers/Gangplank.Ssh/userCertificateAuthority";
const std::string kEntraPool = kCluster + "/agentPools/entra";

class SshCaRotationTest : public ApiHarness {
 protected:
  void SetUp() override {
    ApiHarness::SetUp();
    CreateGroup(kGroup);
    ASSERT_EQ(Send(HttpVerb::put, kCluster + kNewest, ClusterWith(NewKey(), 1)).result(),
              HttpStatus::created);
    Settle();
    const auto pool = Send(HttpVerb::put, kEntraPool + kNewest, R"({"properties": {"count": 2,
        "mode": "User", "securityProfile": {"sshAccess": "EntraId"}}})");
    ASSERT_EQ(pool.result(), HttpStatus::created) << pool.body();
    Settle();
  }

  // The CA public keys the first node of the EntraId pool is told to trust now.
  std::vector<std::string> TrustedByFirstNode() {
    auto machines = resources::MachinesOf(*store_, kEntraPool);
    EXPECT_TRUE(machines.ok() && !machines->empty());
    const auto& machine = machines->front();
    const std::string token = node_tokens_->Issue({machine.row.id, machine.uid, 0});
    const auto desired = Send(HttpVerb::get, "/gangplank/node/v1/desired", "", false,
                              {{http::field::authorization, "Bearer " + token}});
    EXPECT_EQ(desired.result(), HttpStatus::ok) << desired.body();
    std::vector<std::string> keys;
    const json::value doc = Body(desired);
    for (const json::value& key : doc.at("trustedUserCaKeys").as_array())
      keys.emplace_back(key.as_string());
    return keys;
  }

  json::value Get(const std::string& path) { return Body(Send(HttpVerb::get, path)); }

  json::object Machine0() {
    const json::value list = Get(kEntraPool + "/machines" + kNewest);
    return list.at("value").at(0).at("properties").as_object();
  }

  // Each generation's public key and state, as GET shows them.
  json::array Generations() {
    const auto shown = Send(HttpVerb::get, kCa);
    EXPECT_EQ(shown.result(), HttpStatus::ok) << shown.body();
    return Body(shown).at("properties").at("generations").as_array();
  }

  HttpResponse Step(const std::string& step, const std::string& body = "") {
    return Send(HttpVerb::post, kCa + "/" + step, body);
  }

  // The generation whose key signs a certificate issued now.
  int SigningGeneration() {
    sshkey::UserCertificate certificate;
    certificate.subject_blob =
        sshkey::GenerateKeyPair({sshkey::KeyKind::kEd25519, 0, "x"})->public_key.blob;
    certificate.key_id = "someone@adfs";
    certificate.principals = {"someone@contoso.example"};
    certificate.valid_before = 4102444800;
    int generation = 0;
    const auto blob = ssh_cas_->Sign(certificate, &generation);
    EXPECT_TRUE(blob.ok());
    // The certificate carries its CA's public key: the one of that generation.
    for (const json::value& entry : Generations()) {
      if (entry.at("generation").as_int64() != generation) continue;
      const std::string line(entry.at("publicKey").as_string());
      const auto ca_blob = Base64DecodeStrict(line.substr(12, line.find(' ', 12) - 12));
      EXPECT_TRUE(ca_blob && blob->find(*ca_blob) != std::string::npos);
    }
    return generation;
  }

  void UpgradeEntraPool() {
    const auto upgrade =
        Send(HttpVerb::post, kEntraPool + "/upgradeNodeImageVersion" + std::string(kNewest));
    ASSERT_EQ(upgrade.result(), HttpStatus::accepted) << upgrade.body();
    Settle();
  }
};

TEST_F(SshCaRotationTest, TheNextCaIsTrustedFirstSignsAfterTheSwitchAndTheOldGoesAtTheUpgrade) {
  json::array generations = Generations();
  ASSERT_EQ(generations.size(), 1u);
  EXPECT_EQ(generations[0].at("state"), "Signing");
  EXPECT_EQ(generations[0].at("trustedByNodes"), 2);
  const std::string first(generations[0].at("publicKey").as_string());
  EXPECT_EQ(TrustedByFirstNode(), std::vector<std::string>{first});
  EXPECT_EQ(ErrorCode(Step("switch")), "NoNextCa");

  // 1. A next CA: trusted by every EntraId node at once, signing nothing yet.
  ASSERT_EQ(Step("addNext").result(), HttpStatus::ok);
  generations = Generations();
  ASSERT_EQ(generations.size(), 2u);
  EXPECT_EQ(generations[1].at("state"), "Next");
  const std::string second(generations[1].at("publicKey").as_string());
  EXPECT_EQ(TrustedByFirstNode(), (std::vector<std::string>{first, second}));
  EXPECT_EQ(SigningGeneration(), 1);
  EXPECT_EQ(ErrorCode(Step("addNext")), "NextCaExists");

  // 2. The switch: certificates come from the new CA; the old one, retired, is still trusted by
  // the nodes imaged under it (certificates it signed stay good for up to an hour), and those
  // nodes no longer have the latest model.
  ASSERT_EQ(Step("switch").result(), HttpStatus::ok);
  EXPECT_EQ(SigningGeneration(), 2);
  EXPECT_EQ(TrustedByFirstNode(), (std::vector<std::string>{first, second}));
  EXPECT_EQ(Machine0().at("sshCaGenerations"), (json::array{1, 2}));
  EXPECT_EQ(Machine0().at("latestModelApplied"), false);
  EXPECT_EQ(ErrorCode(Step("drop", R"({"generation": 2})")), "SigningCaCannotBeDropped");

  // 3. The node image upgrade reimages the nodes under the new CA: the old one is gone there.
  UpgradeEntraPool();
  EXPECT_EQ(TrustedByFirstNode(), std::vector<std::string>{second});
  EXPECT_EQ(Machine0().at("sshCaGenerations"), (json::array{2}));
  EXPECT_EQ(Machine0().at("latestModelApplied"), true);
  generations = Generations();
  EXPECT_EQ(generations[0].at("state"), "Retired");
  EXPECT_EQ(generations[0].at("trustedByNodes"), 0);
  EXPECT_EQ(generations[1].at("trustedByNodes"), 2);

  // 4. The retired CA dropped: its key is gone from the data dir too.
  const std::string old_key = dir_.Join(ssh_cas_->Current().value()->Find(1)->KeyFile());
  ASSERT_TRUE(std::filesystem::exists(old_key));
  ASSERT_EQ(Step("drop", R"({"generation": 1})").result(), HttpStatus::ok);
  EXPECT_EQ(Generations().size(), 1u);
  EXPECT_FALSE(std::filesystem::exists(old_key));
  EXPECT_EQ(Step("drop", R"({"generation": 1})").result(), HttpStatus::not_found);
  for (const char* bad : {"", "{}", R"({"generation": "1"})", R"({"generation": 0})"}) {
    const auto refused = Step("drop", bad);
    EXPECT_EQ(refused.result(), HttpStatus::bad_request) << bad;
    EXPECT_NE(refused.body().find("{\\\"generation\\\": N}"), std::string::npos) << refused.body();
  }

  // A restart finds the same CAs; the next generation gets a number never given before.
  ssh_cas_ = auth::SshCaKeyring::Open(*store_, dir_.path(), std::nullopt, clock_).value();
  Restart();
  EXPECT_EQ(SigningGeneration(), 2);
  ASSERT_EQ(Step("addNext").result(), HttpStatus::ok);
  EXPECT_EQ(Generations().back().at("generation"), 3);
}

TEST_F(SshCaRotationTest, ADroppedCaIsRemovedFromEveryNodeAtOnceAndANewNodeNeverTrustedIt) {
  ASSERT_EQ(Step("addNext").result(), HttpStatus::ok);
  ASSERT_EQ(Step("switch").result(), HttpStatus::ok);
  const std::string second(Generations()[1].at("publicKey").as_string());
  // A node made after the switch never trusted the retired CA.
  ASSERT_EQ(Send(HttpVerb::patch, kEntraPool + kNewest, R"({"properties": {"count": 3}})").result(),
            HttpStatus::ok);
  Settle();
  const json::value machines = Get(kEntraPool + "/machines" + kNewest);
  ASSERT_EQ(machines.at("value").as_array().size(), 3u);
  EXPECT_EQ(machines.at("value").at(2).at("properties").at("sshCaGenerations"), (json::array{2}));
  EXPECT_EQ(machines.at("value").at(2).at("properties").at("latestModelApplied"), true);
  // The compromised-CA path: drop it without waiting for an upgrade.
  ASSERT_EQ(Step("drop", R"({"generation": 1})").result(), HttpStatus::ok);
  EXPECT_EQ(TrustedByFirstNode(), std::vector<std::string>{second});
  // A next CA that is not wanted after all can be dropped before the switch.
  ASSERT_EQ(Step("addNext").result(), HttpStatus::ok);
  ASSERT_EQ(Step("drop", R"({"generation": 3})").result(), HttpStatus::ok);
  EXPECT_EQ(TrustedByFirstNode(), std::vector<std::string>{second});
  EXPECT_EQ(SigningGeneration(), 2);
}

TEST_F(SshCaRotationTest, OnlyThoseAllowedRotateAndEveryStepIsInTheActivityLog) {
  const std::string reader_object = "aaaaaaaa-0000-4000-8000-00000000000a";
  ASSERT_TRUE(store_->Put(access::EncodeServicePrincipal({reader_object, "reader-app", "reader-app",
                                                          true, ""}),
                          store::Precondition::Any())
                  .ok());
  const auto assigned = Send(
      HttpVerb::put,
      "/subscriptions/sub-1/providers/Microsoft.Authorization/roleAssignments/"
      "88888888-0000-4000-8000-000000000008?api-version=2022-04-01",
      R"({"properties": {"roleDefinitionId": "/subscriptions/sub-1/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7", "principalId": ")" +
          reader_object + R"(", "principalType": "ServicePrincipal"}})");
  ASSERT_EQ(assigned.result(), HttpStatus::created) << assigned.body();
  const std::string reader = *tokens_->Issue("reader-app", kUrl);
  const auto as_reader = [&](HttpVerb verb, const std::string& path) {
    return Send(verb, path, "", false, {{http::field::authorization, "Bearer " + reader}});
  };
  EXPECT_EQ(as_reader(HttpVerb::get, kCa).result(), HttpStatus::ok);
  const auto refused = as_reader(HttpVerb::post, kCa + "/addNext");
  EXPECT_EQ(refused.result(), HttpStatus::forbidden);
  EXPECT_NE(refused.body().find("Gangplank.Ssh/userCertificateAuthority/addNext/action"),
            std::string::npos)
      << refused.body();
  EXPECT_EQ(Generations().size(), 1u);
  ASSERT_EQ(Step("addNext").result(), HttpStatus::ok);
  const auto events = Send(
      HttpVerb::get,
      "/subscriptions/sub-1/providers/Microsoft.Insights/eventtypes/management/"
      "values?api-version=2015-04-01&$filter=eventTimestamp%20ge%202000-01-01T00:00:00Z"
      "%20and%20eventTimestamp%20le%202100-01-01T00:00:00Z");
  ASSERT_EQ(events.result(), HttpStatus::ok);
  int refused_events = 0, accepted_events = 0;
  const json::value listed = Body(events);
  for (const json::value& event : listed.at("value").as_array()) {
    if (event.at("operationName").at("value") !=
        "Gangplank.Ssh/userCertificateAuthority/addNext/action")
      continue;
    (event.at("status").at("value") == "Failed" ? refused_events : accepted_events) += 1;
  }
  EXPECT_GE(accepted_events, 1) << events.body();
  EXPECT_GE(refused_events, 1) << events.body();
}

}  // namespace
}  // namespace gangplank::api
