// The SSH user CAs an EntraId node may trust, by generation: one signs certificates, a next one
// may already be trusted before it signs, and retired ones stay trusted by the nodes imaged while
// they signed until those nodes' next node image upgrade. Public halves only: the private keys
// are the control plane's (auth/ssh_user_ca.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "store/store.h"

namespace gangplank::resources {

inline constexpr std::string_view kSshUserCaKind = "sshUserCa";
inline constexpr std::string_view kSshUserCaId = "/gangplank/sshUserCa";

enum class CaState { kSigning, kNext, kRetired };
const char* CaStateName(CaState state);  // "Signing", "Next", "Retired"

struct CaGeneration {
  int generation = 0;
  std::string public_key;  // "ssh-ed25519 AAAA… gangplank-user-ca-N"
  CaState state = CaState::kSigning;
  long long created_at = 0;  // Unix seconds
  // Names the private key's file, auth/ssh-user-ca-<generation>-<key id>.key (hex; empty for
  // a first CA made before rotation existed, whose file is auth/ssh-user-ca.key).
  std::string key_id;

  std::string KeyFile() const;
};

struct SshUserCaSet {
  std::vector<CaGeneration> generations;  // oldest first
  int last_generation = 0;  // the highest number ever given (a dropped one is not given again)
  std::int64_t version = 0;  // the store row's (0: not stored yet)

  // The generation that signs certificates now (there is always exactly one).
  const CaGeneration& Signing() const;
  const CaGeneration* Find(int generation) const;
  // What a node imaged while generation `imaged_under` signed trusts: the signing and next
  // generations, and the retired ones it was imaged under or after (a node imaged later never
  // trusted them, and a node image upgrade moves a node past them).
  std::vector<const CaGeneration*> TrustedBy(int imaged_under) const;
  std::vector<int> TrustedGenerationsOf(int imaged_under) const;
};

// The set with one generation that signs (a control plane's first CA).
SshUserCaSet FirstCaSet(std::string public_key, std::string key_id, long long now);

// The rotation, as plans that leave the stored set alone: each refuses a step that is out of
// order with a FailedPrecondition that says which step comes first.
// A new generation trusted beside the signing one (it signs nothing yet).
Result<SshUserCaSet> WithNextCa(const SshUserCaSet& set, std::string public_key,
                                std::string key_id, long long now);
// The next generation signs from now on; the one that signed is retired.
Result<SshUserCaSet> SwitchedCa(const SshUserCaSet& set);
// A retired or next generation is no longer trusted by any node, at once.
Result<SshUserCaSet> WithoutCa(const SshUserCaSet& set, int generation);
int NextGenerationNumber(const SshUserCaSet& set);

store::Resource EncodeCaSet(const SshUserCaSet& set);
Result<SshUserCaSet> DecodeCaSet(const store::Resource& row);
// The stored set (nullopt before a control plane made its first CA).
Result<std::optional<SshUserCaSet>> LoadCaSet(store::Store& store);

}  // namespace gangplank::resources
