// RS256 JWTs with OpenSSL's EVP signing API; the key never leaves the data directory.
#include "auth/token_service.h"

#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <boost/json.hpp>

#include "common/base64.h"
#include "common/file_io.h"
#include "common/openssl_params.h"

namespace gangplank::auth {
namespace json = boost::json;

namespace {

constexpr std::chrono::seconds kClockSkew(120);

Error Unauthenticated(std::string why) {
  return MakeError(StatusCode::kUnauthenticated, "InvalidAuthenticationToken",
                   "the access token is invalid: " + std::move(why) +
                       "; get a new one (az login, or gangplank login)");
}

std::string Sha256(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

}  // namespace

struct TokenService::Key {
  EVP_PKEY* pkey = nullptr;
  std::string kid;
  ~Key() { EVP_PKEY_free(pkey); }
};

TokenService::TokenService(std::unique_ptr<Key> key, std::string issuer,
                           std::vector<std::string> audiences, const Clock& clock)
    : key_(std::move(key)),
      issuer_(std::move(issuer)),
      audiences_(std::move(audiences)),
      clock_(clock) {}

TokenService::~TokenService() = default;

Result<std::shared_ptr<TokenService>> TokenService::Open(const std::filesystem::path& data_dir,
                                                         std::string issuer,
                                                         std::vector<std::string> audiences,
                                                         const Clock& clock) {
  const std::filesystem::path dir = data_dir / "auth";
  const std::filesystem::path path = dir / "token-signing.key";
  auto key = std::make_unique<Key>();
  if (std::filesystem::exists(path)) {
    auto pem = ReadSecretFile(path, 1 << 20);
    if (!pem) return pem.error();
    OSSL_DECODER_CTX* decoder = OSSL_DECODER_CTX_new_for_pkey(&key->pkey, "PEM", nullptr, "RSA",
                                                              EVP_PKEY_KEYPAIR, nullptr, nullptr);
    const auto* data = reinterpret_cast<const unsigned char*>(pem->data());
    std::size_t length = pem->size();
    const bool ok = decoder && OSSL_DECODER_from_data(decoder, &data, &length) == 1;
    OSSL_DECODER_CTX_free(decoder);
    if (!ok || key->pkey == nullptr) {
      ERR_clear_error();
      return MakeError(StatusCode::kFailedPrecondition, "CorruptSigningKey",
                       path.string() +
                           " is not an RSA private key; move it away to create a new "
                           "one (issued tokens then stop working)");
    }
  } else {
    key->pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048));
    if (key->pkey == nullptr) {
      return MakeError(StatusCode::kInternal, "KeyGenerationFailed", "cannot create a signing key");
    }
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, key->pkey, nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio, &data);
    Status dir_ok = EnsureDirectory(dir, 0700);
    Status written =
        dir_ok.ok()
            ? WriteFileAtomically(path, std::string_view(data, static_cast<std::size_t>(length)),
                                  0600, IfExists::kFail)
            : dir_ok;
    OPENSSL_cleanse(data, static_cast<std::size_t>(length));
    BIO_free(bio);
    if (!written.ok()) return written.error();
  }
  key->kid = Base64UrlEncode(Sha256(PublicBnParam(key->pkey, OSSL_PKEY_PARAM_RSA_N))).substr(0, 16);
  return std::shared_ptr<TokenService>(
      new TokenService(std::move(key), std::move(issuer), std::move(audiences), clock));
}

bool TokenService::IsOurAudience(std::string_view audience) const {
  for (const std::string& ours : audiences_) {
    if (audience == ours) return true;
  }
  return false;
}

Result<std::string> TokenService::Issue(const std::string& client_id,
                                        const std::string& audience) const {
  if (!IsOurAudience(audience)) {
    return MakeError(StatusCode::kInvalidArgument, "invalid_resource",
                     "tokens are issued only for this server's resource manager endpoint");
  }
  const long long now = UnixSeconds(clock_.Now());
  return Sign(json::object{
      {"aud", audience},
      {"iss", issuer_},
      {"iat", now},
      {"nbf", now},
      {"exp", now + lifetime().count()},
      {"appid", client_id},
      {"sub", client_id},
      {"oid", client_id},
      {"tid", "adfs"},
      {"ver", "1.0"},
  });
}

Result<std::string> TokenService::IssueIdToken(const std::string& client_app,
                                               const std::string& object_id,
                                               const std::string& user_principal_name,
                                               const std::string& display_name) const {
  const long long now = UnixSeconds(clock_.Now());
  return Sign(json::object{{"aud", client_app},
                           {"iss", issuer_},
                           {"iat", now},
                           {"nbf", now},
                           {"exp", now + lifetime().count()},
                           {"sub", object_id},
                           {"oid", object_id},
                           {"upn", user_principal_name},
                           {"unique_name", user_principal_name},
                           {"name", display_name},
                           {"tid", "adfs"},
                           {"ver", "1.0"}});
}

Result<std::string> TokenService::Sign(const json::object& claims) const {
  const json::object header{{"alg", "RS256"}, {"typ", "JWT"}, {"kid", key_->kid}};
  const std::string signing_input =
      Base64UrlEncode(json::serialize(header)) + "." + Base64UrlEncode(json::serialize(claims));
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t length = 0;
  std::string signature;
  bool ok = EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_->pkey) == 1 &&
            EVP_DigestSign(ctx, nullptr, &length,
                           reinterpret_cast<const unsigned char*>(signing_input.data()),
                           signing_input.size()) == 1;
  if (ok) {
    signature.resize(length);
    ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &length,
                        reinterpret_cast<const unsigned char*>(signing_input.data()),
                        signing_input.size()) == 1;
    signature.resize(length);
  }
  EVP_MD_CTX_free(ctx);
  if (!ok) {
    ERR_clear_error();
    return MakeError(StatusCode::kInternal, "SigningFailed", "cannot sign the token");
  }
  return signing_input + "." + Base64UrlEncode(signature);
}

Result<TokenClaims> TokenService::Verify(std::string_view token) const {
  constexpr std::size_t kMaxCachedTokens = 4096;
  {
    std::lock_guard lock(cache_mutex_);
    if (const auto found = verified_.find(std::string(token)); found != verified_.end()) {
      if (found->second.expires_at + kClockSkew.count() >= UnixSeconds(clock_.Now())) return found->second;
      verified_.erase(found);
      return Unauthenticated("it has expired");
    }
  }
  auto claims = VerifySignatureAndClaims(token);
  if (claims) {
    std::lock_guard lock(cache_mutex_);
    if (verified_.size() >= kMaxCachedTokens) verified_.clear();
    verified_.emplace(std::string(token), *claims);
  }
  return claims;
}

Result<TokenClaims> TokenService::VerifySignatureAndClaims(std::string_view token) const {
  const std::size_t first = token.find('.');
  const std::size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return Unauthenticated("it is not a JSON Web Token");
  }
  const auto header_text = Base64UrlDecode(token.substr(0, first));
  const auto claims_text = Base64UrlDecode(token.substr(first + 1, second - first - 1));
  const auto signature = Base64UrlDecode(token.substr(second + 1));
  if (!header_text || !claims_text || !signature) return Unauthenticated("it is not base64url");
  boost::system::error_code ec;
  const json::value header = json::parse(*header_text, ec);
  if (ec || !header.is_object()) return Unauthenticated("its header is not JSON");
  const json::value* alg = header.get_object().if_contains("alg");
  const json::value* kid = header.get_object().if_contains("kid");
  if (!alg || !alg->is_string() || alg->get_string() != "RS256") {
    return Unauthenticated("only RS256 tokens are accepted");
  }
  if (!kid || !kid->is_string() || kid->get_string() != key_->kid) {
    return Unauthenticated("it was not signed by this server");
  }
  const std::string_view signing_input = token.substr(0, second);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool valid =
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key_->pkey) == 1 &&
      EVP_DigestVerify(
          ctx, reinterpret_cast<const unsigned char*>(signature->data()), signature->size(),
          reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  ERR_clear_error();
  if (!valid) return Unauthenticated("its signature does not verify");

  const json::value claims = json::parse(*claims_text, ec);
  if (ec || !claims.is_object()) return Unauthenticated("its claims are not JSON");
  const json::object& object = claims.get_object();
  auto text = [&](const char* name) {
    const json::value* v = object.if_contains(name);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
  };
  auto number = [&](const char* name) {
    const json::value* v = object.if_contains(name);
    return v && v->is_int64() ? v->get_int64() : 0;
  };
  const long long now = UnixSeconds(clock_.Now());
  if (text("iss") != issuer_) return Unauthenticated("it was issued by someone else");
  if (!IsOurAudience(text("aud"))) return Unauthenticated("it is for another audience");
  if (number("exp") + kClockSkew.count() < now) return Unauthenticated("it has expired");
  if (number("nbf") - kClockSkew.count() > now) return Unauthenticated("it is not valid yet");
  return TokenClaims{text("appid"), text("aud"), number("exp")};
}

json::object TokenService::Jwks() const {
  return json::object{
      {"keys", json::array{json::object{
                   {"kty", "RSA"},
                   {"use", "sig"},
                   {"alg", "RS256"},
                   {"kid", key_->kid},
                   {"n", Base64UrlEncode(PublicBnParam(key_->pkey, OSSL_PKEY_PARAM_RSA_N))},
                   {"e", Base64UrlEncode(PublicBnParam(key_->pkey, OSSL_PKEY_PARAM_RSA_E))},
               }}}};
}

}  // namespace gangplank::auth
