// The SSH user CAs as a resource of the subscription (Gangplank.Ssh/userCertificateAuthority):
// what each generation is, how many EntraId nodes trust it, and the rotation steps.
#include <boost/json.hpp>

#include "api/arm_response.h"
#include "api/resource_manager.h"
#include "auth/ssh_user_ca.h"
#include "common/json_fields.h"
#include "resources/machine.h"
#include "resources/operation.h"
#include "sshkey/fingerprint.h"
#include "sshkey/parse.h"

namespace gangplank::api {
namespace json = boost::json;

namespace {

using resources::CaGeneration;
using resources::SshUserCaSet;

Result<auth::SshCaKeyring*> KeyringOf(const ArmCall& call) {
  if (call.context.config.ssh_cas != nullptr) return call.context.config.ssh_cas;
  return MakeError(StatusCode::kNotFound, "NotFound",
                   "this control plane has no SSH user certificate authority");
}

// How many EntraId nodes trust each generation now.
Result<std::map<int, int>> NodesTrusting(store::Store& store, const SshUserCaSet& set) {
  GP_ASSIGN_OR_RETURN(const auto rows, store.ListKind(resources::kMachineKind));
  std::map<int, int> nodes;
  for (const store::Resource& row : rows) {
    auto machine = resources::DecodeMachine(row);
    if (!machine || !machine->desired.entra_id) continue;
    for (int generation : set.TrustedGenerationsOf(machine->desired.ssh_ca_generation))
      ++nodes[generation];
  }
  return nodes;
}

ArmAnswer CaSetView(const ArmCall& call, const SshUserCaSet& set, HttpStatus status) {
  GP_ASSIGN_OR_RETURN(const auto nodes, NodesTrusting(call.context.store, set));
  json::array generations;
  for (const CaGeneration& entry : set.generations) {
    auto key = sshkey::ParseSinglePublicKey(entry.public_key);
    const auto trusting = nodes.find(entry.generation);
    generations.push_back(json::object{
        {"generation", entry.generation},
        {"state", resources::CaStateName(entry.state)},
        {"publicKey", entry.public_key},
        {"fingerprint", key ? sshkey::Fingerprint(*key) : std::string()},
        {"createdAt", resources::Rfc3339(std::chrono::system_clock::from_time_t(entry.created_at))},
        {"trustedByNodes", trusting == nodes.end() ? 0 : trusting->second}});
  }
  const std::string id = "/subscriptions/" + call.context.config.admin.subscription_id +
                         "/providers/Gangplank.Ssh/userCertificateAuthority";
  return JsonResponse(
      call.request.http, status,
      json::object{{"id", id},
                   {"name", "userCertificateAuthority"},
                   {"type", "Gangplank.Ssh/userCertificateAuthority"},
                   {"properties", json::object{{"signingGeneration", set.Signing().generation},
                                               {"generations", std::move(generations)}}}});
}

// The generation a drop names: {"generation": N} in the body.
Result<int> GenerationToDrop(const ArmCall& call) {
  const auto body = ParseJsonObject(call.request.http.body());
  const json::value* generation = body ? body->if_contains("generation") : nullptr;
  if (!generation || !generation->is_int64() || generation->get_int64() < 1 ||
      generation->get_int64() > INT32_MAX) {
    return InvalidInput("InvalidParameter",
                        "name the CA generation to drop: {\"generation\": N} (gangplank ssh-ca "
                        "show lists them)",
                        "generation");
  }
  return static_cast<int>(generation->get_int64());
}

}  // namespace

ArmAnswer GetSshCa(const ArmCall& call) {
  GP_RETURN_IF_ERROR(RequireOurSubscription(call));
  GP_ASSIGN_OR_RETURN(auth::SshCaKeyring* const keyring, KeyringOf(call));
  GP_ASSIGN_OR_RETURN(const auto set, keyring->Current());
  return CaSetView(call, *set, HttpStatus::ok);
}

ArmAnswer AddNextSshCa(const ArmCall& call) {
  GP_RETURN_IF_ERROR(RequireOurSubscription(call));
  GP_ASSIGN_OR_RETURN(auth::SshCaKeyring* const keyring, KeyringOf(call));
  GP_ASSIGN_OR_RETURN(const SshUserCaSet set, keyring->AddNext());
  return CaSetView(call, set, HttpStatus::ok);
}

ArmAnswer SwitchSshCa(const ArmCall& call) {
  GP_RETURN_IF_ERROR(RequireOurSubscription(call));
  GP_ASSIGN_OR_RETURN(auth::SshCaKeyring* const keyring, KeyringOf(call));
  GP_ASSIGN_OR_RETURN(const SshUserCaSet set, keyring->Switch());
  return CaSetView(call, set, HttpStatus::ok);
}

ArmAnswer DropSshCa(const ArmCall& call) {
  GP_RETURN_IF_ERROR(RequireOurSubscription(call));
  GP_ASSIGN_OR_RETURN(auth::SshCaKeyring* const keyring, KeyringOf(call));
  GP_ASSIGN_OR_RETURN(const int generation, GenerationToDrop(call));
  GP_ASSIGN_OR_RETURN(const SshUserCaSet set, keyring->Drop(generation));
  return CaSetView(call, set, HttpStatus::ok);
}

}  // namespace gangplank::api
