// Kubeconfig credentials: the role, generation and the identity that asked ride in the signed
// identity's uid field ("UID/ROLE/GENERATION[/PRINCIPAL/SUBJECT]").
#include "auth/kube_credentials.h"

#include <charconv>

namespace gangplank::auth {

std::string IssueKubeCredential(const NodeTokens& tokens, const KubeCredential& credential) {
  std::string signed_uid =
      credential.uid + "/" + credential.role + "/" + std::to_string(credential.generation);
  if (!credential.principal.empty())
    signed_uid += "/" + credential.principal + "/" + credential.subject;
  return tokens.Issue({credential.cluster_id, signed_uid});
}

Result<KubeCredential> VerifyKubeCredential(const NodeTokens& tokens, std::string_view token) {
  auto identity = tokens.Verify(token);
  if (!identity) return identity.error();
  const std::string& signed_uid = identity->uid;
  const std::size_t role_at = signed_uid.find('/');
  if (role_at == std::string::npos)
    return KubeCredential{identity->machine_id, signed_uid, "clusterUser", 1, "", ""};
  const std::size_t generation_at = signed_uid.find('/', role_at + 1);
  KubeCredential credential{identity->machine_id, signed_uid.substr(0, role_at),
                            signed_uid.substr(role_at + 1, generation_at - role_at - 1), 0, "", ""};
  std::string_view generation =
      generation_at == std::string::npos ? std::string_view()
                                         : std::string_view(signed_uid).substr(generation_at + 1);
  if (const std::size_t principal_at = generation.find('/');
      principal_at != std::string_view::npos) {
    const std::string_view who = generation.substr(principal_at + 1);
    const std::size_t subject_at = who.find('/');
    credential.principal = std::string(who.substr(0, subject_at));
    credential.subject =
        subject_at == std::string_view::npos ? std::string() : std::string(who.substr(subject_at + 1));
    generation = generation.substr(0, principal_at);
  }
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
