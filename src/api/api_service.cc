// Routing and authentication in front of the handlers.
#include "api/api_service.h"

#include <strings.h>

#include <boost/beast/http/field.hpp>
#include <boost/json.hpp>
#include <chrono>

#include "api/activity.h"
#include "api/arm_response.h"
#include "api/handlers.h"
#include "common/random.h"
#include "metrics/metrics.h"
#include "resources/api_versions.h"

namespace gangplank::api {
namespace json = boost::json;

struct ApiService::Impl {
  ApiServiceConfig config;
  store::Store& store;
  std::shared_ptr<auth::TokenService> tokens;
  const Clock& clock;
  controller::OperationsEngine& operations;
  resources::NodeImageCatalog& images;
  const auth::NodeTokens* node_tokens;
  resources::HeartbeatBatch* heartbeats;
  std::unique_ptr<ViewCache> views = std::make_unique<ViewCache>();
  std::unique_ptr<MetricsCache> metrics = std::make_unique<MetricsCache>();
  mutable SecureRandom random{};  // stateless: OpenSSL's generator, safe from every thread
  // The bootstrap admin of credentials.json is Owner of the subscription.
  std::unique_ptr<access::Authorizer> authorizer = std::make_unique<access::Authorizer>(
      store, access::Caller{config.admin.client_id, access::OwnerObjectId(config.admin.client_id)},
      config.admin.subscription_id);

  HandlerContext Context() const {
    return HandlerContext{config, store,       *tokens,    clock,  operations,  *views,
                          images, node_tokens, heartbeats, random, *authorizer, *metrics};
  }

  HttpResponse Unauthorized(const ApiRequest& request, std::string_view code,
                            std::string_view message) const {
    HttpResponse response = ArmErrorResponse(request.http, HttpStatus::unauthorized, code, message);
    // RFC 6750 §3: tells the client where to get a token.
    response.set(
        boost::beast::http::field::www_authenticate,
        "Bearer authorization_uri=\"" + config.server_url + "adfs\", error=\"invalid_token\"");
    return response;
  }

  // Verifies the bearer token; on success records the client on the request.
  std::optional<HttpResponse> Authenticate(ApiRequest& request) const {
    const auto header = request.http[boost::beast::http::field::authorization];
    if (header.empty()) {
      return Unauthorized(request, "AuthenticationFailed",
                          "Authentication failed. The 'Authorization' header is missing; log in "
                          "with az login or gangplank login.");
    }
    const std::string_view value(header.data(), header.size());
    constexpr std::string_view kBearer = "Bearer ";
    if (value.size() <= kBearer.size() ||
        strncasecmp(value.data(), kBearer.data(), kBearer.size()) != 0) {
      return Unauthorized(request, "AuthenticationFailed",
                          "Authentication failed. The 'Authorization' header must be 'Bearer "
                          "<token>'.");
    }
    auto claims = tokens->Verify(value.substr(kBearer.size()));
    if (!claims) return Unauthorized(request, claims.error().reason, claims.error().message);
    auto caller = authorizer->Identify(claims->client_id);
    if (!caller) return ArmErrorResponse(request.http, caller.error());
    request.caller = std::move(caller.value());
    return std::nullopt;
  }

  // Whatever the request reads reflects every write acknowledged before it arrived, on any
  // replica; 503 with Retry-After when the store cannot be reached.
  std::optional<HttpResponse> ReadBarrier(const ApiRequest& request) const {
    if (auto synced = store.Sync(); !synced) return ArmErrorResponse(request.http, synced.error());
    return std::nullopt;
  }

  // ARM bodies may be as large as ARM allows; the node protocol's reports are bounded on their
  // own; whatever anyone may send (token requests, health) is small.
  static constexpr std::size_t kArmBodyLimit = 4 << 20;
  static constexpr std::size_t kNodeBodyLimit = 1 << 20;
  static constexpr std::size_t kOpenBodyLimit = 16 << 10;

  Admission Admit(ApiRequest& request) const {
    const auto& path = request.lower_segments;
    if (!path.empty() &&
        (path[0] == "subscriptions" || path[0] == "v1.0" || path[0] == "tenants")) {
      if (auto denied = Authenticate(request)) return {std::move(*denied), 0};
      return {std::nullopt, kArmBodyLimit};
    }
    if (IsNodeProtocol(path) && node_tokens != nullptr) {
      auto caller = AuthenticateNode(request, Context());
      if (!caller) return {ArmErrorResponse(request.http, caller.error()), 0};
      return {std::nullopt, kNodeBodyLimit};
    }
    return {std::nullopt, kOpenBodyLimit};
  }

  HttpResponse Route(ApiRequest& request) const {
    const HandlerContext context = Context();
    const auto& path = request.lower_segments;
    // An agent's request is not ARM's and records no event: no correlation id (a random UUID for
    // every long poll was 4% of an idle gangplankd's time).
    if (!IsNodeProtocol(path)) request.correlation_id = CorrelationIdOf(request.http);
    const auto client_ip = request.http[kClientIpHeader];
    request.client_ip = std::string(client_ip.data(), client_ip.size());
    // Liveness: the process serves requests. Readiness (and /healthz, which load balancers
    // already ask): a request sent now would be served, because the store answers and this
    // replica holds its read lease; otherwise 503 with Retry-After, so the balancer sends
    // clients elsewhere until it is back.
    if (request.Matches({"livez"})) {
      return JsonResponse(request.http, HttpStatus::ok, json::object{{"status", "ok"}});
    }
    if (request.Matches({"readyz"}) || request.Matches({"healthz"})) {
      if (Status ready = store.Ready(); !ready.ok())
        return ArmErrorResponse(request.http, ready.error());
      return JsonResponse(request.http, HttpStatus::ok, json::object{{"status", "ok"}});
    }
    if (request.Matches({"metadata", "endpoints"})) return HandleCloudMetadata(request, context);
    if (!path.empty() && path[0] == "adfs") {
      // az's tenant check asks LOGIN_ENDPOINT/TENANT/…, that is /adfs/adfs/…; MSAL asks /adfs/….
      if (request.Matches({"adfs", ".well-known", "openid-configuration"}) ||
          request.Matches({"adfs", "adfs", ".well-known", "openid-configuration"})) {
        return HandleOpenIdConfiguration(request, context);
      }
      if (request.Matches({"adfs", "oauth2", "v2.0", "token"}) ||
          request.Matches({"adfs", "oauth2", "token"})) {
        request.route = "adfs/oauth2/token";
        return HandleToken(request, context);
      }
      if (request.Matches({"adfs", "discovery", "keys"})) return HandleJwks(request, context);
      if (request.Matches({"adfs", "oauth2", "devicecode"}) ||
          request.Matches({"adfs", "oauth2", "v2.0", "devicecode"})) {
        return HandleDeviceCode(request, context);
      }
      if (request.Matches({"adfs", "oauth2", "deviceauth"})) return HandleDevicePage(request, context);
      return NotFound(request);
    }
    if (!path.empty() && path[0] == "kubernetes") {
      if (auto unavailable = ReadBarrier(request)) return *unavailable;
      return HandleKubernetes(request, context);
    }
    if (IsNodeProtocol(path)) {
      if (auto unavailable = ReadBarrier(request)) return *unavailable;
      return HandleNode(request, context);
    }
    if (request.Matches({"metrics"})) {
      if (auto denied = Authenticate(request)) return *denied;
      return HandleMetrics(request, context);
    }
    if (!path.empty() && path[0] == "subscriptions") {
      if (auto denied = Authenticate(request)) {
        if (request.http.method() != HttpVerb::get && request.http.method() != HttpVerb::head)
          RecordUnauthenticated(request, context, *denied);
        return *denied;
      }
      if (auto unavailable = ReadBarrier(request)) return *unavailable;
      HttpResponse response = RouteArm(request, context);
      response.set("x-ms-correlation-request-id", request.correlation_id);
      return response;
    }
    // az login -u -p without --tenant lists the tenants first: there is one.
    if (request.Matches({"tenants"})) {
      if (auto denied = Authenticate(request)) return *denied;
      return JsonResponse(
          request.http, HttpStatus::ok,
          json::object{{"value", json::array{json::object{{"id", "/tenants/adfs"},
                                                          {"tenantId", "adfs"},
                                                          {"tenantCategory", "Home"},
                                                          {"displayName", "Gangplank"}}}}});
    }
    if (!path.empty() && path[0] == "v1.0") {
      if (auto denied = Authenticate(request)) return *denied;
      if (auto unavailable = ReadBarrier(request)) return *unavailable;
      return HandleGraph(request, context);
    }
    return NotFound(request);
  }

  // /gangplank/node/v1/…: the node protocol (node_handlers.cc), whose callers are node agents.
  static bool IsNodeProtocol(const std::vector<std::string>& path) {
    return path.size() >= 3 && path[0] == "gangplank" && path[1] == "node" && path[2] == "v1";
  }

  // The client's x-ms-correlation-request-id when it is a plausible one (letters, digits and
  // dashes, at most 64), else a new one: it ties a request's events together.
  static std::string CorrelationIdOf(const HttpRequest& http) {
    const auto sent = http["x-ms-correlation-request-id"];
    const std::string_view value(sent.data(), sent.size());
    const bool plausible =
        !value.empty() && value.size() <= 64 && std::all_of(value.begin(), value.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
        });
    return plausible ? std::string(value) : NewUuid();
  }

  // Each ARM surface has a table of its own: Microsoft.Authorization (at any scope),
  // Microsoft.ContainerService (with its api-versions checked here) and Microsoft.Resources.
  HttpResponse RouteArm(const ApiRequest& request, const HandlerContext& context) const {
    // Below /subscriptions/{id}/…, another subscription is not found, whoever asks.
    if (request.segments.size() > 2 &&
        store::IdKey(request.segments[1]) != store::IdKey(config.admin.subscription_id)) {
      return ArmErrorResponse(
          request.http, HttpStatus::not_found, "SubscriptionNotFound",
          "The subscription '" + request.segments[1].substr(0, 64) + "' could not be found.");
    }
    if (IsAuthorizationPath(request)) return HandleAuthorization(request, context);
    if (!IsContainerServicePath(request)) return HandleResourceManager(request, context);
    const auto api_version = request.Query("api-version");
    if (Status ok = resources::CheckApiVersion(resources::ApiSurface::kContainerService,
                                               api_version.value_or(""), api_version.has_value());
        !ok.ok()) {
      return ArmErrorResponse(request.http, ok.error());
    }
    return HandleContainerService(request, context);
  }

  // …/providers/Microsoft.Authorization/… at any scope (a subscription, group, cluster or pool).
  static bool IsAuthorizationPath(const ApiRequest& request) {
    const auto& path = request.lower_segments;
    for (std::size_t i = 0; i + 1 < path.size(); ++i)
      if (path[i] == "providers" && path[i + 1] == "microsoft.authorization") return true;
    return false;
  }

  // …/providers/Microsoft.ContainerService/… under a subscription or a resource group.
  static bool IsContainerServicePath(const ApiRequest& request) {
    const auto& path = request.lower_segments;
    const std::size_t at =
        path.size() > 4 && path[2] == "providers"                                  ? 3
        : path.size() > 6 && path[2] == "resourcegroups" && path[4] == "providers" ? 5
                                                                                   : 0;
    return at != 0 && path[at] == "microsoft.containerservice";
  }

  static HttpResponse NotFound(const ApiRequest& request) {
    return ArmErrorResponse(request.http, HttpStatus::not_found, "NotFound",
                            "No resource or operation at " +
                                std::string(request.http.method_string()) + " " +
                                std::string(request.http.target().substr(0, 200)) + ".");
  }
};

ApiService::ApiService(ApiServiceConfig config, store::Store& store,
                       std::shared_ptr<auth::TokenService> tokens, const Clock& clock,
                       controller::OperationsEngine& operations,
                       resources::NodeImageCatalog& images, const auth::NodeTokens* node_tokens,
                       resources::HeartbeatBatch* heartbeats)
    : impl_(std::make_shared<Impl>(Impl{std::move(config), store, std::move(tokens), clock,
                                        operations, images, node_tokens, heartbeats})) {}

Admission ApiService::Admit(const HttpRequest& header) {
  auto parsed = ParseApiRequest(header);
  if (!parsed) return {ArmErrorResponse(header, parsed.error()), 0};
  return impl_->Admit(*parsed);
}

namespace {

// A request's route label when no ARM route matched it: the surface it went to.
std::string_view SurfaceOf(const ApiRequest& request) {
  static constexpr std::pair<std::string_view, std::string_view> kSurfaces[] = {
      {"subscriptions", "arm/unmatched"}, {"v1.0", "graph"},     {"adfs", "adfs"},
      {"kubernetes", "kubernetes"},       {"gangplank", "node"}, {"livez", "livez"},
      {"readyz", "readyz"},               {"healthz", "healthz"}, {"metadata", "metadata"},
      {"tenants", "tenants"},             {"metrics", "metrics"}};
  const auto& path = request.lower_segments;
  for (const auto& [first, label] : kSurfaces)
    if (!path.empty() && path[0] == first) return label;
  return "other";
}

}  // namespace

Result<std::string> ApiService::MetricsText() const {
  return api::MetricsText(impl_->Context());
}

HttpResponse ApiService::Handle(const HttpRequest& request) {
  const auto started = std::chrono::steady_clock::now();
  auto parsed = ParseApiRequest(request);
  if (!parsed) return ArmErrorResponse(request, parsed.error());
  HttpResponse response;
  try {
    response = impl_->Route(*parsed);
  } catch (const std::exception&) {
    // A handler bug must not take the connection (or the server) down; nothing is echoed.
    response = ArmErrorResponse(request, HttpStatus::internal_server_error, "InternalServerError",
                                "The server could not handle the request; see its log.");
  }
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  const auto verb = request.method();
  metrics::ObserveRequest(parsed->route.empty() ? SurfaceOf(*parsed) : parsed->route,
                          verb == HttpVerb::unknown ? "OTHER" : boost::beast::http::to_string(verb),
                          static_cast<int>(response.result_int()), took.count());
  return response;
}

}  // namespace gangplank::api
