// The control plane's request handling: a pure function from request to response over the store
// and the token service, testable without sockets.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "api/http_types.h"
#include "auth/credentials.h"
#include "auth/node_tokens.h"
#include "auth/ssh_user_ca.h"
#include "auth/token_service.h"
#include "common/clock.h"
#include "controller/operations.h"
#include "resources/heartbeat_batch.h"
#include "resources/node_images.h"
#include "store/store.h"

namespace gangplank::api {

struct ApiServiceConfig {
  auth::AdminCredentials admin;  // the one client that may log in, and the default subscription
  std::string server_url;        // https://HOST:PORT/ (resource manager endpoint, with slash)
  std::string ca_pem;            // the CA clients verify server_url with (kubeconfigs carry it)
  // Issues and checks the kubeconfig credentials of clusters' Kubernetes views; null: none.
  const auth::NodeTokens* kube_tokens = nullptr;
  // One line for the operator's log (a record that cannot be read, …); null: dropped.
  std::function<void(const std::string&)> warn;
  // The SSH user CAs: sign certificates at the token endpoint (token_type=ssh-cert), are trusted
  // by EntraId nodes, and rotate; null: none.
  auth::SshCaKeyring* ssh_cas = nullptr;
};

class ApiService {
 public:
  // `node_tokens` may be null: then the node protocol answers 404 (no local nodes report).
  // With `heartbeats`, unchanged node reports are noted there for the node gateway to write
  // together; without, each is written at once.
  ApiService(ApiServiceConfig config, store::Store& store,
             std::shared_ptr<auth::TokenService> tokens, const Clock& clock,
             controller::OperationsEngine& operations, resources::NodeImageCatalog& images,
             const auth::NodeTokens* node_tokens, resources::HeartbeatBatch* heartbeats = nullptr);

  // From the header alone (the body is not read yet): refuses a caller that has not proved who
  // it is, and says how large a body the request may carry.
  Admission Admit(const HttpRequest& header);
  HttpResponse Handle(const HttpRequest& request);
  // What GET /metrics shows, for the plain listener of --metrics-listen (no caller to check).
  Result<std::string> MetricsText() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace gangplank::api
