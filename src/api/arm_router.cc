// Matching a path against route patterns, and the router's own answers (405, 400, 404).
#include "api/arm_router.h"

#include <boost/beast/http/verb.hpp>

#include "access/authorizer.h"
#include "api/activity.h"
#include "api/arm_response.h"

namespace gangplank::api {
namespace {

// The call's name that a capture fills; nullptr for a literal segment.
std::string* CaptureOf(std::string_view part, ArmCall& call) {
  struct Capture {
    std::string_view name;
    std::string* (*slot)(ArmCall&);
  };
  static constexpr Capture kCaptures[] = {
      {"{subscription}", [](ArmCall& c) { return &c.names.subscription; }},
      {"{group}", [](ArmCall& c) { return &c.names.group; }},
      {"{cluster}", [](ArmCall& c) { return &c.names.cluster; }},
      {"{pool}", [](ArmCall& c) { return &c.names.pool; }},
      {"{machine}", [](ArmCall& c) { return &c.machine; }},
      {"{location}", [](ArmCall& c) { return &c.location; }},
      {"{operation}", [](ArmCall& c) { return &c.operation; }},
      {"{role}", [](ArmCall& c) { return &c.role; }},
      {"{definition}", [](ArmCall& c) { return &c.definition; }},
      {"{assignment}", [](ArmCall& c) { return &c.assignment; }},
      {"{object}", [](ArmCall& c) { return &c.object; }},
      {"{member}", [](ArmCall& c) { return &c.member; }},
  };
  for (const Capture& capture : kCaptures)
    if (capture.name == part) return capture.slot(call);
  return nullptr;
}

// Fills `call`'s names (when given) from `path` (as sent: `original`) when it has the pattern's
// shape.
bool Match(std::string_view pattern, std::span<const std::string> path,
           std::span<const std::string> original, ArmCall* call) {
  std::size_t i = 0;
  while (!pattern.empty()) {
    const std::size_t slash = pattern.find('/');
    const std::string_view part = pattern.substr(0, slash);
    pattern = slash == std::string_view::npos ? std::string_view() : pattern.substr(slash + 1);
    if (i >= path.size()) return false;
    if (part.starts_with('{')) {
      if (std::string* slot = call ? CaptureOf(part, *call) : nullptr) *slot = original[i];
    } else if (part != path[i]) {
      return false;
    }
    ++i;
  }
  return i == path.size();
}

std::string Verbs(std::span<const ArmRoute> routes, std::string_view pattern) {
  std::string verbs;
  for (const ArmRoute& route : routes) {
    if (route.pattern != pattern) continue;
    if (!verbs.empty()) verbs += ", ";
    verbs += std::string(boost::beast::http::to_string(route.verb));
  }
  return verbs;
}

// The refused operation's name: the pattern's last literal segment.
std::string_view OperationName(std::string_view pattern) {
  while (pattern.ends_with('}')) pattern = pattern.substr(0, pattern.rfind('/'));
  return pattern.substr(pattern.rfind('/') + 1);
}

}  // namespace

Error AuthorizationFailed(const ArmCall& call, std::string_view action, const std::string& scope) {
  const access::Caller& caller = call.request.caller;
  return MakeError(StatusCode::kPermissionDenied, "AuthorizationFailed",
                   "The client '" + caller.app_id + "' with object id '" + caller.object_id +
                       "' does not have authorization to perform action '" + std::string(action) +
                       "' over scope '" + scope +
                       "' or the scope is invalid. If access was recently granted, please "
                       "refresh your credentials.");
}

namespace {

Status Authorized(const ArmRoute& route, const ArmCall& call) {
  if (route.action.empty()) return OkStatus();
  access::Authorizer& authorizer = call.context.authorizer;
  const std::string scope = call.scope();
  GP_ASSIGN_OR_RETURN(const bool allowed,
                      route.authorize == Authorize::kAtScope
                          ? authorizer.Allows(call.request.caller, route.action, scope)
                          : authorizer.AllowsAtOrBelow(call.request.caller, route.action, scope));
  if (!allowed) return AuthorizationFailed(call, route.action, scope);
  return OkStatus();
}

// A matched route's answer: its api-version and feature checked, the caller authorized, then
// the handler.
HttpResponse Answer(const ArmTable& table, const ArmRoute& route, const ArmCall& call) {
  const auto& request = call.request;
  if (table.surface) {
    const auto version = request.Query("api-version");
    if (Status ok =
            resources::CheckApiVersion(*table.surface, version.value_or(""), version.has_value());
        !ok.ok())
      return ArmErrorResponse(request.http, ok.error());
  }
  if (route.needs && !resources::Supports(call.api_version, *route.needs)) {
    return ArmErrorResponse(request.http, HttpStatus::bad_request, "NoRegisteredProviderFound",
                            resources::UnsupportedMessage(call.api_version, *route.needs));
  }
  if (Status authorized = Authorized(route, call); !authorized.ok())
    return ArmErrorResponse(request.http, authorized.error());
  return Respond(request, route.handle(call));
}

}  // namespace

std::string ArmCall::scope() const {
  if (names.subscription.empty()) return "/";
  if (names.group.empty()) return "/subscriptions/" + names.subscription;
  if (names.cluster.empty()) return names.group_id();
  if (names.pool.empty()) return names.cluster_id();
  return names.pool_id();
}

Result<bool> CallerMay(const ArmCall& call, std::string_view action, std::string_view id) {
  return call.context.authorizer.Allows(call.request.caller, action, id);
}

Status RequireMayFollow(const ArmCall& call, std::string_view read_action,
                        const std::string& target) {
  GP_ASSIGN_OR_RETURN(const bool allowed, CallerMay(call, read_action, target));
  if (!allowed) return AuthorizationFailed(call, read_action, target);
  return OkStatus();
}

void AppendRoutes(std::span<const ArmRoute> routes, std::string_view prefix,
                  std::vector<RouteListing>& out) {
  for (const ArmRoute& route : routes)
    out.push_back({std::string(prefix) + std::string(route.pattern), route.verb, route.action});
}

resources::ActivityOrigin OriginOf(const ArmCall& call) {
  const ApiRequest& request = call.request;
  return {request.caller.app_id, request.caller.object_id, std::string(call.action),
          ResourceIdOf(request), request.correlation_id,   request.client_ip};
}

std::string ResourceIdOf(const ApiRequest& request) {
  std::size_t segments = request.segments.size();
  if (request.http.method() == HttpVerb::post && segments > 0) --segments;
  std::string resource;
  for (std::size_t i = 0; i < segments; ++i) resource += "/" + request.segments[i];
  return resource;
}

std::string_view ActionOf(const ApiRequest& request) {
  static const std::vector<RouteListing> routes = ArmRouteListing();
  for (const RouteListing& route : routes) {
    if (route.verb == request.http.method() &&
        Match(route.pattern, request.lower_segments, request.segments, nullptr))
      return route.action;
  }
  return {};
}

std::vector<RouteListing> ArmRouteListing() {
  std::vector<RouteListing> out;
  AppendResourceManagerRoutes(out);
  AppendContainerServiceRoutes(out);
  AppendAuthorizationRoutes(out);
  return out;
}

HttpResponse Respond(const ApiRequest& request, ArmAnswer answer) {
  if (!answer) return ArmErrorResponse(request.http, answer.error());
  return std::move(answer).value();
}

HttpResponse DispatchArm(const ArmTable& table, const ArmCall& call) {
  const auto& request = call.request;
  const std::span<const ArmRoute> routes = table.routes;
  const std::size_t skip = table.skip;
  const std::span<const std::string> path(request.lower_segments.begin() + skip,
                                          request.lower_segments.end());
  const std::span<const std::string> original(request.segments.begin() + skip,
                                              request.segments.end());
  const ArmRoute* same_path = nullptr;
  for (const ArmRoute& route : routes) {
    ArmCall attempt = call;
    if (!Match(route.pattern, path, original, &attempt)) continue;
    if (route.verb != request.http.method()) {
      same_path = &route;
      continue;
    }
    attempt.action = route.action;
    request.route = route.pattern;
    HttpResponse response = Answer(table, route, attempt);
    // Every write and action, accepted or refused, goes into the activity log.
    if (!route.action.empty() && route.verb != HttpVerb::get && route.verb != HttpVerb::head)
      RecordRequest(attempt, response);
    return response;
  }
  for (const ArmRefusal& refusal : table.refusals) {
    ArmCall attempt = call;
    if (!Match(refusal.pattern, path, original, &attempt) || refusal.verb != request.http.method())
      continue;
    return ArmErrorResponse(request.http, HttpStatus::bad_request, "OperationNotSupported",
                            std::string(refusal.why) + "'" +
                                std::string(OperationName(refusal.pattern)) +
                                "' is not supported.");
  }
  if (same_path) {
    return ArmErrorResponse(request.http, HttpStatus::method_not_allowed, "MethodNotAllowed",
                            "This resource takes " + Verbs(routes, same_path->pattern) + ".");
  }
  return ArmErrorResponse(request.http, HttpStatus::not_found, "NotFound", table.not_found);
}

}  // namespace gangplank::api
