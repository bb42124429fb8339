// Kubeconfig credentials: the role and generation ride in the signed identity's uid field.
#include "auth/kube_credentials.h"

#include <charconv>

namespace gangplank::auth {

std::string IssueKubeCredential(const NodeTokens& tokens, const KubeCredential& credential) {
  return tokens.Issue({credential.cluster_id, credential.uid + "/" + credential.role + "/" +
                                                  std::to_string(credential.generation)});
}

Result<KubeCredential> VerifyKubeCredential(const NodeTokens& tokens, std::string_view token) {
  auto identity = tokens.Verify(token);
  if (!identity) return identity.error();
  const std::string& signed_uid = identity->uid;
  const std::size_t role_at = signed_uid.find('/');
  if (role_at == std::string::npos)
    return KubeCredential{identity->machine_id, signed_uid, "clusterUser", 1};
  const std::size_t generation_at = signed_uid.find('/', role_at + 1);
  KubeCredential credential{identity->machine_id, signed_uid.substr(0, role_at),
                            signed_uid.substr(role_at + 1, generation_at - role_at - 1), 0};
  const std::string_view generation =
      generation_at == std::string::npos ? std::string_view()
                                         : std::string_view(signed_uid).substr(generation_at + 1);
  const auto [end, ec] = std::from_chars(generation.data(), generation.data() + generation.size(),
                                         credential.generation);
  if (ec != std::errc() || end != generation.data() + generation.size() ||
      credential.generation <= 0) {
    return MakeError(StatusCode::kUnauthenticated, "InvalidKubeCredential",
                     "the kubeconfig credential is not one this control plane issued");
  }
  return credential;
}

}  // namespace gangplank::auth
