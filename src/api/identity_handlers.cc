// Cloud metadata (az cloud register) and the token issuer (az login --service-principal).
#include <openssl/crypto.h>

#include <boost/json.hpp>
#include <boost/url/params_view.hpp>
#include <boost/url/parse_query.hpp>

#include "access/directory.h"
#include "api/activity.h"
#include "api/arm_response.h"
#include "api/handlers.h"
#include "api/sign_in.h"
#include "resources/operation.h"

namespace gangplank::api {
namespace json = boost::json;
namespace urls = boost::urls;

namespace {

// RFC 6749 §5.2 error responses, which MSAL (inside az) understands.
HttpResponse OAuthError(const ApiRequest& request, HttpStatus status, std::string_view error,
                        std::string_view description) {
  return JsonResponse(request.http, status,
                      json::object{{"error", error}, {"error_description", description}});
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// "https://host:port//.default" (az's scope: the resource URL, then "/.default") → the resource.
std::string AudienceFromScope(std::string_view scope) {
  std::string_view first = scope.substr(0, scope.find(' '));
  if (first.ends_with("/.default")) first.remove_suffix(std::string_view("/.default").size());
  return std::string(first);
}

}  // namespace

namespace {

// Refresh tokens are tokens of this subject: useless as access tokens (no principal has it).
constexpr std::string_view kRefreshPrefix = "refresh:";

// Whether `client_id` and `secret` are the bootstrap admin's, or an application's current secret
// whose service principal exists and is enabled.
Result<bool> KnownClient(const HandlerContext& context, const std::string& client_id,
                         const std::string& secret) {
  const auth::AdminCredentials& admin = context.config.admin;
  const bool id_ok = ConstantTimeEquals(client_id, admin.client_id);
  const bool secret_ok = ConstantTimeEquals(secret, admin.client_secret);
  if (id_ok && secret_ok) return true;
  GP_ASSIGN_OR_RETURN(const access::Caller caller, context.authorizer.Identify(client_id));
  if (caller.object_id.empty()) return false;
  GP_ASSIGN_OR_RETURN(const auto apps, context.store.ListKind(access::kApplicationKind));
  const std::string now = resources::Rfc3339(context.clock.Now());
  for (const auto& row : apps) {
    auto app = access::DecodeApplication(row);
    if (app && store::IdKey(app->app_id) == store::IdKey(client_id))
      return access::SecretMatches(*app, secret, now);
  }
  return false;
}

}  // namespace

HttpResponse HandleCloudMetadata(const ApiRequest& request, const HandlerContext& context) {
  const std::string& base = context.config.server_url;
  return JsonResponse(request.http, HttpStatus::ok,
                      json::object{{"name", "Gangplank"},
                                   {"resourceManager", base},
                                   {"portalEndpoint", base},
                                   {"galleryEndpoint", base},
                                   {"graphEndpoint", base + "graph/"},
                                   {"authentication", json::object{{"loginEndpoint", base + "adfs"},
                                                                   {"audiences", json::array{base}},
                                                                   {"tenant", "adfs"},
                                                                   {"identityProvider", "ADFS"}}},
                                   {"suffixes", json::object{}}});
}

HttpResponse HandleOpenIdConfiguration(const ApiRequest& request, const HandlerContext& context) {
  const std::string adfs = context.config.server_url + "adfs";
  return JsonResponse(
      request.http, HttpStatus::ok,
      json::object{
          {"issuer", context.tokens.issuer()},
          {"token_endpoint", adfs + "/oauth2/v2.0/token"},
          {"authorization_endpoint", adfs + "/oauth2/authorize"},
          {"jwks_uri", adfs + "/discovery/keys"},
          {"response_types_supported", json::array{"token"}},
          {"device_authorization_endpoint", adfs + "/oauth2/devicecode"},
          {"grant_types_supported",
           json::array{"client_credentials", "password", "refresh_token",
                       "urn:ietf:params:oauth:grant-type:device_code"}},
          {"id_token_signing_alg_values_supported", json::array{"RS256"}},
          {"token_endpoint_auth_methods_supported", json::array{"client_secret_post"}}});
}

HttpResponse HandleJwks(const ApiRequest& request, const HandlerContext& context) {
  return JsonResponse(request.http, HttpStatus::ok, context.tokens.Jwks());
}

namespace {

// An OAuth error (RFC 6749 §5.2) as an Error: its reason is the OAuth error code.
Error OAuth(StatusCode code, std::string error, std::string description) {
  return MakeError(code, std::move(error), std::move(description));
}

Result<Granted> ClientCredentialsGrant(const ApiRequest&, const HandlerContext& context,
                                       Form& form) {
  GP_ASSIGN_OR_RETURN(const bool known,
                      KnownClient(context, form["client_id"], form["client_secret"]));
  if (!known) {
    return OAuth(StatusCode::kUnauthenticated, "invalid_client",
                 "unknown client or wrong secret; see credentials.json in the server's data "
                 "directory, or the secret az ad sp create-for-rbac printed");
  }
  return Granted{form["client_id"], std::nullopt, ""};
}

}  // namespace

Result<access::User> SignInWithPassword(const ApiRequest& request, const HandlerContext& context,
                                        const std::string& name, const std::string& password) {
  // Only names: an object id is not what a person signs in with.
  auto user_row = name.find('@') == std::string::npos
                      ? Result<std::optional<store::Resource>>(std::optional<store::Resource>())
                      : access::FindUserRow(context.store, name);
  if (!user_row) return user_row.error();
  const Error invalid =
      OAuth(StatusCode::kInvalidArgument, "invalid_grant", "MSIS9659: Invalid credentials.");
  if (!*user_row) {
    // As slow as a wrong password, so that timing does not tell who has an account.
    static const std::string kDummy = access::HashPassword("not a password");
    (void)access::PasswordMatches(kDummy, password);
    RecordSignIn(request, context, name, "UnknownUser");
    return invalid;
  }
  GP_ASSIGN_OR_RETURN(access::User user, access::DecodeUser(**user_row));
  const bool password_ok = access::PasswordMatches(user.password_hash, password);
  const long long now_ms = UnixSeconds(context.clock.Now()) * 1000;
  const std::size_t failures_before = user.failed_sign_ins.size();
  const long long locked_before = user.locked_until_ms;
  const access::SignIn outcome = access::DecideSignIn(user, password_ok, now_ms);
  if (user.failed_sign_ins.size() != failures_before || user.locked_until_ms != locked_before) {
    // Lost to a concurrent sign-in: that one's record stands.
    (void)context.store.Put(access::EncodeUser(user),
                            store::Precondition::AtVersion((*user_row)->version));
  }
  switch (outcome) {
    case access::SignIn::kOk:
      return user;
    case access::SignIn::kWrongPassword:
      RecordSignIn(request, context, name,
                   user.locked_until_ms > now_ms ? "WrongPasswordNowLocked" : "WrongPassword");
      return invalid;
    case access::SignIn::kLocked:
      RecordSignIn(request, context, name, "Locked");
      return OAuth(StatusCode::kInvalidArgument, "invalid_grant",
                   "MSIS9659: Invalid credentials. The account is locked after " +
                       std::to_string(access::kMaxFailedSignIns) +
                       " failed sign-ins; try again in 15 minutes, or have an administrator set "
                       "a new password.");
    case access::SignIn::kDisabled:
      RecordSignIn(request, context, name, "Disabled");
      return OAuth(StatusCode::kInvalidArgument, "invalid_grant",
                   "MSIS9659: Invalid credentials. The account is disabled.");
  }
  return invalid;
}

namespace {

// az login -u -p.
Result<Granted> PasswordGrant(const ApiRequest& request, const HandlerContext& context,
                              Form& form) {
  GP_ASSIGN_OR_RETURN(access::User user,
                      SignInWithPassword(request, context, form["username"], form["password"]));
  std::string subject = user.user_principal_name;
  return Granted{std::move(subject), std::move(user), ""};
}

// A refresh token (issued with a person's sign-in) for a new access token, while the person is
// still enabled.
Result<Granted> RefreshGrant(const ApiRequest&, const HandlerContext& context, Form& form) {
  const Error invalid = OAuth(StatusCode::kInvalidArgument, "invalid_grant",
                              "the refresh token is not valid any more; sign in again (az login)");
  auto claims = context.tokens.Verify(form["refresh_token"]);
  if (!claims || !claims->client_id.starts_with(kRefreshPrefix)) return invalid;
  const std::string name = claims->client_id.substr(kRefreshPrefix.size());
  GP_ASSIGN_OR_RETURN(const auto row, access::FindUserRow(context.store, name));
  if (!row) return invalid;
  GP_ASSIGN_OR_RETURN(const access::User user, access::DecodeUser(*row));
  if (!user.account_enabled) return invalid;
  return Granted{user.user_principal_name, user, ""};
}

struct GrantType {
  std::string_view name;
  Result<Granted> (*grant)(const ApiRequest&, const HandlerContext&, Form&);
  // The request names the audience (scope or resource); a refresh token and a device flow
  // carry the one they were issued for.
  bool audience_in_request;
};
constexpr GrantType kGrants[] = {
    {"client_credentials", ClientCredentialsGrant, true},
    {"password", PasswordGrant, true},
    {"refresh_token", RefreshGrant, false},
    {"urn:ietf:params:oauth:grant-type:device_code", DeviceCodeGrant, false},
};

// The token response: an access token for `granted.subject`; for a person also an id_token (what
// az shows as the signed-in user) and a refresh token.
Result<json::object> TokenResponse(const HandlerContext& context, Form& form,
                                   const Granted& granted, const std::string& audience) {
  GP_ASSIGN_OR_RETURN(const std::string token, context.tokens.Issue(granted.subject, audience));
  const long long lifetime = context.tokens.lifetime().count();
  const long long expires_on = UnixSeconds(context.clock.Now()) + lifetime;
  json::object response{{"token_type", "Bearer"},
                        {"access_token", token},
                        {"expires_in", lifetime},
                        {"ext_expires_in", lifetime},
                        {"expires_on", std::to_string(expires_on)},
                        {"resource", audience}};
  if (!granted.person) return response;
  const access::User& person = *granted.person;
  GP_ASSIGN_OR_RETURN(const std::string id_token,
                      context.tokens.IssueIdToken(form["client_id"], person.id,
                                                  person.user_principal_name, person.display_name));
  GP_ASSIGN_OR_RETURN(
      const std::string refresh,
      context.tokens.Issue(std::string(kRefreshPrefix) + person.user_principal_name, audience));
  response["id_token"] = id_token;
  response["refresh_token"] = refresh;
  // MSAL files the token under the scopes named here: ARM's, so that no refresh follows.
  response["scope"] = audience + "/.default offline_access openid profile";
  return response;
}

}  // namespace

Form ParseForm(const std::string& body) {
  Form form;
  for (const auto& param : urls::params_view(body, urls::encoding_opts(true)))
    form.emplace(param.key, param.value);
  return form;
}

HttpResponse HandleToken(const ApiRequest& request, const HandlerContext& context) {
  if (request.http.method() != HttpVerb::post) {
    return OAuthError(request, HttpStatus::method_not_allowed, "invalid_request",
                      "the token endpoint takes POST with a form body");
  }
  if (!urls::parse_query(request.http.body())) {
    return OAuthError(request, HttpStatus::bad_request, "invalid_request",
                      "the body must be application/x-www-form-urlencoded");
  }
  Form form = ParseForm(request.http.body());
  const auto grant = std::find_if(std::begin(kGrants), std::end(kGrants),
                                  [&](const GrantType& g) { return g.name == form["grant_type"]; });
  if (grant == std::end(kGrants)) {
    return OAuthError(request, HttpStatus::bad_request, "unsupported_grant_type",
                      "grant_type is one of client_credentials, password, refresh_token, "
                      "urn:ietf:params:oauth:grant-type:device_code");
  }
  // v2 endpoints name the audience in `scope`, v1 endpoints in `resource`.
  const std::string audience =
      form.contains("resource") ? form["resource"] : AudienceFromScope(form["scope"]);
  // token_type=ssh-cert asks for an SSH certificate instead of a bearer token (az ssh).
  const std::string& token_type = form["token_type"];
  const bool ssh_cert = token_type == "ssh-cert";
  if (!token_type.empty() && !ssh_cert && token_type != "bearer") {
    return OAuthError(request, HttpStatus::bad_request, "invalid_request",
                      "token_type '" + token_type.substr(0, 40) +
                          "' is not issued here: leave it out for a bearer token, or ask for "
                          "ssh-cert (an SSH certificate)");
  }
  std::string certificate_scope;
  if (ssh_cert) {
    auto scope = SshCertificateScope(context, form);
    if (!scope) {
      return OAuthError(request, HttpStatus::bad_request, scope.error().reason,
                        scope.error().message);
    }
    certificate_scope = *scope;
  }
  if (!ssh_cert && grant->audience_in_request && !context.tokens.IsOurAudience(audience)) {
    return OAuthError(request, HttpStatus::bad_request, "invalid_scope",
                      "tokens are only issued for " + context.config.server_url + " (scope " +
                          context.config.server_url + "/.default)");
  }
  auto granted = grant->grant(request, context, form);
  if (!granted && (granted.error().code == StatusCode::kUnauthenticated ||
                   granted.error().code == StatusCode::kInvalidArgument)) {
    return OAuthError(request, HttpStatusFor(granted.error().code), granted.error().reason,
                      granted.error().message);
  }
  if (!granted) return ArmErrorResponse(request.http, granted.error());
  if (ssh_cert) {
    auto certificate = SshCertificateResponse(context, form, *granted, certificate_scope);
    if (!certificate && certificate.error().code == StatusCode::kInvalidArgument) {
      return OAuthError(request, HttpStatus::bad_request, certificate.error().reason,
                        certificate.error().message);
    }
    if (!certificate) return ArmErrorResponse(request.http, certificate.error());
    return JsonResponse(request.http, HttpStatus::ok, *certificate);
  }
  const std::string& asked = granted->audience.empty() ? audience : granted->audience;
  const std::string resource =
      context.tokens.IsOurAudience(asked) ? asked : context.config.server_url;
  auto response = TokenResponse(context, form, *granted, resource);
  if (!response) return ArmErrorResponse(request.http, response.error());
  return JsonResponse(request.http, HttpStatus::ok, *response);
}

}  // namespace gangplank::api
