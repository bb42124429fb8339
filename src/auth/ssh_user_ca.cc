// The SSH user CAs: Ed25519 keys (PKCS#8 PEM, 0600) named by the CA set in the store, loaded once
// each, and the rotation steps that make, switch and drop them.
#include "auth/ssh_user_ca.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include "common/base64.h"
#include "common/file_io.h"
#include "common/random.h"
#include "sshkey/evp_key.h"

namespace gangplank::auth {
namespace {

using resources::CaGeneration;
using resources::SshUserCaSet;

constexpr std::string_view kKeyDir = "auth";
constexpr std::string_view kFirstCaComment = "gangplank-user-ca";

std::string CommentOf(int generation) {
  return generation == 1 ? std::string(kFirstCaComment)
                         : std::string(kFirstCaComment) + "-" + std::to_string(generation);
}

// The "ssh-ed25519 AAAA…" part of a public key line, without its comment.
std::string_view KeyPart(std::string_view line) {
  const std::size_t space = line.find(' ', line.find(' ') + 1);
  return line.substr(0, space);
}

// The generation a key file of a rotated CA is for (auth/ssh-user-ca-<n>-<id>.key), 0 if none.
int GenerationOfKeyFile(const std::string& name) {
  constexpr std::string_view kPrefix = "ssh-user-ca-";
  if (!name.starts_with(kPrefix) || !name.ends_with(".key")) return 0;
  int generation = 0;
  for (std::size_t i = kPrefix.size(); i < name.size() && std::isdigit(name[i]); ++i)
    generation = generation * 10 + (name[i] - '0');
  return generation;
}

Error MissingKey(const CaGeneration& generation, bool shared) {
  return MakeError(StatusCode::kFailedPrecondition, "SshCaKeyMissing",
                   "the private key of SSH user CA generation " +
                       std::to_string(generation.generation) + " (" + generation.KeyFile() +
                       ") is not in this data dir" + (shared ? " nor in the store" : "") +
                       "; restore it from a backup, or add a new CA and switch to it "
                       "(gangplank ssh-ca add; gangplank ssh-ca switch)");
}

}  // namespace

Result<std::shared_ptr<SshUserCa>> SshUserCa::FromPem(std::string_view pem,
                                                      const std::string& origin,
                                                      std::string comment) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (key == nullptr || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
    EVP_PKEY_free(key);
    ERR_clear_error();
    return MakeError(StatusCode::kFailedPrecondition, "CorruptSshCa",
                     origin +
                         " is not an Ed25519 private key; restore it from a backup (or add a new "
                         "CA and switch to it: nodes then refuse certificates of this one)");
  }
  auto blob = sshkey::PublicBlobFromEvp(key);
  if (!blob) {
    EVP_PKEY_free(key);
    return blob.error();
  }
  return std::shared_ptr<SshUserCa>(
      new SshUserCa(key, "ssh-ed25519 " + Base64Encode(*blob) + " " + comment));
}

Result<std::pair<std::shared_ptr<SshUserCa>, SecureString>> SshUserCa::Generate(
    std::string comment) {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (key == nullptr) return MakeError(StatusCode::kInternal, "KeyGenerationFailed", "no CA key");
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  SecureString pem(data, data + length);
  OPENSSL_cleanse(data, static_cast<std::size_t>(length));
  BIO_free(bio);
  EVP_PKEY_free(key);
  auto ca = FromPem(std::string_view(pem.data(), pem.size()), "a new CA key", std::move(comment));
  if (!ca) return ca.error();
  return std::make_pair(std::move(*ca), std::move(pem));
}

SshUserCa::~SshUserCa() { EVP_PKEY_free(key_); }

Result<std::string> SshUserCa::Sign(const sshkey::UserCertificate& certificate) const {
  return sshkey::SignUserCertificate(certificate, key_);
}

Result<std::unique_ptr<SshCaKeyring>> SshCaKeyring::Open(store::Store& store,
                                                         std::filesystem::path data_dir,
                                                         std::optional<SharedSecrets> secrets,
                                                         const Clock& clock) {
  std::unique_ptr<SshCaKeyring> keyring(
      new SshCaKeyring(store, std::move(data_dir), std::move(secrets), clock));
  auto stored = resources::LoadCaSet(store);
  if (!stored) return stored.error();
  if (!stored->has_value()) GP_RETURN_IF_ERROR(keyring->MakeFirstSet());
  // Every generation's key is at hand before the first certificate is asked for.
  auto set = keyring->Current();
  if (!set) return set.error();
  for (const CaGeneration& generation : (*set)->generations) {
    if (auto key = keyring->KeyOf(generation); !key) return key.error();
  }
  return keyring;
}

// Generation 1: the CA a control plane made before rotation existed (auth/ssh-user-ca.key, here
// or sealed in the store by a replica), else a new one. Replicas starting together race to
// store the set; the first wins and the others drop what they made.
Status SshCaKeyring::MakeFirstSet() {
  const std::filesystem::path legacy = data_dir_ / CaGeneration{}.KeyFile();
  std::optional<SecureString> pem;
  if (std::filesystem::exists(legacy)) {
    GP_ASSIGN_OR_RETURN(SecureString local, ReadSecretFile(legacy, 64 * 1024));
    pem = std::move(local);
  } else if (secrets_) {
    GP_ASSIGN_OR_RETURN(pem, secrets_->Fetch(CaGeneration{}.KeyFile()));
  }
  CaGeneration first{1, "", resources::CaState::kSigning, UnixSeconds(clock_.Now()), ""};
  if (pem) {
    GP_ASSIGN_OR_RETURN(const auto ca, SshUserCa::FromPem(std::string_view(pem->data(), pem->size()),
                                                          legacy.string(), CommentOf(1)));
    first.public_key = ca->public_key_line();
  } else {
    GP_ASSIGN_OR_RETURN(auto made, SshUserCa::Generate(CommentOf(1)));
    first.public_key = made.first->public_key_line();
    first.key_id = Sha256Hex(RandomBytes(16), 8);
    pem = std::move(made.second);
  }
  const Status saved = SaveKey(first, *pem);
  if (!saved.ok() && !(first.key_id.empty() && saved.error().code == StatusCode::kAborted))
    return saved;  // a legacy key another replica stored already is the same key
  SshUserCaSet set = resources::FirstCaSet(first.public_key, first.key_id, first.created_at);
  auto stored = store_.Put(resources::EncodeCaSet(set), store::Precondition::Absent());
  if (stored) return OkStatus();
  if (!first.key_id.empty()) ForgetKey(first);
  return stored.error().code == StatusCode::kAborted ? OkStatus() : Status(stored.error());
}

Result<std::shared_ptr<const SshUserCaSet>> SshCaKeyring::Current() {
  auto row = store_.Get(resources::kSshUserCaKind, resources::kSshUserCaId);
  if (!row) return row.error();
  if (!row->has_value()) {
    return MakeError(StatusCode::kInternal, "SshCaMissing",
                     "the store holds no SSH user CA set; restart gangplankd to make one");
  }
  std::lock_guard lock(mutex_);
  if (current_ && current_->version == (*row)->version) return current_;
  GP_ASSIGN_OR_RETURN(SshUserCaSet set, resources::DecodeCaSet(**row));
  current_ = std::make_shared<const SshUserCaSet>(std::move(set));
  // Keys of generations the set no longer names (dropped, here or by another replica) go. A key
  // made for a generation beyond the set's last is a rotation under way, and stays.
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(data_dir_ / kKeyDir, ec)) {
    const std::string name = entry.path().filename().string();
    const int generation = GenerationOfKeyFile(name);
    const bool legacy = name == "ssh-user-ca.key";
    if ((generation == 0 && !legacy) || generation > current_->last_generation) continue;
    const std::string file = std::string(kKeyDir) + "/" + name;
    const bool named = std::any_of(current_->generations.begin(), current_->generations.end(),
                                   [&](const CaGeneration& g) { return g.KeyFile() == file; });
    if (named) continue;
    std::filesystem::remove(entry.path(), ec);
    std::filesystem::remove(entry.path().string() + ".pub", ec);
    keys_.erase(file);
  }
  return current_;
}

Result<std::shared_ptr<SshUserCa>> SshCaKeyring::KeyOf(const CaGeneration& generation) {
  const std::string file = generation.KeyFile();
  {
    std::lock_guard lock(mutex_);
    if (auto cached = keys_.find(file); cached != keys_.end()) return cached->second;
  }
  const std::filesystem::path path = data_dir_ / file;
  std::optional<SecureString> pem;
  if (std::filesystem::exists(path)) {
    GP_ASSIGN_OR_RETURN(SecureString local, ReadSecretFile(path, 64 * 1024));
    pem = std::move(local);
  } else if (secrets_) {
    GP_ASSIGN_OR_RETURN(pem, secrets_->Fetch(file));
    if (pem) {  // kept here too, as every other key of the control plane is
      GP_RETURN_IF_ERROR(EnsureDirectory(path.parent_path(), 0700));
      GP_RETURN_IF_ERROR(WriteFileAtomically(path, std::string_view(pem->data(), pem->size()),
                                             0600, IfExists::kReplace));
    }
  }
  if (!pem) return MissingKey(generation, secrets_.has_value());
  GP_ASSIGN_OR_RETURN(auto ca, SshUserCa::FromPem(std::string_view(pem->data(), pem->size()),
                                                  path.string(), CommentOf(generation.generation)));
  if (KeyPart(ca->public_key_line()) != KeyPart(generation.public_key)) {
    return MakeError(StatusCode::kFailedPrecondition, "SshCaKeyMismatch",
                     path.string() + " is not the key of SSH user CA generation " +
                         std::to_string(generation.generation) +
                         " that nodes trust; restore that file from a backup");
  }
  // Its public half beside it, for an sshd elsewhere that should trust the same CA.
  GP_RETURN_IF_ERROR(WriteFileIfChanged(path.string() + ".pub", ca->public_key_line() + "\n", 0644));
  std::lock_guard lock(mutex_);
  keys_[file] = ca;
  return ca;
}

Status SshCaKeyring::SaveKey(const CaGeneration& generation, const SecureString& pem) {
  const std::filesystem::path path = data_dir_ / generation.KeyFile();
  const std::string_view text(pem.data(), pem.size());
  // The store's copy first: its row is the one place two replicas cannot both claim.
  if (secrets_) GP_RETURN_IF_ERROR(secrets_->Offer(generation.KeyFile(), text));
  GP_RETURN_IF_ERROR(EnsureDirectory(path.parent_path(), 0700));
  return WriteFileAtomically(path, text, 0600, IfExists::kReplace);
}

void SshCaKeyring::ForgetKey(const CaGeneration& generation) {
  const std::filesystem::path path = data_dir_ / generation.KeyFile();
  std::error_code ec;
  std::filesystem::remove(path, ec);
  std::filesystem::remove(path.string() + ".pub", ec);
  if (secrets_) (void)secrets_->Forget(generation.KeyFile());  // best effort: it is sealed
  std::lock_guard lock(mutex_);
  keys_.erase(generation.KeyFile());
}

Result<SshUserCaSet> SshCaKeyring::Commit(const SshUserCaSet& planned) {
  auto stored = store_.Put(resources::EncodeCaSet(planned),
                           store::Precondition::AtVersion(planned.version));
  if (!stored) {
    if (stored.error().code != StatusCode::kAborted) return stored.error();
    return MakeError(StatusCode::kAborted, "SshCaChanged",
                     "the SSH user CAs changed meanwhile (another replica); look again with "
                     "gangplank ssh-ca show and repeat the step if it is still needed");
  }
  return resources::DecodeCaSet(*stored);
}

Result<std::string> SshCaKeyring::Sign(const sshkey::UserCertificate& certificate,
                                       int* generation) {
  GP_ASSIGN_OR_RETURN(const auto set, Current());
  const CaGeneration& signing = set->Signing();
  GP_ASSIGN_OR_RETURN(const auto key, KeyOf(signing));
  if (generation != nullptr) *generation = signing.generation;
  return key->Sign(certificate);
}

Result<SshUserCaSet> SshCaKeyring::AddNext() {
  std::lock_guard rotation(rotation_);
  GP_ASSIGN_OR_RETURN(const auto set, Current());
  const int number = resources::NextGenerationNumber(*set);
  GP_ASSIGN_OR_RETURN(auto made, SshUserCa::Generate(CommentOf(number)));
  GP_ASSIGN_OR_RETURN(const SshUserCaSet planned,
                      resources::WithNextCa(*set, made.first->public_key_line(),
                                            Sha256Hex(RandomBytes(16), 8),
                                            UnixSeconds(clock_.Now())));
  const CaGeneration& next = planned.generations.back();
  GP_RETURN_IF_ERROR(SaveKey(next, made.second));
  auto committed = Commit(planned);
  if (!committed) ForgetKey(next);
  return committed;
}

Result<SshUserCaSet> SshCaKeyring::Switch() {
  std::lock_guard rotation(rotation_);
  GP_ASSIGN_OR_RETURN(const auto set, Current());
  GP_ASSIGN_OR_RETURN(const SshUserCaSet planned, resources::SwitchedCa(*set));
  // Never a signing CA whose key this control plane cannot load.
  GP_RETURN_IF_ERROR(KeyOf(planned.Signing()));
  return Commit(planned);
}

Result<SshUserCaSet> SshCaKeyring::Drop(int generation) {
  std::lock_guard rotation(rotation_);
  GP_ASSIGN_OR_RETURN(const auto set, Current());
  GP_ASSIGN_OR_RETURN(const SshUserCaSet planned, resources::WithoutCa(*set, generation));
  GP_ASSIGN_OR_RETURN(SshUserCaSet committed, Commit(planned));
  ForgetKey(*set->Find(generation));
  return committed;
}

}  // namespace gangplank::auth
