// SSH certificates at the token endpoint (token_type=ssh-cert), as the az ssh extension asks for
// them through MSAL: the caller's RSA key (req_cnf, a JWK), signed by the control plane's user CA
// for an hour, naming the caller, for identities that hold a machine login role somewhere.
#include <openssl/rand.h>

#include <boost/json.hpp>
#include <cctype>

#include "access/authorizer.h"
#include "access/directory.h"
#include "api/sign_in.h"
#include "audit/certificate_log.h"
#include "common/base64.h"
#include "common/json_fields.h"
#include "metrics/metrics.h"
#include "resources/operation.h"
#include "sshkey/fingerprint.h"
#include "sshkey/wire.h"

namespace gangplank::api {
namespace json = boost::json;

namespace {

constexpr long long kBackdateSeconds = 5 * 60;
constexpr long long kLifetimeSeconds = 60 * 60;
constexpr int kMinimumRsaBits = 2048;
constexpr int kMaximumRsaBits = 16384;

// The certificate scopes of the clouds az ssh knows, and what a certificate is asked for with.
constexpr std::string_view kCertificateScopes[] = {
    "https://pas.windows.net/CheckMyAccess/Linux/.default",
    "https://pas.chinacloudapi.cn/CheckMyAccess/Linux/.default",
    "https://pasff.usgovcloudapi.net/CheckMyAccess/Linux/.default"};

Error Refused(std::string error, std::string description) {
  return MakeError(StatusCode::kInvalidArgument, std::move(error), std::move(description));
}

// base64url or base64, padded or not: az ssh pads its url-safe base64 (the contract says to
// decode leniently).
std::optional<std::string> LenientBase64(std::string text) {
  while (!text.empty() && text.back() == '=') text.pop_back();
  for (char& c : text) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return Base64UrlDecode(text);
}

// The RSA public key a req_cnf JWK names, as an SSH blob: {"kty": "RSA", "n": …, "e": …}.
Result<std::string> RsaBlobFromJwk(const std::optional<json::object>& jwk) {
  if (!jwk) {
    return Refused("invalid_request",
                   "req_cnf must be a JSON Web Key: {\"kty\": \"RSA\", \"n\": …, \"e\": …}");
  }
  if (StringField(*jwk, "kty") != "RSA") {
    return Refused("invalid_request",
                   "req_cnf: only RSA keys are certified here (kty RSA, as az ssh sends)");
  }
  auto n = LenientBase64(StringField(*jwk, "n"));
  auto e = LenientBase64(StringField(*jwk, "e"));
  if (!n || !e || n->empty() || e->empty()) {
    return Refused("invalid_request", "req_cnf: n and e must be base64url numbers");
  }
  while (!n->empty() && n->front() == '\0') n->erase(0, 1);
  while (!e->empty() && e->front() == '\0') e->erase(0, 1);
  const int bits = n->empty() ? 0
                              : static_cast<int>(n->size() * 8) -
                                    __builtin_clz(static_cast<unsigned char>(n->front())) + 24;
  if (bits < kMinimumRsaBits || bits > kMaximumRsaBits) {
    return Refused("invalid_request", "req_cnf: the RSA key has " + std::to_string(bits) +
                                          " bits; it needs 2048 to 16384 (ssh-keygen -t rsa "
                                          "makes 3072)");
  }
  const unsigned char last = static_cast<unsigned char>(e->back());
  if (e->size() > 8 || (last & 1) == 0 || (e->size() == 1 && last < 3)) {
    return Refused("invalid_request", "req_cnf: e is not a usable RSA public exponent");
  }
  sshkey::WireWriter blob;
  blob.WriteString("ssh-rsa");
  blob.WriteMpint(*e);
  blob.WriteMpint(*n);
  return blob.data();
}

// The name a certificate lets its holder log in as: a person's user principal name in lower
// case, a service principal's application id.
std::string LoginNameOf(const Granted& granted) {
  std::string name = granted.subject;
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

std::uint64_t NewSerial() {
  std::uint64_t serial = 0;
  while (serial == 0) RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof serial);
  return serial & 0x7fffffffffffffffULL;  // positive in every reader's signed view
}

}  // namespace

Result<std::string> SshCertificateScope(const HandlerContext& context, Form& form) {
  const std::string& scope = form["scope"];
  const std::string first = scope.substr(0, scope.find(' '));
  for (const std::string_view known : kCertificateScopes)
    if (first == known) return first;
  std::string audience = first;
  if (audience.ends_with("/.default")) audience.resize(audience.size() - 9);
  if (context.tokens.IsOurAudience(audience)) return first;
  return Refused("invalid_scope",
                 "an SSH certificate is asked for with scope "
                 "https://pas.windows.net/CheckMyAccess/Linux/.default (as az ssh sends it)");
}

Result<json::object> SshCertificateResponse(const HandlerContext& context, Form& form,
                                            const Granted& granted, const std::string& scope) {
  if (context.config.ssh_cas == nullptr) {
    return MakeError(StatusCode::kFailedPrecondition, "unsupported_token_type",
                     "this control plane has no SSH certificate authority");
  }
  const auto jwk = ParseJsonObject(form["req_cnf"]);
  GP_ASSIGN_OR_RETURN(const std::string subject_blob, RsaBlobFromJwk(jwk));
  const std::string& key_id = form["key_id"];
  const std::string kid = StringField(*jwk, "kid");
  if (key_id.empty() || key_id.size() > 256 || (!kid.empty() && kid != key_id)) {
    return Refused("invalid_request",
                   "key_id must name the key (the req_cnf's kid, as az ssh sends both)");
  }
  GP_ASSIGN_OR_RETURN(const access::Caller caller, context.authorizer.Identify(granted.subject));
  const std::string subscription = "/subscriptions/" + context.config.admin.subscription_id;
  bool may_log_in = false;
  for (const std::string_view action : {access::kMachineLoginAction, access::kMachineAdminLoginAction}) {
    GP_ASSIGN_OR_RETURN(const bool held,
                        context.authorizer.AllowsDataAtOrBelow(caller, action, subscription));
    may_log_in = may_log_in || held;
  }
  if (!may_log_in) {
    return Refused("unauthorized_client",
                   "'" + granted.subject +
                       "' holds neither Virtual Machine User Login nor Virtual Machine "
                       "Administrator Login anywhere, so it gets no SSH certificate; an Owner or "
                       "User Access Administrator can assign one at the cluster");
  }
  const long long now = UnixSeconds(context.clock.Now());
  sshkey::UserCertificate certificate;
  certificate.subject_blob = subject_blob;
  certificate.key_id = caller.object_id + "@adfs";
  certificate.principals = {LoginNameOf(granted)};
  certificate.valid_after = static_cast<std::uint64_t>(now - kBackdateSeconds);
  certificate.valid_before = static_cast<std::uint64_t>(now + kLifetimeSeconds);
  certificate.extensions = {{"permit-X11-forwarding", ""},
                            {"permit-agent-forwarding", ""},
                            {"permit-port-forwarding", ""},
                            {"permit-pty", ""},
                            {"permit-user-rc", ""},
                            {"oid@sshservice.azure.net", sshkey::ExtensionString(caller.object_id)},
                            {"tid@sshservice.azure.net", sshkey::ExtensionString("adfs")}};
  const std::string fingerprint = sshkey::Fingerprint(subject_blob);
  for (int attempt = 0;; ++attempt) {
    certificate.serial = NewSerial();
    auto recorded = context.store.Put(
        audit::EncodeCertificateRecord({certificate.serial, certificate.key_id,
                                        certificate.principals.front(), caller.object_id,
                                        fingerprint,
                                        static_cast<long long>(certificate.valid_after),
                                        static_cast<long long>(certificate.valid_before)}),
        store::Precondition::Absent());
    if (recorded) break;
    if (recorded.error().code != StatusCode::kAborted || attempt == 3) return recorded.error();
  }
  GP_ASSIGN_OR_RETURN(const std::string blob, context.config.ssh_cas->Sign(certificate));
  metrics::CountCertificateIssued();
  const long long expires_in = kLifetimeSeconds - 1;  // never past the certificate's end
  return json::object{{"token_type", "ssh-cert"},
                      {"access_token", Base64Encode(blob)},
                      {"expires_in", expires_in},
                      {"ext_expires_in", expires_in},
                      {"scope", scope}};
}

}  // namespace gangplank::api
