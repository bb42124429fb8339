// ARM routing: one ARM call (the request, the services, the names in its path) and the tables of
// path patterns, verbs and handlers that every ARM surface is dispatched from.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/handlers.h"
#include "resources/api_versions.h"
#include "resources/operation.h"
#include "resources/resource_names.h"

namespace gangplank::api {

// One ARM call as a handler sees it: the request, the services, the names in its path.
struct ArmCall {
  ArmCall(const ApiRequest& request_in, const HandlerContext& context_in)
      : request(request_in),
        context(context_in),
        api_version(request_in.Query("api-version").value_or("")) {}

  const ApiRequest& request;
  const HandlerContext& context;
  resources::ResourceNames names;
  std::string api_version;
  std::string machine, location, operation;  // …/machines/{machine}, …/locations/{l}/…/{op}
  std::string role;                          // …/accessProfiles/{role}/listCredential
  std::string definition, assignment;  // …/roleDefinitions/{definition}, …/roleAssignments/{…}
  std::string object;                  // Graph: /v1.0/applications/{object}, …
  std::string member;                  // Graph: /v1.0/groups/{object}/members/{member}/$ref
  std::string_view action;             // the matched route's ARM operation
  // Set by a handler whose commit carried the request's activity event with its change (an
  // accepted long-running operation): the router then records nothing more.
  mutable bool recorded = false;

  // The ARM id the call acts on, as far as its path names one: the pool, cluster, group or
  // subscription (the scope that role assignments are matched against).
  std::string scope() const;
};

// A handler's answer: the response, or the error that the router answers as ARM does (one table
// in arm_response.cc), so that handlers return errors with GP_ASSIGN_OR_RETURN.
using ArmAnswer = Result<HttpResponse>;

// How a route is authorized: the caller needs the route's action at the call's scope, or (a list,
// which its handler filters to what the caller may read) at the scope or anywhere below it.
enum class Authorize { kAtScope, kAtOrBelow };

// A path pattern ("resourcegroups/{group}/resources"): literal segments in lower case, or one of
// the captures {subscription}, {group}, {cluster}, {pool}, {machine}, {location}, {operation},
// {role}, {definition}, {assignment}, which fill the call's names. `action` is the ARM operation
// the route performs, as role definitions name it ("Microsoft.ContainerService/managedClusters/
// read"); a route without one is open to every authenticated caller.
struct ArmRoute {
  std::string_view pattern;
  HttpVerb verb;
  ArmAnswer (*handle)(const ArmCall& call);
  std::string_view action = {};
  std::optional<resources::Feature> needs = std::nullopt;  // the api-versions that have it
  Authorize authorize = Authorize::kAtScope;
};

// Whether the call's caller may perform `action` at `id` (lists keep the items this allows).
Result<bool> CallerMay(const ArmCall& call, std::string_view action, std::string_view id);
// ARM's 403, with its exact shape: the client, its object id, the action and the scope.
Error AuthorizationFailed(const ArmCall& call, std::string_view action, const std::string& scope);
// An operation's status is for those who may read what it acts on (its URL is at the
// subscription, where a Contributor on one group has no role).
Status RequireMayFollow(const ArmCall& call, std::string_view read_action,
                        const std::string& target);

// An operation ARM has that Gangplank cannot honour, and why: a clear 400, not a 404.
struct ArmRefusal {
  std::string_view pattern;
  HttpVerb verb;
  std::string_view why;
};

// One table: its routes and refusals, matched against the path after its first `skip` segments;
// with a surface, the api-version is checked against it once a route matches.
struct ArmTable {
  std::span<const ArmRoute> routes;
  std::span<const ArmRefusal> refusals;
  std::size_t skip = 0;
  std::string_view not_found;  // a 404's message when no pattern matches
  std::optional<resources::ApiSurface> surface = std::nullopt;
};

// Answers `call` from the table's first route whose pattern matches: 405 naming the verbs a
// matching path takes, 400 for a refused operation or a route the api-version lacks, 404 when no
// pattern matches.
HttpResponse DispatchArm(const ArmTable& table, const ArmCall& call);

// Every ARM route, with its pattern from the root ("subscriptions/{subscription}/…"): what the
// authorization sweep and the docs enumerate.
struct RouteListing {
  std::string pattern;
  HttpVerb verb;
  std::string_view action;
};
std::vector<RouteListing> ArmRouteListing();
// Each table adds its own rows (container_service_routes.cc, resource_manager_routes.cc,
// authorization_routes.cc).
void AppendContainerServiceRoutes(std::vector<RouteListing>& out);
void AppendResourceManagerRoutes(std::vector<RouteListing>& out);
void AppendAuthorizationRoutes(std::vector<RouteListing>& out);
void AppendRoutes(std::span<const ArmRoute> routes, std::string_view prefix,
                  std::vector<RouteListing>& out);

// The resource a request names: its path, without the action a POST ends in.
std::string ResourceIdOf(const ApiRequest& request);
// Who asks what, as the activity log and the operations it starts record it.
resources::ActivityOrigin OriginOf(const ArmCall& call);
// The ARM operation a request would perform, for refusals that come before routing (an expired
// token); "" when no route takes it.
std::string_view ActionOf(const ApiRequest& request);

// An answer as the client gets it: an error through the one ARM table.
HttpResponse Respond(const ApiRequest& request, ArmAnswer answer);

}  // namespace gangplank::api
