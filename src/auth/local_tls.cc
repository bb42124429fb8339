// Local CA and serving certificate with OpenSSL's X509 API (EC P-256, SHA-256).
#include "auth/local_tls.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "common/file_io.h"

namespace gangplank::auth {
namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

constexpr long kDay = 24 * 60 * 60;

Error TlsError(std::string what) {
  ERR_clear_error();
  return MakeError(StatusCode::kInternal, "TlsSetupFailed", "cannot create TLS material: " + what);
}

bool AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (extension == nullptr) return false;
  const bool ok = X509_add_ext(cert, extension, -1) == 1;
  X509_EXTENSION_free(extension);
  return ok;
}

// A certificate for `key`, issued by `issuer` (self-signed when issuer is null).
Result<CertPtr> MakeCertificate(EVP_PKEY* key, const char* common_name, long days, X509* issuer,
                                EVP_PKEY* issuer_key, bool is_ca) {
  CertPtr cert(X509_new());
  unsigned char serial_bytes[16];
  RAND_bytes(serial_bytes, sizeof serial_bytes);
  serial_bytes[0] &= 0x7f;  // positive
  BIGNUM* serial = BN_bin2bn(serial_bytes, sizeof serial_bytes, nullptr);
  const bool serial_ok = BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert.get())) != nullptr;
  BN_free(serial);
  X509_NAME* name = X509_get_subject_name(cert.get());
  const bool ok =
      serial_ok && X509_set_version(cert.get(), 2) == 1 &&
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kDay) != nullptr &&
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), days * kDay) != nullptr &&
      X509_set_pubkey(cert.get(), key) == 1 &&
      X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>("Gangplank"), -1, -1,
                                 0) == 1 &&
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>(common_name), -1, -1,
                                 0) == 1 &&
      X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name) == 1;
  if (!ok) return TlsError("certificate fields");
  X509* signer = issuer ? issuer : cert.get();
  const bool extensions_ok =
      is_ca
          ? AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") &&
                AddExtension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign") &&
                AddExtension(cert.get(), signer, NID_subject_key_identifier, "hash")
          : AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE") &&
                AddExtension(cert.get(), signer, NID_key_usage, "critical,digitalSignature") &&
                AddExtension(cert.get(), signer, NID_ext_key_usage, "serverAuth") &&
                AddExtension(cert.get(), signer, NID_subject_alt_name,
                             "IP:127.0.0.1,DNS:localhost") &&
                AddExtension(cert.get(), signer, NID_subject_key_identifier, "hash") &&
                AddExtension(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
  if (!extensions_ok) return TlsError("certificate extensions");
  if (X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) == 0) {
    return TlsError("signing");
  }
  return cert;
}

Result<std::string> ToPem(X509* cert, EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  const bool ok =
      cert ? PEM_write_bio_X509(bio.get(), cert) == 1
           : PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  if (!ok) return TlsError("PEM encoding");
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

Status WritePem(const std::string& path, Result<std::string> pem, mode_t mode) {
  if (!pem) return pem.error();
  return WriteFileAtomically(path, *pem, mode, IfExists::kReplace);
}

// The CA a data dir already has (a replica's copy of the shared one), if both halves are there.
bool LoadCa(const std::filesystem::path& dir, KeyPtr& key, CertPtr& cert) {
  if (!std::filesystem::exists(dir / "ca.key") || !std::filesystem::exists(dir / "ca.crt"))
    return false;
  auto key_pem = ReadFile(dir / "ca.key", 1 << 20);
  auto cert_pem = ReadFile(dir / "ca.crt", 1 << 20);
  if (!key_pem || !cert_pem) return false;
  BioPtr key_bio(BIO_new_mem_buf(key_pem->data(), static_cast<int>(key_pem->size())));
  BioPtr cert_bio(BIO_new_mem_buf(cert_pem->data(), static_cast<int>(cert_pem->size())));
  key.reset(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  cert.reset(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  std::fill(key_pem->begin(), key_pem->end(), '\0');
  return key && cert && X509_check_private_key(cert.get(), key.get()) == 1;
}

}  // namespace

Result<TlsFiles> EnsureLocalTls(const std::filesystem::path& data_dir) {
  const std::filesystem::path dir = data_dir / "tls";
  TlsFiles files{(dir / "ca.crt").string(), (dir / "server.crt").string(),
                 (dir / "server.key").string()};
  if (std::filesystem::exists(files.ca_cert) && std::filesystem::exists(files.server_cert) &&
      std::filesystem::exists(files.server_key)) {
    return files;
  }
  if (Status created = EnsureDirectory(dir, 0700); !created.ok()) return created.error();

  // A CA that is there (a replica's copy of the shared one) signs a new serving certificate.
  KeyPtr ca_key;
  CertPtr ca_cert;
  const bool have_ca = LoadCa(dir, ca_key, ca_cert);
  if (!have_ca) {
    ca_key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    if (!ca_key) return TlsError("key generation");
    auto ca = MakeCertificate(ca_key.get(), "Gangplank local CA", 3650, nullptr, nullptr, true);
    if (!ca) return ca.error();
    ca_cert = std::move(ca.value());
  }
  KeyPtr server_key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!server_key) return TlsError("key generation");
  auto server =
      MakeCertificate(server_key.get(), "localhost", 825, ca_cert.get(), ca_key.get(), false);
  if (!server) return server.error();

  // Keys first, certificates last: a certificate on disk means its key is there too.
  if (!have_ca) {
    for (Status status : {WritePem((dir / "ca.key").string(), ToPem(nullptr, ca_key.get()), 0600),
                          WritePem(files.ca_cert, ToPem(ca_cert.get(), nullptr), 0644)}) {
      if (!status.ok()) return status.error();
    }
  }
  for (Status status : {WritePem(files.server_key, ToPem(nullptr, server_key.get()), 0600),
                        WritePem(files.server_cert, ToPem(server->get(), nullptr), 0644)}) {
    if (!status.ok()) return status.error();
  }
  return files;
}

}  // namespace gangplank::auth
