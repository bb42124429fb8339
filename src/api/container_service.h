// What the Microsoft.ContainerService handlers share: resource names from the path, ARM error
// replies, views of clusters and pools, and the start of long-running operations. Internal to api/.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>

#include "api/arm_response.h"
#include "api/cluster_spec.h"
#include "api/handlers.h"
#include "controller/cluster_docs.h"
#include "controller/operations.h"

namespace gangplank::api {
namespace json = boost::json;

using controller::kClusterKind;
using controller::kPoolKind;
using controller::kPoolType;
using controller::PoolsOf;
using controller::PoolView;
using controller::SshAccessOf;
using controller::SshAccessOr;
using controller::SshFromJson;
using controller::SshJson;
using controller::StringOr;

inline constexpr std::string_view kClusterType = "Microsoft.ContainerService/ManagedClusters";

// The names a Microsoft.ContainerService path carries, and the ARM ids made from them.
struct ResourceNames {
  std::string subscription, group, cluster, pool;
  std::string group_id() const {
    return "/subscriptions/" + subscription + "/resourceGroups/" + group;
  }
  std::string cluster_id() const {
    return group_id() + "/providers/Microsoft.ContainerService/managedClusters/" + cluster;
  }
  std::string pool_id() const { return cluster_id() + "/agentPools/" + pool; }
};

// A row version as an ETag value (quoted).
std::string Etag(std::int64_t version);

HttpResponse Error400(const ApiRequest& request, const SpecError& error);

HttpResponse StoreFailure(const ApiRequest& request, const Error& error);

std::optional<json::object> ParseObject(const std::string& body);

HttpResponse NotJson(const ApiRequest& request, std::string_view example);

HttpResponse Busy(const ApiRequest& request, const std::string& cluster);

// 409 for a change to a stopped cluster or pool (`what` names it).
HttpResponse Stopped(const ApiRequest& request, const std::string& what);

HttpResponse ClusterNotFound(const ApiRequest& request, const ResourceNames& names);

HttpResponse PoolNotFound(const ApiRequest& request, const ResourceNames& names);

// The cluster as ARM shows it: the stored resource plus agentPoolProfiles built from its pools,
// in the shape of `api_version`.
Result<json::object> ClusterView(store::Store& store, const store::Resource& row,
                                 std::string_view api_version);
// True when a cluster's pods take addresses from the nodes' subnet (Azure CNI without overlay):
// then a pool's default maxPods is 30, not 110.
bool AzureCni(const json::object& cluster_properties);

// An agent pool's ARM view in the shape of `api_version`.
// True when a list should leave out the resource whose view failed with `error`: a record that
// cannot be read takes no list down; it is logged (its own GET says why, and it can be deleted).
bool LeaveOutOfList(const HandlerContext& context, const Error& error);
Result<json::object> PoolViewFor(const store::Resource& row, std::string_view api_version);

std::string OperationUrl(const HandlerContext& context, const controller::Operation& operation,
                         std::string_view api_version);

std::string OperationResultUrl(const HandlerContext& context,
                               const controller::Operation& operation,
                               std::string_view api_version);

// ARM LRO headers: PUT answers with Azure-AsyncOperation; DELETE and POST also with Location.
void AddOperationHeaders(HttpResponse& response, const HandlerContext& context,
                         const controller::Operation& operation, std::string_view api_version,
                         bool with_location);

resources::PoolModel NewPoolModel(const SshModel& ssh, const json::object& properties);

// A pool record for `properties` (validated) with `model`, in provisioning `state`.
resources::PoolRecord PoolRow(const ResourceNames& names, json::object properties,
                              const std::string& state, resources::PoolModel model,
                              const std::string& kubernetes_version,
                              controller::NodeImageCatalog& images);

// The view cache's key of a resource's view in the shape of `api_version`.
std::string ViewKey(const std::string& id, std::string_view api_version);

// The cluster's view joins its row and its pools' rows; it is rendered once per store revision
// (`revision` was read before `row`).
Result<ViewCache::View> CachedClusterView(const HandlerContext& context, std::uint64_t revision,
                                          const store::Resource& row, std::string_view api_version);

// The lock every operation on a cluster or its pools takes, and the group lock that must be free.
controller::Locking ClusterLocking(const ResourceNames& names);

// Whether an operation holds the cluster's lock or its group's (the early, friendly 409; the lock
// written with a precondition in the accepting Apply is what makes it hold under races). An
// error when the store cannot say.
Result<bool> ClusterBusy(const HandlerContext& context, const ResourceNames& names);

struct ArmCall;
// The answer while the cluster is busy (409), or when the store cannot say (503); nothing when
// the request may go on.
std::optional<HttpResponse> RefuseWhileBusy(const ArmCall& call);

// The cluster an action (stop, start, rotateClusterCertificates) works on, or the answer when it
// cannot go on: 404 when it is absent, 409 while an operation runs on it, 503 when the store
// cannot say.
std::variant<resources::ClusterRecord, HttpResponse> ClusterForAction(const ArmCall& call);

// The location of the cluster in `names`: operations of a cluster and its pools live under it.
Result<std::string> ClusterLocation(const HandlerContext& context, const ResourceNames& names);

// With local nodes (containers on this host), refuses with 400 QuotaExceeded a request that would
// take the control plane past limits::kLocalNodesPerControlPlane. `asked` maps the pools the
// request writes (by id) to the node counts it asks for; every other pool counts as stored. A
// request that adds nodes also rewrites the quota row at the version it read (into `changes`), so
// two that would together pass the limit cannot both be accepted.
std::optional<HttpResponse> ReserveLocalNodes(const ArmCall& call,
                                              const std::map<std::string, std::int64_t>& asked,
                                              std::vector<store::Mutation>& changes);

// Writes `changes` with a new operation (type, target, under `location`) and the cluster's lock
// (none for an abort) in one Apply. A conflicting request that got there first makes it fail:
// the reply is then 409 OperationNotAllowed. The engines find the operation in the store.
struct Accepted {
  controller::Operation operation;
  std::vector<store::Resource> stored;  // the puts of `changes`, as stored
};
std::variant<Accepted, HttpResponse> CommitOperation(const ArmCall& call, const char* type,
                                                     const std::string& target,
                                                     const std::string& location,
                                                     std::vector<store::Mutation> changes);

// CommitOperation under the cluster's location, answering 202 with its Azure-AsyncOperation and
// Location headers (and `reply_body`, when given).
HttpResponse AcceptOperation(const ArmCall& call, const char* type, const std::string& target,
                             std::vector<store::Mutation> changes,
                             std::optional<json::value> reply_body = std::nullopt);

// Marks the cluster (or, with `pool`, the pool) with `state` and accepts the operation.
HttpResponse StartAsync(const ArmCall& call, const char* type, const store::Resource& row,
                        const std::string& state, bool pool, std::optional<json::value> reply_body);
// The delete of a cluster or pool as a long-running operation; also of a record that cannot be
// read.
HttpResponse StartDelete(const ArmCall& call, const char* type, const store::Resource& row,
                         bool pool);

// abortLatestOperation on a cluster or pool (`kind`, `target_id`): every operation running on it
// (or below it) is asked to cancel; they stop between batches and end Canceled. 204 when none
// runs; 409 when it finished before the cancel could be written.
HttpResponse AbortLatestOperation(const ArmCall& call, std::string_view kind,
                                  const std::string& target_id);

// ---- handlers: container_service_routes.cc routes to them ----

// One ARM call as a handler sees it: the request, the services, the names in its path.
struct ArmCall {
  const ApiRequest& request;
  const HandlerContext& context;
  ResourceNames names;
  std::string api_version;
  std::string machine, location, operation;  // …/machines/{machine}, …/locations/{l}/…/{op}
  std::string role;                          // …/accessProfiles/{role}/listCredential
};

// cluster_handlers.cc
HttpResponse PutCluster(const ArmCall& call);
HttpResponse GetCluster(const ArmCall& call);
HttpResponse PatchCluster(const ArmCall& call);
HttpResponse DeleteCluster(const ArmCall& call);
HttpResponse ListClustersInGroup(const ArmCall& call);
HttpResponse ListClustersInSubscription(const ArmCall& call);
HttpResponse StopCluster(const ArmCall& call);
HttpResponse StartCluster(const ArmCall& call);
HttpResponse AbortClusterOperation(const ArmCall& call);
// pool_handlers.cc
HttpResponse PutPool(const ArmCall& call);
HttpResponse GetPool(const ArmCall& call);
HttpResponse ListPools(const ArmCall& call);
HttpResponse DeletePool(const ArmCall& call);
HttpResponse UpgradeNodeImage(const ArmCall& call);
HttpResponse DeleteMachines(const ArmCall& call);
HttpResponse AbortPoolOperation(const ArmCall& call);
HttpResponse ListMachines(const ArmCall& call);
HttpResponse GetMachine(const ArmCall& call);
HttpResponse GetMachineLogs(const ArmCall& call);
// credential_handlers.cc
HttpResponse ListUserCredential(const ArmCall& call);
HttpResponse ListAdminCredential(const ArmCall& call);
HttpResponse ListMonitoringCredential(const ArmCall& call);
HttpResponse GetAccessProfile(const ArmCall& call);
HttpResponse RotateClusterCertificates(const ArmCall& call);
// catalog_handlers.cc
HttpResponse ListKubernetesVersions(const ArmCall& call);
HttpResponse ListOrchestrators(const ArmCall& call);
HttpResponse GetClusterUpgradeProfile(const ArmCall& call);
HttpResponse GetPoolUpgradeProfile(const ArmCall& call);
HttpResponse ListAvailablePoolVersions(const ArmCall& call);
// operation_handlers.cc
HttpResponse GetOperationStatus(const ArmCall& call);
HttpResponse GetOperationResult(const ArmCall& call);

}  // namespace gangplank::api
