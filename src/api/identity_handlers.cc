// Cloud metadata (az cloud register) and the token issuer (az login --service-principal).
#include <openssl/crypto.h>

#include <boost/json.hpp>
#include <boost/url/params_view.hpp>
#include <boost/url/parse_query.hpp>

#include "api/arm_response.h"
#include "api/handlers.h"

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
  const auth::AdminCredentials& admin = context.config.admin;
  const bool id_ok = ConstantTimeEquals(form["client_id"], admin.client_id);
  const bool secret_ok = ConstantTimeEquals(form["client_secret"], admin.client_secret);
  if (!id_ok || !secret_ok) {
    return OAuthError(request, HttpStatus::unauthorized, "invalid_client",
                      "unknown client or wrong secret; see credentials.json in the server's data "
                      "directory");
  }
  // v2 endpoints name the audience in `scope`, v1 endpoints in `resource`.
  const std::string audience =
      form.contains("resource") ? form["resource"] : AudienceFromScope(form["scope"]);
  if (!context.tokens.IsOurAudience(audience)) {
    return OAuthError(request, HttpStatus::bad_request, "invalid_scope",
                      "tokens are only issued for " + context.config.server_url + " (scope " +
                          context.config.server_url + "/.default)");
  }
  auto token = context.tokens.Issue(admin.client_id, audience);
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
