// Cluster credentials and the read-only Kubernetes view they open, through the pure handler:
// the kubeconfig's token reads that cluster's nodes and nothing else, and dies with the cluster.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "api/api_harness.h"
#include "common/base64.h"
#include "sshkey/generate.h"

namespace gangplank::api {
namespace {
namespace json = boost::json;

class KubernetesViewTest : public ApiHarness {
 protected:
  void SetUp() override {
    ApiHarness::SetUp();
    CreateGroup(kGroup);
  }

  void CreateCluster(const std::string& name) {
    const std::string key = sshkey::GenerateKeyPair({sshkey::KeyKind::kEd25519, 0, "me@host"})
                                ->public_key.ToPublicKeyLine();
    const std::string body =
        R"({"location":"westus2","properties":{"linuxProfile":{"adminUsername":"azureuser",
           "ssh":{"publicKeys":[{"keyData":")" +
        key + R"("}]}},"agentPoolProfiles":[{"name":"nodepool1","count":2,"mode":"System"}]}})";
    ASSERT_EQ(Send(HttpVerb::put, ClusterId(name) + kNewest, body).result(), HttpStatus::created);
    Settle();
  }

  static std::string ClusterId(const std::string& name) {
    return kGroup + "/providers/Microsoft.ContainerService/managedClusters/" + name;
  }

  // The kubeconfig's server path (below the host) and token.
  std::pair<std::string, std::string> Credentials(const std::string& name,
                                                  const std::string& role = "clusterUser") {
    const std::string action = role == "clusterUser"    ? "/listClusterUserCredential"
                               : role == "clusterAdmin" ? "/listClusterAdminCredential"
                                                        : "/listClusterMonitoringUserCredential";
    const auto reply = Send(HttpVerb::post, ClusterId(name) + action + kNewest);
    EXPECT_EQ(reply.result(), HttpStatus::ok) << reply.body();
    const json::value body = Body(reply);
    EXPECT_EQ(body.at("kubeconfigs").at(0).at("name"), json::value(role));
    const std::string kubeconfig =
        *Base64DecodeStrict(std::string(body.at("kubeconfigs").at(0).at("value").as_string()));
    auto value_of = [&](const std::string& key) {
      const std::size_t at = kubeconfig.find(key + ": ");
      EXPECT_NE(at, std::string::npos) << kubeconfig;
      const std::size_t from = at + key.size() + 2;
      return kubeconfig.substr(from, kubeconfig.find('\n', from) - from);
    };
    EXPECT_NE(kubeconfig.find("certificate-authority-data: "), std::string::npos);
    std::string server = value_of("server");
    return {server.substr(std::string(kUrl).size() - 1), value_of("token")};
  }

  HttpResponse Kube(const std::string& path, const std::string& token,
                    HttpVerb verb = HttpVerb::get, const std::string& accept = "application/json") {
    HttpRequest request(verb, path, 11);
    request.set(boost::beast::http::field::authorization, "Bearer " + token);
    request.set(boost::beast::http::field::accept, accept);
    request.prepare_payload();
    return service_->Handle(request);
  }
};

TEST_F(KubernetesViewTest, TheKubeconfigReadsThatClustersNodesAndNothingElse) {
  CreateCluster("c1");
  CreateCluster("c2");
  const auto [server, token] = Credentials("c1");
  const auto nodes = Kube(server + "/api/v1/nodes", token);
  ASSERT_EQ(nodes.result(), HttpStatus::ok) << nodes.body();
  const json::value list = Body(nodes);
  ASSERT_EQ(list.at("kind"), "NodeList");
  ASSERT_EQ(list.at("items").as_array().size(), 2u);
  const json::value& node = list.at("items").at(0);
  EXPECT_EQ(node.at("status").at("addresses").at(0).at("type"), "InternalIP");
  EXPECT_EQ(node.at("metadata").at("annotations").at("gangplank.io/latest-ssh-model-applied"),
            "true");
  EXPECT_EQ(node.at("metadata").at("labels").at("agentpool"), "nodepool1");

  const auto table = Kube(server + "/api/v1/nodes", token, HttpVerb::get,
                          "application/json;as=Table;v=v1;g=meta.k8s.io,application/json");
  ASSERT_EQ(Body(table).at("kind"), "Table");
  EXPECT_EQ(Body(table).at("rows").as_array().size(), 2u);
  EXPECT_EQ(Body(table).at("rows").at(0).at("cells").at(1), "Ready");

  // Anything else: a Kubernetes Status that says why.
  const auto pods = Kube(server + "/api/v1/namespaces/default/pods", token);
  EXPECT_EQ(pods.result(), HttpStatus::not_found);
  EXPECT_EQ(Body(pods).at("kind"), "Status");
  EXPECT_NE(std::string(Body(pods).at("message").as_string()).find("serves nodes only"),
            std::string::npos);
  EXPECT_EQ(Kube(server + "/api/v1/nodes", token, HttpVerb::delete_).result(),
            HttpStatus::method_not_allowed);
  // Another cluster's view, a forged token, no token: 401.
  const auto other = Credentials("c2");
  EXPECT_EQ(Kube(other.first + "/api/v1/nodes", token).result(), HttpStatus::unauthorized);
  EXPECT_EQ(Kube(server + "/api/v1/nodes", token + "x").result(), HttpStatus::unauthorized);
  EXPECT_EQ(Kube(server + "/api/v1/nodes", "").result(), HttpStatus::unauthorized);
  // The ARM token is not a Kubernetes credential either.
  EXPECT_EQ(Kube(server + "/api/v1/nodes", token_).result(), HttpStatus::unauthorized);

  // The credential dies with its cluster, also when one of the same name is created again.
  ASSERT_EQ(Send(HttpVerb::delete_, ClusterId("c1") + kNewest).result(), HttpStatus::accepted);
  Settle();
  CreateCluster("c1");
  EXPECT_EQ(Kube(server + "/api/v1/nodes", token).result(), HttpStatus::unauthorized);
}

// Each role has a token of its own, and rotateClusterCertificates revokes every one issued before
// it; the new ones work, the cluster's nodes are untouched.
TEST_F(KubernetesViewTest, RolesHaveTheirOwnTokensAndRotationRevokesThemAll) {
  CreateCluster("c1");
  const auto [server, user] = Credentials("c1");
  const std::string admin = Credentials("c1", "clusterAdmin").second;
  const std::string monitoring = Credentials("c1", "clusterMonitoringUser").second;
  EXPECT_NE(user, admin);
  EXPECT_NE(user, monitoring);
  EXPECT_NE(admin, monitoring);
  for (const std::string& token : {user, admin, monitoring})
    EXPECT_EQ(Kube(server + "/api/v1/nodes", token).result(), HttpStatus::ok);
  EXPECT_EQ(Credentials("c1").second, user) << "the same credential until a rotation";

  const auto rotated = Send(HttpVerb::post, ClusterId("c1") + "/rotateClusterCertificates" + kNewest);
  ASSERT_EQ(rotated.result(), HttpStatus::accepted) << rotated.body();
  EXPECT_FALSE(rotated[boost::beast::http::field::location].empty());
  EXPECT_FALSE(rotated["Azure-AsyncOperation"].empty());
  Settle();
  for (const std::string& token : {user, admin, monitoring})
    EXPECT_EQ(Kube(server + "/api/v1/nodes", token).result(), HttpStatus::unauthorized);
  const auto [same_server, new_user] = Credentials("c1");
  EXPECT_EQ(same_server, server);
  EXPECT_NE(new_user, user);
  const auto nodes = Kube(server + "/api/v1/nodes", new_user);
  ASSERT_EQ(nodes.result(), HttpStatus::ok);
  EXPECT_EQ(Body(nodes).at("items").as_array().size(), 2u);
  EXPECT_EQ(Kube(server + "/api/v1/nodes", Credentials("c1", "clusterAdmin").second).result(),
            HttpStatus::ok);
  const auto cluster = Body(Send(HttpVerb::get, ClusterId("c1") + kNewest));
  EXPECT_EQ(cluster.at("properties").at("provisioningState"), "Succeeded");

  // A cluster that does not exist, and an api-version from before the operation.
  EXPECT_EQ(Send(HttpVerb::post, ClusterId("none") + "/rotateClusterCertificates" + kNewest)
                .result(),
            HttpStatus::not_found);
  const auto old = Send(HttpVerb::post,
                        ClusterId("c1") + "/rotateClusterCertificates?api-version=2020-06-01");
  EXPECT_EQ(old.result(), HttpStatus::bad_request) << old.body();
}

}  // namespace
}  // namespace gangplank::api
