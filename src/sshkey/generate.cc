// Key-pair generation and the openssh-key-v1 private-key encoding (PROTOCOL.key in OpenSSH).
#include "sshkey/generate.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/file_io.h"
#include "sshkey/evp_key.h"
#include "sshkey/key_errors.h"
#include "sshkey/parse.h"
#include "sshkey/wire.h"

namespace gangplank::sshkey {
namespace {

using SecureWireWriter = BasicWireWriter<SecureString>;

constexpr int kDefaultRsaBits = 3072;
constexpr int kMinRsaBits = 2048;
constexpr int kMaxRsaBits = 16384;
constexpr std::size_t kPrivateBlockSize = 8;   // cipher "none" pads to 8 bytes
constexpr std::size_t kArmourLineLength = 70;  // what ssh-keygen writes

Error GenerateError(std::string message) {
  return KeyError(reason::kInvalidGenerateOptions, std::move(message));
}

SecureString SecretBnParam(const EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  SecureString bytes;
  if (EVP_PKEY_get_bn_param(key, name, &bn) == 1) {
    bytes.resize(static_cast<std::size_t>(BN_num_bytes(bn)));
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(bytes.data()));
  }
  BN_clear_free(bn);
  return bytes;
}

auto AsView(const SecureString& s) { return std::string_view(s.data(), s.size()); }

// The private fields of one key, in the order PROTOCOL.key and sshkey_private_serialize use.
Status WritePrivateFields(const EVP_PKEY* key, const PublicKey& public_key, SecureWireWriter& out) {
  out.WriteString(public_key.type());
  switch (public_key.algorithm->family) {
    case KeyFamily::kRsa: {
      const SecureString n = SecretBnParam(key, OSSL_PKEY_PARAM_RSA_N);
      const SecureString e = SecretBnParam(key, OSSL_PKEY_PARAM_RSA_E);
      const SecureString d = SecretBnParam(key, OSSL_PKEY_PARAM_RSA_D);
      const SecureString iqmp = SecretBnParam(key, OSSL_PKEY_PARAM_RSA_COEFFICIENT1);
      const SecureString p = SecretBnParam(key, OSSL_PKEY_PARAM_RSA_FACTOR1);
      const SecureString q = SecretBnParam(key, OSSL_PKEY_PARAM_RSA_FACTOR2);
      if (n.empty() || e.empty() || d.empty() || iqmp.empty() || p.empty() || q.empty()) {
        return MakeError(StatusCode::kInternal, "KeyGenerationFailed",
                         "RSA key parameters missing");
      }
      for (const SecureString* field : {&n, &e, &d, &iqmp, &p, &q}) out.WriteMpint(AsView(*field));
      return OkStatus();
    }
    case KeyFamily::kEd25519: {
      SecureString seed(32, '\0');
      std::size_t length = seed.size();
      if (EVP_PKEY_get_raw_private_key(key, reinterpret_cast<unsigned char*>(seed.data()),
                                       &length) != 1 ||
          length != 32) {
        return MakeError(StatusCode::kInternal, "KeyGenerationFailed", "ed25519 seed unavailable");
      }
      WireReader reader(public_key.blob);
      reader.ReadString();
      const std::string_view point = reader.ReadString().value_or("");
      out.WriteString(point);
      SecureString secret = seed;  // OpenSSH stores seed || public point
      secret.append(point.data(), point.size());
      out.WriteString(AsView(secret));
      return OkStatus();
    }
    case KeyFamily::kEcdsa: {
      WireReader reader(public_key.blob);
      reader.ReadString();
      const std::string_view curve = reader.ReadString().value_or("");
      const std::string_view point = reader.ReadString().value_or("");
      const SecureString scalar = SecretBnParam(key, OSSL_PKEY_PARAM_PRIV_KEY);
      if (scalar.empty()) {
        return MakeError(StatusCode::kInternal, "KeyGenerationFailed", "EC private key missing");
      }
      out.WriteString(curve);
      out.WriteString(point);
      out.WriteMpint(AsView(scalar));
      return OkStatus();
    }
  }
  return MakeError(StatusCode::kInternal, "KeyGenerationFailed", "unknown key family");
}

Result<SecureString> EncodeOpenSshPrivateKey(const EVP_PKEY* key, const PublicKey& public_key) {
  std::uint32_t check = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&check), sizeof check) != 1) {
    return MakeError(StatusCode::kInternal, "KeyGenerationFailed", "no randomness available");
  }
  SecureWireWriter section;
  section.WriteU32(check);
  section.WriteU32(check);
  if (Status fields = WritePrivateFields(key, public_key, section); !fields.ok()) {
    return fields.error();
  }
  section.WriteString(public_key.comment);
  for (char pad = 1; section.data().size() % kPrivateBlockSize != 0; ++pad) {
    section.mutable_data().push_back(pad);
  }

  SecureWireWriter container;
  container.WriteRaw(std::string_view("openssh-key-v1\0", 15));
  container.WriteString("none");  // cipher
  container.WriteString("none");  // kdf
  container.WriteString("");      // kdf options
  container.WriteU32(1);          // number of keys
  container.WriteString(public_key.blob);
  container.WriteString(AsView(section.data()));

  const SecureString& binary = container.data();
  SecureString encoded(4 * ((binary.size() + 2) / 3) + 1, '\0');
  const int encoded_length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                             reinterpret_cast<const unsigned char*>(binary.data()),
                                             static_cast<int>(binary.size()));
  encoded.resize(static_cast<std::size_t>(encoded_length));

  SecureString armoured;
  armoured.reserve(encoded.size() + encoded.size() / kArmourLineLength + 80);
  armoured += "-----BEGIN OPENSSH PRIVATE KEY-----\n";
  for (std::size_t i = 0; i < encoded.size(); i += kArmourLineLength) {
    armoured.append(encoded.data() + i, std::min(kArmourLineLength, encoded.size() - i));
    armoured.push_back('\n');
  }
  armoured += "-----END OPENSSH PRIVATE KEY-----\n";
  return armoured;
}

Result<EvpPkeyPtr> GenerateEvpKey(const GenerateOptions& options) {
  EVP_PKEY* key = nullptr;
  switch (options.kind) {
    case KeyKind::kRsa: {
      const int bits = options.bits == 0 ? kDefaultRsaBits : options.bits;
      if (bits < kMinRsaBits || bits > kMaxRsaBits) {
        return GenerateError("RSA keys must have between 2048 and 16384 bits (asked for " +
                             std::to_string(bits) + ")");
      }
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(bits));
      break;
    }
    case KeyKind::kEd25519:
      if (options.bits != 0 && options.bits != 256) {
        return GenerateError("ed25519 keys have a fixed size; leave out --bits");
      }
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
    case KeyKind::kEcdsa: {
      const int bits = options.bits == 0 ? 256 : options.bits;
      const char* curve = bits == 256   ? "P-256"
                          : bits == 384 ? "P-384"
                          : bits == 521 ? "P-521"
                                        : nullptr;
      if (curve == nullptr) {
        return GenerateError("ECDSA keys have 256, 384 or 521 bits (asked for " +
                             std::to_string(bits) + ")");
      }
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve);
      break;
    }
  }
  if (key == nullptr) {
    ERR_clear_error();
    return MakeError(StatusCode::kInternal, "KeyGenerationFailed",
                     "OpenSSL could not generate the key");
  }
  return EvpPkeyPtr(key);
}

bool PathExists(const std::filesystem::path& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

}  // namespace

Result<KeyKind> ParseKeyKind(std::string_view name) {
  if (name == "rsa") return KeyKind::kRsa;
  if (name == "ed25519") return KeyKind::kEd25519;
  if (name == "ecdsa") return KeyKind::kEcdsa;
  return GenerateError("key type \"" + std::string(name.substr(0, 32)) +
                       "\" cannot be generated; use rsa, ed25519 or ecdsa");
}

std::string_view KeyKindName(KeyKind kind) {
  switch (kind) {
    case KeyKind::kRsa:
      return "rsa";
    case KeyKind::kEd25519:
      return "ed25519";
    case KeyKind::kEcdsa:
      return "ecdsa";
  }
  return "rsa";
}

std::string_view DefaultKeyFileName(KeyKind kind) {
  switch (kind) {
    case KeyKind::kRsa:
      return "id_rsa";
    case KeyKind::kEd25519:
      return "id_ed25519";
    case KeyKind::kEcdsa:
      return "id_ecdsa";
  }
  return "id_rsa";
}

Result<KeyPair> GenerateKeyPair(const GenerateOptions& options) {
  if (options.comment.find_first_of("\r\n") != std::string::npos) {
    return GenerateError("the key comment must be a single line");
  }
  auto key = GenerateEvpKey(options);
  if (!key) return key.error();
  auto blob = PublicBlobFromEvp(key->get());
  if (!blob) return blob.error();
  auto public_key = ParseKeyBlob(*blob, "");
  if (!public_key) return public_key.error();
  public_key->comment = options.comment;
  auto private_key = EncodeOpenSshPrivateKey(key->get(), *public_key);
  if (!private_key) return private_key.error();
  return KeyPair{std::move(public_key.value()), std::move(private_key.value())};
}

Status WriteKeyPair(const KeyPair& pair, const KeyPairPaths& paths) {
  for (const auto& path : {paths.private_key, paths.public_key}) {
    if (std::filesystem::is_directory(path)) {
      return MakeError(StatusCode::kInvalidArgument, "IsADirectory",
                       path.string() +
                           " is a directory; give the file name for the key, for "
                           "example " +
                           (path / "id_ed25519").string());
    }
    if (PathExists(path)) {
      return MakeError(StatusCode::kAlreadyExists, "FileExists",
                       path.string() +
                           " already exists; nothing was written. Choose another "
                           "file name or remove the old key first");
    }
  }
  for (const auto& path : {paths.private_key, paths.public_key}) {
    if (Status dir = EnsureDirectory(path.parent_path(), 0700); !dir.ok()) return dir;
  }
  if (Status written =
          WriteFileAtomically(paths.private_key, AsView(pair.private_key), 0600, IfExists::kFail);
      !written.ok()) {
    return written;
  }
  const std::string public_line = pair.public_key.ToPublicKeyLine() + "\n";
  if (Status written = WriteFileAtomically(paths.public_key, public_line, 0644, IfExists::kFail);
      !written.ok()) {
    // Someone may have derived this very public key from our private key meanwhile (a
    // concurrent --generate-ssh-keys); then the pair is whole and stays.
    auto existing = ReadFile(paths.public_key, 1 << 20);
    auto existing_key =
        existing.ok() ? ParseSinglePublicKey(*existing) : Result<PublicKey>(written.error());
    if (existing_key.ok() && existing_key->SameKey(pair.public_key)) return OkStatus();
    ::unlink(paths.private_key.c_str());  // no half-written key pair
    return written;
  }
  return OkStatus();
}

}  // namespace gangplank::sshkey
