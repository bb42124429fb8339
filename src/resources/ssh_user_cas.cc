// The SSH user CA generations as one store row, and the rotation steps as pure plans.
#include "resources/ssh_user_cas.h"

#include <boost/json.hpp>
#include <algorithm>
#include <cctype>

#include "common/json_fields.h"

namespace gangplank::resources {
namespace json = boost::json;

namespace {

struct StateName {
  CaState state;
  const char* name;
};
constexpr StateName kStateNames[] = {
    {CaState::kSigning, "Signing"}, {CaState::kNext, "Next"}, {CaState::kRetired, "Retired"}};

std::optional<CaState> StateNamed(std::string_view name) {
  for (const StateName& entry : kStateNames)
    if (name == entry.name) return entry.state;
  return std::nullopt;
}

Error OutOfOrder(std::string reason, std::string message) {
  return MakeError(StatusCode::kFailedPrecondition, std::move(reason), std::move(message));
}

const CaGeneration* InState(const SshUserCaSet& set, CaState state) {
  for (const CaGeneration& generation : set.generations)
    if (generation.state == state) return &generation;
  return nullptr;
}

Error Corrupt(const std::string& why) {
  return MakeError(StatusCode::kInternal, "CorruptRecord",
                   std::string(kSshUserCaId) + " is damaged: " + why);
}

}  // namespace

const char* CaStateName(CaState state) {
  for (const StateName& entry : kStateNames)
    if (entry.state == state) return entry.name;
  return "Unknown";
}

const CaGeneration& SshUserCaSet::Signing() const {
  const CaGeneration* signing = InState(*this, CaState::kSigning);
  assert(signing != nullptr);  // DecodeCaSet and the plans keep exactly one
  return *signing;
}

const CaGeneration* SshUserCaSet::Find(int generation) const {
  for (const CaGeneration& entry : generations)
    if (entry.generation == generation) return &entry;
  return nullptr;
}

std::vector<const CaGeneration*> SshUserCaSet::TrustedBy(int imaged_under) const {
  std::vector<const CaGeneration*> trusted;
  for (const CaGeneration& entry : generations) {
    if (entry.state != CaState::kRetired || entry.generation >= imaged_under)
      trusted.push_back(&entry);
  }
  return trusted;
}

std::vector<int> SshUserCaSet::TrustedGenerationsOf(int imaged_under) const {
  std::vector<int> numbers;
  for (const CaGeneration* entry : TrustedBy(imaged_under)) numbers.push_back(entry->generation);
  return numbers;
}

std::string CaGeneration::KeyFile() const {
  return key_id.empty() ? "auth/ssh-user-ca.key"
                        : "auth/ssh-user-ca-" + std::to_string(generation) + "-" + key_id + ".key";
}

SshUserCaSet FirstCaSet(std::string public_key, std::string key_id, long long now) {
  return SshUserCaSet{
      {CaGeneration{1, std::move(public_key), CaState::kSigning, now, std::move(key_id)}}, 1, 0};
}

int NextGenerationNumber(const SshUserCaSet& set) {
  int highest = set.last_generation;
  for (const CaGeneration& entry : set.generations) highest = std::max(highest, entry.generation);
  return highest + 1;
}

Result<SshUserCaSet> WithNextCa(const SshUserCaSet& set, std::string public_key,
                                std::string key_id, long long now) {
  if (const CaGeneration* next = InState(set, CaState::kNext)) {
    return OutOfOrder("NextCaExists",
                      "generation " + std::to_string(next->generation) +
                          " is already the next SSH user CA; switch to it (gangplank ssh-ca "
                          "switch) or drop it (gangplank ssh-ca drop --generation " +
                          std::to_string(next->generation) + ") before adding another");
  }
  SshUserCaSet planned = set;
  planned.last_generation = NextGenerationNumber(set);
  planned.generations.push_back({planned.last_generation, std::move(public_key), CaState::kNext,
                                 now, std::move(key_id)});
  return planned;
}

Result<SshUserCaSet> SwitchedCa(const SshUserCaSet& set) {
  if (InState(set, CaState::kNext) == nullptr) {
    return OutOfOrder("NoNextCa",
                      "there is no next SSH user CA to switch to: add one first (gangplank "
                      "ssh-ca add), and switch once every EntraId node trusts it");
  }
  SshUserCaSet planned = set;
  for (CaGeneration& entry : planned.generations) {
    if (entry.state == CaState::kSigning) entry.state = CaState::kRetired;
    else if (entry.state == CaState::kNext) entry.state = CaState::kSigning;
  }
  return planned;
}

Result<SshUserCaSet> WithoutCa(const SshUserCaSet& set, int generation) {
  const CaGeneration* entry = set.Find(generation);
  if (entry == nullptr) {
    return MakeError(StatusCode::kNotFound, "CaGenerationNotFound",
                     "there is no SSH user CA generation " + std::to_string(generation) +
                         "; gangplank ssh-ca show lists them");
  }
  if (entry->state == CaState::kSigning) {
    return OutOfOrder("SigningCaCannotBeDropped",
                      "generation " + std::to_string(generation) +
                          " signs certificates now; add a next one and switch to it first");
  }
  SshUserCaSet planned = set;
  std::erase_if(planned.generations,
                [&](const CaGeneration& each) { return each.generation == generation; });
  return planned;
}

store::Resource EncodeCaSet(const SshUserCaSet& set) {
  json::array generations;
  for (const CaGeneration& entry : set.generations) {
    generations.push_back(json::object{{"generation", entry.generation},
                                       {"publicKey", entry.public_key},
                                       {"state", CaStateName(entry.state)},
                                       {"createdAt", entry.created_at},
                                       {"keyId", entry.key_id}});
  }
  return store::Resource{std::string(kSshUserCaKind), std::string(kSshUserCaId), "/gangplank",
                         json::serialize(json::object{{"generations", std::move(generations)},
                                                      {"lastGeneration", set.last_generation}}),
                         set.version};
}

Result<SshUserCaSet> DecodeCaSet(const store::Resource& row) {
  const auto doc = ParseJsonObject(row.body);
  const json::value* generations = doc ? doc->if_contains("generations") : nullptr;
  if (!generations || !generations->is_array()) return Corrupt("no generations");
  SshUserCaSet set;
  set.version = row.version;
  int signing = 0;
  for (const json::value& item : generations->get_array()) {
    const json::object* fields = item.if_object();
    const json::value* number = fields ? fields->if_contains("generation") : nullptr;
    const json::value* created = fields ? fields->if_contains("createdAt") : nullptr;
    const auto state = fields ? StateNamed(StringField(*fields, "state")) : std::nullopt;
    const std::string key_id = fields ? StringField(*fields, "keyId") : "";
    const bool hex = std::all_of(key_id.begin(), key_id.end(),
                                 [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
    if (!number || !number->is_int64() || !state || !hex || key_id.size() > 32)
      return Corrupt("a generation without its fields");
    set.generations.push_back({static_cast<int>(number->get_int64()),
                               StringField(*fields, "publicKey"), *state,
                               created && created->is_int64() ? created->get_int64() : 0, key_id});
    set.last_generation = std::max(set.last_generation, set.generations.back().generation);
    if (*state == CaState::kSigning) ++signing;
  }
  if (signing != 1) return Corrupt("not exactly one generation signs");
  if (const json::value* last = doc->if_contains("lastGeneration"); last && last->is_int64())
    set.last_generation = std::max(set.last_generation, static_cast<int>(last->get_int64()));
  return set;
}

Result<std::optional<SshUserCaSet>> LoadCaSet(store::Store& store) {
  auto row = store.Get(kSshUserCaKind, kSshUserCaId);
  if (!row) return row.error();
  if (!row->has_value()) return std::optional<SshUserCaSet>();
  auto set = DecodeCaSet(**row);
  if (!set) return set.error();
  return std::optional<SshUserCaSet>(std::move(*set));
}

}  // namespace gangplank::resources
