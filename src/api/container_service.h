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
#include "api/arm_router.h"
#include "api/handlers.h"
#include "controller/operations.h"
#include "resources/cluster_docs.h"
#include "resources/cluster_spec.h"
#include "resources/pool_spec.h"
#include "resources/resource_names.h"
#include "resources/spec_checks.h"

namespace gangplank::api {
namespace json = boost::json;

using resources::kClusterKind;
using resources::kClusterType;
using resources::kGroupKind;
using resources::kPoolKind;
using resources::kPoolType;
using resources::PoolsOf;
using resources::PoolView;
using resources::ResourceNames;
using resources::SshAccessOf;
using resources::SshAccessOr;
using resources::SshFromJson;
using resources::SshJson;
using resources::SshModel;
using resources::StringOr;

// A row version as an ETag value (quoted).
std::string Etag(std::int64_t version);

std::optional<json::object> ParseObject(const std::string& body);

// 409 while an operation runs on the cluster; 404 for a cluster, pool or resource group that is
// not there.
Error BusyError(const std::string& cluster);
Error ClusterNotFoundError(const ResourceNames& names);
Error GroupNotFoundError(const std::string& group);
// The 404 for the call's cluster or pool: ResourceGroupNotFound when the group is missing too,
// as ARM answers (a store that cannot say gives its 503).
Error ClusterNotFoundError(const ArmCall& call);
Error PoolNotFoundError(const ArmCall& call);

// Nothing when the call's resource group exists; else 404 ResourceGroupNotFound.
Status RequireGroup(const ArmCall& call);

// The newest node image per OS SKU, from the context's catalog.
resources::LatestImage LatestImages(const HandlerContext& context);

// The cluster's pools as stored, decoded.
Result<std::vector<resources::PoolRecord>> PoolRecordsOf(store::Store& store,
                                                         const std::string& cluster_id);

// The cluster as ARM shows it: the stored resource plus agentPoolProfiles built from its pools,
// in the shape of `api_version`.
Result<json::object> ClusterView(store::Store& store, const store::Resource& row,
                                 std::string_view api_version);

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

// 409 while the cluster is busy, 503 when the store cannot say; nothing when the request may go on.
Status RefuseWhileBusy(const ArmCall& call);

// The cluster an action (stop, start, rotateClusterCertificates) works on, or the answer when it
// cannot go on: 404 when it is absent, 409 while an operation runs on it, 503 when the store
// cannot say.
Result<resources::ClusterRecord> ClusterForAction(const ArmCall& call);

// The location of the cluster in `names`: operations of a cluster and its pools live under it.
Result<std::string> ClusterLocation(const HandlerContext& context, const ResourceNames& names);

// With local nodes (containers on this host), refuses with 400 QuotaExceeded a request that would
// take the control plane past limits::kLocalNodesPerControlPlane. `asked` maps the pools the
// request writes (by id) to the node counts it asks for; every other pool counts as stored. A
// request that adds nodes also rewrites the quota row at the version it read (into `changes`), so
// two that would together pass the limit cannot both be accepted.
Status ReserveLocalNodes(const ArmCall& call, const std::map<std::string, std::int64_t>& asked,
                         std::vector<store::Mutation>& changes);

// Writes `changes` with a new operation (type, target, under `location`) and the cluster's lock
// (none for an abort) in one Apply. A conflicting request that got there first makes it fail:
// the reply is then 409 OperationNotAllowed. The engines find the operation in the store. The
// request's activity event (answered `answered`) is committed with them.
struct Accepted {
  controller::Operation operation;
  std::vector<store::Resource> stored;  // the puts of `changes`, as stored
};
Result<Accepted> CommitOperation(const ArmCall& call, const char* type, const std::string& target,
                                 const std::string& location, std::vector<store::Mutation> changes,
                                 HttpStatus answered);

// CommitOperation under the cluster's location, answering 202 with its Azure-AsyncOperation and
// Location headers (and `reply_body`, when given).
ArmAnswer AcceptOperation(const ArmCall& call, const char* type, const std::string& target,
                          std::vector<store::Mutation> changes,
                          std::optional<json::value> reply_body = std::nullopt);

// Marks the cluster (or, with `pool`, the pool) with `state` and accepts the operation.
ArmAnswer StartAsync(const ArmCall& call, const char* type, const store::Resource& row,
                     const std::string& state, bool pool, std::optional<json::value> reply_body);
// The delete of a cluster or pool as a long-running operation; also of a record that cannot be
// read.
ArmAnswer StartDelete(const ArmCall& call, const char* type, const store::Resource& row, bool pool);

// abortLatestOperation on a cluster or pool (`kind`, `target_id`): every operation running on it
// (or below it) is asked to cancel; they stop between batches and end Canceled. 204 when none
// runs; 409 when it finished before the cancel could be written.
ArmAnswer AbortLatestOperation(const ArmCall& call, std::string_view kind,
                               const std::string& target_id);

// ---- handlers: container_service_routes.cc routes to them ----

// cluster_handlers.cc
ArmAnswer PutCluster(const ArmCall& call);
ArmAnswer GetCluster(const ArmCall& call);
ArmAnswer PatchCluster(const ArmCall& call);
ArmAnswer DeleteCluster(const ArmCall& call);
ArmAnswer ListClustersInGroup(const ArmCall& call);
ArmAnswer ListClustersInSubscription(const ArmCall& call);
ArmAnswer StopCluster(const ArmCall& call);
ArmAnswer StartCluster(const ArmCall& call);
ArmAnswer AbortClusterOperation(const ArmCall& call);
// pool_handlers.cc
ArmAnswer PutPool(const ArmCall& call);
ArmAnswer GetPool(const ArmCall& call);
ArmAnswer ListPools(const ArmCall& call);
ArmAnswer DeletePool(const ArmCall& call);
ArmAnswer UpgradeNodeImage(const ArmCall& call);
ArmAnswer DeleteMachines(const ArmCall& call);
ArmAnswer AbortPoolOperation(const ArmCall& call);
ArmAnswer ListMachines(const ArmCall& call);
ArmAnswer GetMachine(const ArmCall& call);
ArmAnswer GetMachineLogs(const ArmCall& call);
// credential_handlers.cc
ArmAnswer ListUserCredential(const ArmCall& call);
ArmAnswer ListAdminCredential(const ArmCall& call);
ArmAnswer ListMonitoringCredential(const ArmCall& call);
ArmAnswer GetAccessProfile(const ArmCall& call);
ArmAnswer RotateClusterCertificates(const ArmCall& call);
// catalog_handlers.cc
ArmAnswer ListKubernetesVersions(const ArmCall& call);
ArmAnswer ListOrchestrators(const ArmCall& call);
ArmAnswer GetOsOptions(const ArmCall& call);
ArmAnswer GetClusterUpgradeProfile(const ArmCall& call);
ArmAnswer GetPoolUpgradeProfile(const ArmCall& call);
ArmAnswer ListAvailablePoolVersions(const ArmCall& call);
// operation_handlers.cc
ArmAnswer GetOperationStatus(const ArmCall& call);
ArmAnswer GetOperationResult(const ArmCall& call);

}  // namespace gangplank::api
