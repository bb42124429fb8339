// Cloud metadata (az cloud register) and the token issuer (az login --service-principal).
#include <openssl/crypto.h>

#include <boost/json.hpp>
#include <boost/url/params_view.hpp>
#include <boost/url/parse_query.hpp>

#include "access/directory.h"
#include "api/arm_response.h"
#include "api/handlers.h"
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
      json::object{{"issuer", context.tokens.issuer()},
                   {"token_endpoint", adfs + "/oauth2/v2.0/token"},
                   {"authorization_endpoint", adfs + "/oauth2/authorize"},
                   {"jwks_uri", adfs + "/discovery/keys"},
                   {"response_types_supported", json::array{"token"}},
                   {"grant_types_supported", json::array{"client_credentials"}},
                   {"id_token_signing_alg_values_supported", json::array{"RS256"}},
                   {"token_endpoint_auth_methods_supported", json::array{"client_secret_post"}}});
}

HttpResponse HandleJwks(const ApiRequest& request, const HandlerContext& context) {
  return JsonResponse(request.http, HttpStatus::ok, context.tokens.Jwks());
}

HttpResponse HandleToken(const ApiRequest& request, const HandlerContext& context) {
  if (request.http.method() != HttpVerb::post) {
    return OAuthError(request, HttpStatus::method_not_allowed, "invalid_request",
                      "the token endpoint takes POST with a form body");
  }
  const std::string& body = request.http.body();
  if (!urls::parse_query(body)) {
    return OAuthError(request, HttpStatus::bad_request, "invalid_request",
                      "the body must be application/x-www-form-urlencoded");
  }
  std::map<std::string, std::string> form;
  for (const auto& param : urls::params_view(body, urls::encoding_opts(true))) {
    form.emplace(param.key, param.value);
  }
  if (form["grant_type"] != "client_credentials") {
    return OAuthError(request, HttpStatus::bad_request, "unsupported_grant_type",
                      "only grant_type=client_credentials is supported");
  }
  auto known = KnownClient(context, form["client_id"], form["client_secret"]);
  if (!known) return ArmErrorResponse(request.http, known.error());
  if (!*known) {
    return OAuthError(request, HttpStatus::unauthorized, "invalid_client",
                      "unknown client or wrong secret; see credentials.json in the server's data "
                      "directory, or the secret az ad sp create-for-rbac printed");
  }
  // v2 endpoints name the audience in `scope`, v1 endpoints in `resource`.
  const std::string audience =
      form.contains("resource") ? form["resource"] : AudienceFromScope(form["scope"]);
  if (!context.tokens.IsOurAudience(audience)) {
    return OAuthError(request, HttpStatus::bad_request, "invalid_scope",
                      "tokens are only issued for " + context.config.server_url + " (scope " +
                          context.config.server_url + "/.default)");
  }
  auto token = context.tokens.Issue(form["client_id"], audience);
  if (!token) return ArmErrorResponse(request.http, token.error());
  const long long lifetime = context.tokens.lifetime().count();
  const long long expires_on = UnixSeconds(context.clock.Now()) + lifetime;
  return JsonResponse(request.http, HttpStatus::ok,
                      json::object{{"token_type", "Bearer"},
                                   {"access_token", *token},
                                   {"expires_in", lifetime},
                                   {"ext_expires_in", lifetime},
                                   {"expires_on", std::to_string(expires_on)},
                                   {"resource", audience}});
}

}  // namespace gangplank::api
