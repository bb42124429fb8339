// The request handlers, one group per file; each is a function of the request and the context.
#pragma once

#include <memory>
#include <mutex>

#include "api/api_request.h"
#include "api/api_service.h"
#include "api/view_cache.h"
#include "common/random_source.h"

namespace gangplank::api {

// What /metrics last read from the store, with the revision it read it at (metrics_handler.cc):
// one per service, recomputed when the store's revision moves.
struct MetricsFigures;
struct MetricsCache {
  std::mutex mutex;
  std::shared_ptr<const MetricsFigures> figures;
};

struct HandlerContext {
  const ApiServiceConfig& config;
  store::Store& store;
  auth::TokenService& tokens;
  const Clock& clock;
  controller::OperationsEngine& operations;
  ViewCache& views;
  resources::NodeImageCatalog& images;
  const auth::NodeTokens* node_tokens;  // null: the node protocol is off (no local nodes)
  resources::HeartbeatBatch* heartbeats;  // null: an unchanged report is written at once
  RandomSource& random;                 // uids and principal ids of new resources
  access::Authorizer& authorizer;       // who may do what (Azure RBAC)
  MetricsCache& metrics;
};

// identity_handlers.cc: cloud metadata and the ADFS-style token issuer (no bearer token needed).
HttpResponse HandleCloudMetadata(const ApiRequest& request, const HandlerContext& context);
HttpResponse HandleOpenIdConfiguration(const ApiRequest& request, const HandlerContext& context);
HttpResponse HandleToken(const ApiRequest& request, const HandlerContext& context);
HttpResponse HandleJwks(const ApiRequest& request, const HandlerContext& context);
// az login --use-device-code: the device authorization endpoint and the page behind its code.
HttpResponse HandleDeviceCode(const ApiRequest& request, const HandlerContext& context);
HttpResponse HandleDevicePage(const ApiRequest& request, const HandlerContext& context);

// resource_manager_routes.cc: Microsoft.Resources, that is /subscriptions[/{id}], resource
// groups (…/resourcegroups[/{name}[/resources]]) and group deletions (…/operationresults/{op}).
HttpResponse HandleResourceManager(const ApiRequest& request, const HandlerContext& context);

// container_service_routes.cc: Microsoft.ContainerService managedClusters, agentPools and
// their operations (everything under a /providers/Microsoft.ContainerService path).
HttpResponse HandleContainerService(const ApiRequest& request, const HandlerContext& context);

// authorization_routes.cc: Microsoft.Authorization role definitions and role assignments, at the
// subscription, a resource group, a managed cluster or an agent pool.
HttpResponse HandleAuthorization(const ApiRequest& request, const HandlerContext& context);

// graph_routes.cc: Microsoft Graph v1.0's directory subset az uses (/v1.0/applications,
// /v1.0/servicePrincipals, /v1.0/directoryObjects/getByIds, /v1.0/me).
HttpResponse HandleGraph(const ApiRequest& request, const HandlerContext& context);

// kubernetes_view.cc: /kubernetes/{cluster uid}/…, the read-only Kubernetes view of a cluster's
// nodes that its kubeconfig (listClusterUserCredential) points at; its own bearer credentials.
HttpResponse HandleKubernetes(const ApiRequest& request, const HandlerContext& context);
// metrics_handler.cc: GET /metrics (Prometheus' text format) for callers allowed to read them.
HttpResponse HandleMetrics(const ApiRequest& request, const HandlerContext& context);
// The exposition text GET /metrics answers with (also served by --metrics-listen).
Result<std::string> MetricsText(const HandlerContext& context);

// node_handlers.cc: the node protocol (/gangplank/node/v1/…), authenticated by node tokens.
HttpResponse HandleNode(const ApiRequest& request, const HandlerContext& context);
// The machine a node token names (from the Authorization header), if gangplankd issued it.
Result<auth::NodeIdentity> AuthenticateNode(const ApiRequest& request,
                                            const HandlerContext& context);

}  // namespace gangplank::api
