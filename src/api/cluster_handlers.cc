// Managed clusters: PUT (create and update, with the SSH model every pool's nodes come from),
// GET, PATCH (tags), DELETE and lists; the desired state and its operation are written in one
// batch.
#include <boost/beast/http/field.hpp>

#include "api/container_service.h"
#include "resources/spec_checks.h"
#include "sshkey/generate.h"

namespace gangplank::api {
namespace http = boost::beast::http;

namespace {

using resources::kDeleteCluster;
using resources::kPutCluster;

SshModel GeneratedSshModel() {
  // --no-ssh-key: a key pair whose private half is dropped here, so nobody can log in with it.
  SshModel ssh;
  auto pair =
      sshkey::GenerateKeyPair({sshkey::KeyKind::kEd25519, 0, "gangplank-service-generated"});
  if (pair) ssh.public_keys.push_back(pair->public_key.ToPublicKeyLine());
  ssh.service_generated = true;
  return ssh;  // `pair` (and its wiped private key buffer) ends here
}

// ETags as ARM clients send them: If-Match names the version a client read (or * for any), and
// If-None-Match: * asks for a create only.
Status CheckConditions(const ApiRequest& request, const std::optional<store::Resource>& existing) {
  const auto if_match = request.http[http::field::if_match];
  if (!if_match.empty() &&
      (!existing || (if_match != "*" && if_match != Etag(existing->version)))) {
    return MakeError(StatusCode::kConditionNotMet, "PreconditionFailed",
                     "The If-Match header does not match the cluster's current ETag; read it "
                     "again.");
  }
  if (request.http[http::field::if_none_match] == "*" && existing) {
    return MakeError(StatusCode::kConditionNotMet, "PreconditionFailed",
                     "The cluster already exists (If-None-Match: *).");
  }
  return OkStatus();
}

// The answer to a PUT or PATCH that wrote `row` and started `operation`: the cluster's view with
// its ETag and the Azure-AsyncOperation header.
ArmAnswer Written(const ArmCall& call, const store::Resource& row,
                  const controller::Operation& operation, HttpStatus status) {
  GP_ASSIGN_OR_RETURN(const json::object view,
                      ClusterView(call.context.store, row, call.api_version));
  HttpResponse response = JsonResponse(call.request.http, status, view);
  response.set(http::field::etag, Etag(row.version));
  AddOperationHeaders(response, call.context, operation, call.api_version, false);
  return response;
}

// stop / start: every pool's powerState, reconciled by a cluster operation (nodes keep their
// model and image; a stopped node runs no sshd).
ArmAnswer PowerCluster(const ArmCall& call, bool start) {
  GP_ASSIGN_OR_RETURN(resources::ClusterRecord cluster, ClusterForAction(call));
  GP_ASSIGN_OR_RETURN(std::vector<resources::PoolRecord> pools,
                      PoolRecordsOf(call.context.store, call.names.cluster_id()));
  const char* state = start ? "Starting" : "Stopping";
  std::vector<store::Mutation> changes;
  for (resources::PoolRecord& pool : pools) {
    pool.set_power(start);
    pool.set_provisioning_state(state);
    changes.push_back(resources::WriteBack(pool));
  }
  cluster.set_provisioning_state(state);
  changes.push_back(resources::WriteBack(cluster));
  return AcceptOperation(call, kPutCluster, call.names.cluster_id(), std::move(changes));
}

}  // namespace

ArmAnswer StopCluster(const ArmCall& call) { return PowerCluster(call, false); }
ArmAnswer AbortClusterOperation(const ArmCall& call) {
  return AbortLatestOperation(call, kClusterKind, call.names.cluster_id());
}
ArmAnswer StartCluster(const ArmCall& call) { return PowerCluster(call, true); }

// decode → plan → commit: the body is checked on its own, planned against the stored cluster and
// pools, and written with its operation in one batch.
ArmAnswer PutCluster(const ArmCall& call) {
  const ResourceNames& names = call.names;
  store::Store& store = call.context.store;
  GP_RETURN_IF_ERROR(RequireGroup(call));
  GP_ASSIGN_OR_RETURN(
      const resources::ClusterSpec spec,
      resources::DecodeClusterSpec(names.cluster, call.request.http.body(), call.api_version));
  GP_ASSIGN_OR_RETURN(const auto existing, store.Get(kClusterKind, names.cluster_id()));
  GP_RETURN_IF_ERROR(CheckConditions(call.request, existing));
  GP_RETURN_IF_ERROR(RefuseWhileBusy(call));
  std::optional<resources::ClusterRecord> before;
  if (existing) {
    GP_ASSIGN_OR_RETURN(before, resources::ClusterRecord::Decode(*existing));
  }
  GP_ASSIGN_OR_RETURN(const std::vector<resources::PoolRecord> pools,
                      PoolRecordsOf(store, names.cluster_id()));
  const std::optional<SshModel> generated =
      before || spec.ssh ? std::nullopt : std::optional<SshModel>(GeneratedSshModel());
  GP_ASSIGN_OR_RETURN(
      resources::WritePlan plan,
      resources::PlanClusterPut(spec, {names, before, pools, generated, LatestImages(call.context),
                                       call.context.random}));
  GP_RETURN_IF_ERROR(ReserveLocalNodes(call, plan.node_counts, plan.mutations));
  const HttpStatus answered = plan.created ? HttpStatus::created : HttpStatus::ok;
  GP_ASSIGN_OR_RETURN(const Accepted done,
                      CommitOperation(call, kPutCluster, names.cluster_id(), spec.location,
                                      std::move(plan.mutations), answered));
  return Written(call, done.stored.front(), done.operation, answered);
}

ArmAnswer GetCluster(const ArmCall& call) {
  const HandlerContext& context = call.context;
  const std::uint64_t revision = context.store.Revision();
  auto cached = context.views.Find(ViewKey(call.names.cluster_id(), call.api_version), revision);
  if (!cached) {
    GP_ASSIGN_OR_RETURN(const auto row, context.store.Get(kClusterKind, call.names.cluster_id()));
    if (!row) return ClusterNotFoundError(call);
    GP_ASSIGN_OR_RETURN(cached, CachedClusterView(context, revision, *row, call.api_version));
  }
  HttpResponse response = JsonTextResponse(call.request.http, HttpStatus::ok, *cached->body);
  response.set(http::field::etag, cached->etag);
  return response;
}

// PATCH: tags only (ManagedClusters_UpdateTags; `az aks update --tags`). Nodes are not touched;
// the operation is recorded like any other so clients poll it the same way.
ArmAnswer PatchCluster(const ArmCall& call) {
  GP_ASSIGN_OR_RETURN(
      const json::object body,
      resources::DecodeBody(call.request.http.body(), "{\"tags\": {\"team\": \"platform\"}}"));
  const json::value* tags = body.if_contains("tags");
  if (tags != nullptr) GP_RETURN_IF_ERROR(resources::CheckTags(*tags));
  GP_ASSIGN_OR_RETURN(resources::ClusterRecord cluster, ClusterForAction(call));
  cluster.resource["tags"] = tags && tags->is_object() ? *tags : json::value(json::object{});
  cluster.set_provisioning_state("Updating");
  GP_ASSIGN_OR_RETURN(
      const Accepted done,
      CommitOperation(call, kPutCluster, call.names.cluster_id(), cluster.location(),
                      {resources::WriteBack(cluster)}, HttpStatus::ok));
  return Written(call, done.stored.front(), done.operation, HttpStatus::ok);
}

ArmAnswer DeleteCluster(const ArmCall& call) {
  GP_ASSIGN_OR_RETURN(const auto row,
                      call.context.store.Get(kClusterKind, call.names.cluster_id()));
  if (!row) return EmptyResponse(call.request.http, HttpStatus::no_content);
  GP_RETURN_IF_ERROR(RefuseWhileBusy(call));
  return StartDelete(call, kDeleteCluster, *row, false);
}

namespace {

constexpr std::string_view kReadClusters = "Microsoft.ContainerService/managedClusters/read";

ArmAnswer ListClusters(const ArmCall& call, bool in_group) {
  const HandlerContext& context = call.context;
  if (in_group) GP_RETURN_IF_ERROR(RequireGroup(call));
  const std::uint64_t revision = context.store.Revision();
  GP_ASSIGN_OR_RETURN(const std::vector<store::Resource> rows,
                      in_group ? context.store.List(kClusterKind, call.names.group_id())
                               : context.store.ListKind(kClusterKind));
  // {"value": [views…]}, joined from the cached views without parsing them again.
  std::string body = "{\"value\":[";
  const std::string prefix = store::IdKey("/subscriptions/" + call.names.subscription + "/");
  bool first = true;
  for (const auto& row : rows) {
    if (!store::IdKey(row.id).starts_with(prefix)) continue;
    GP_ASSIGN_OR_RETURN(const bool readable, CallerMay(call, kReadClusters, row.id));
    if (!readable) continue;  // a list holds what the caller may read
    auto view = CachedClusterView(context, revision, row, call.api_version);
    if (!view && LeaveOutOfList(context, view.error())) continue;
    if (!view) return view.error();
    if (!first) body += ',';
    body += *view->body;
    first = false;
  }
  body += "]}";
  return JsonTextResponse(call.request.http, HttpStatus::ok, body);
}

}  // namespace

ArmAnswer ListClustersInGroup(const ArmCall& call) { return ListClusters(call, true); }

ArmAnswer ListClustersInSubscription(const ArmCall& call) { return ListClusters(call, false); }

}  // namespace gangplank::api
