// Cluster credentials (listClusterUserCredential, listClusterAdminCredential,
// listClusterMonitoringUserCredential, accessProfiles/{role}/listCredential): real kubeconfigs for
// the read-only Kubernetes view of the cluster's nodes that gangplankd serves (kubernetes_view.cc),
// and rotateClusterCertificates, which revokes them.
#include "api/container_service.h"
#include "auth/kube_credentials.h"
#include "common/base64.h"
#include "resources/spec_checks.h"

namespace gangplank::api {
namespace {

// The kubeconfig: one cluster (the view's URL, the local CA), one user (the view's credential),
// one context, as `az aks get-credentials` merges it into ~/.kube/config. Every value is a plain
// scalar (names are checked when the cluster is created; the rest is base64 or a URL).
std::string Kubeconfig(const HandlerContext& context, const std::string& context_name,
                       const std::string& user, const std::string& server,
                       const std::string& token) {
  std::string yaml = "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n";
  if (!context.config.ca_pem.empty())
    yaml += "    certificate-authority-data: " + Base64Encode(context.config.ca_pem) + "\n";
  yaml += "    server: " + server + "\n  name: " + context_name + "\n";
  yaml += "contexts:\n- context:\n    cluster: " + context_name + "\n    user: " + user +
          "\n  name: " + context_name + "\n";
  yaml += "current-context: " + context_name + "\npreferences: {}\n";
  yaml += "users:\n- name: " + user + "\n  user:\n    token: " + token + "\n";
  return yaml;
}

struct Credential {
  std::string kubeconfig;
  json::value location;  // the cluster's
};

Result<std::optional<Credential>> CredentialFor(const ArmCall& call, std::string_view role) {
  const HandlerContext& context = call.context;
  if (context.config.kube_tokens == nullptr) {
    return MakeError(StatusCode::kInvalidArgument, "OperationNotSupported",
                     "This control plane issues no cluster credentials.");
  }
  auto row = context.store.Get(kClusterKind, call.names.cluster_id());
  if (!row) return row.error();
  if (!row->has_value()) return std::optional<Credential>();
  auto cluster = resources::ClusterRecord::Decode(**row);
  if (!cluster) return cluster.error();
  const std::string name = StringOr(cluster->resource, "name", "");
  const std::string& uid = cluster->uid;
  // A token of its own per role; rotateClusterCertificates revokes every earlier generation.
  const std::string token = auth::IssueKubeCredential(
      *context.config.kube_tokens,
      {(*row)->id, uid, std::string(role), cluster->credential_generation,
       call.request.caller.object_id, call.request.caller.app_id});
  // The context is the cluster's name for every role; `az aks get-credentials --admin` adds
  // "-admin" itself.
  const std::string& context_name = name;
  const std::string user = std::string(role) + "_" + call.names.group + "_" + name;
  return std::optional<Credential>(
      Credential{Kubeconfig(context, context_name, user,
                            context.config.server_url + "kubernetes/" + uid, token),
                 json::value(cluster->location())});
}

ArmAnswer ListCredentials(const ArmCall& call, std::string_view role) {
  GP_ASSIGN_OR_RETURN(const auto credential, CredentialFor(call, role));
  if (!credential) return ClusterNotFoundError(call);
  return JsonResponse(
      call.request.http, HttpStatus::ok,
      json::object{
          {"kubeconfigs", json::array{json::object{
                              {"name", role}, {"value", Base64Encode(credential->kubeconfig)}}}}});
}

}  // namespace

ArmAnswer ListUserCredential(const ArmCall& call) { return ListCredentials(call, "clusterUser"); }
ArmAnswer ListAdminCredential(const ArmCall& call) { return ListCredentials(call, "clusterAdmin"); }
ArmAnswer ListMonitoringCredential(const ArmCall& call) {
  return ListCredentials(call, "clusterMonitoringUser");
}

// The deprecated accessProfiles/{role}/listCredential: the same kubeconfig, in a
// ManagedClusterAccessProfile.
ArmAnswer GetAccessProfile(const ArmCall& call) {
  const ApiRequest& request = call.request;
  const std::string& role = call.role;
  if (role != "clusterUser" && role != "clusterAdmin") {
    return resources::Invalid("The access profile role must be clusterUser or clusterAdmin.",
                              "roleName");
  }
  GP_ASSIGN_OR_RETURN(const auto credential, CredentialFor(call, role));
  if (!credential) return ClusterNotFoundError(call);
  return JsonResponse(
      request.http, HttpStatus::ok,
      json::object{
          {"id", call.names.cluster_id() + "/accessProfiles/" + role},
          {"name", role},
          {"type", "Microsoft.ContainerService/ManagedClusters/AccessProfiles"},
          {"location", credential->location},
          {"properties", json::object{{"kubeConfig", Base64Encode(credential->kubeconfig)}}}});
}

// rotateClusterCertificates: a new credential generation, so every kubeconfig issued before stops
// working (get new ones with az aks get-credentials). A cluster operation, as on AKS; the nodes
// and their SSH access are untouched.
ArmAnswer RotateClusterCertificates(const ArmCall& call) {
  GP_ASSIGN_OR_RETURN(resources::ClusterRecord cluster, ClusterForAction(call));
  ++cluster.credential_generation;
  cluster.set_provisioning_state("Updating");
  return AcceptOperation(call, resources::kPutCluster, call.names.cluster_id(),
                         {resources::WriteBack(cluster)});
}

}  // namespace gangplank::api
