// Kubeconfig credentials of a cluster's read-only Kubernetes view: one per role (clusterUser,
// clusterAdmin, clusterMonitoringUser) and credential generation, made with NodeTokens' key
// scheme, so the store keeps no secret and rotateClusterCertificates revokes them all by counting
// the cluster's generation up.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "auth/node_tokens.h"
#include "common/error.h"

namespace gangplank::auth {

struct KubeCredential {
  std::string cluster_id;      // the cluster's ARM id
  std::string uid;             // the cluster's own id (a cluster made again gets another)
  std::string role;            // clusterUser, clusterAdmin or clusterMonitoringUser
  std::int64_t generation = 1; // the cluster's credential generation when it was issued
  // Who asked for it: the principal's object id and what its tokens name it (an app id or a
  // user principal name); empty in credentials issued before identities.
  std::string principal;
  std::string subject;
};

std::string IssueKubeCredential(const NodeTokens& tokens, const KubeCredential& credential);

// The credential a bearer token carries, if gangplankd issued it. Tokens issued before roles and
// generations (the cluster's uid alone) read as clusterUser of generation 1.
Result<KubeCredential> VerifyKubeCredential(const NodeTokens& tokens, std::string_view token);

}  // namespace gangplank::auth
