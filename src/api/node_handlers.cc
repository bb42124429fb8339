// The node protocol: an agent reads its node's desired state and reports what it runs, its login
// events and new log lines. Agents authenticate with their node token, not an ARM token.
#include <strings.h>

#include <boost/beast/http/field.hpp>
#include <boost/json.hpp>
#include <cstdio>

#include "access/authorizer.h"
#include "api/arm_response.h"
#include "api/handlers.h"
#include "auth/ssh_user_ca.h"
#include "metrics/metrics.h"
#include "resources/machine_store.h"

namespace gangplank::api {
namespace json = boost::json;

namespace {

// A strong validator of the desired state's JSON (FNV-1a, 64 bits, quoted as HTTP wants it).
std::string DesiredStateEtag(std::string_view desired) {
  std::uint64_t hash = 14695981039346656037ull;
  for (const unsigned char c : desired) hash = (hash ^ c) * 1099511628211ull;
  char text[20];
  std::snprintf(text, sizeof text, "\"%016llx\"", static_cast<unsigned long long>(hash));
  return text;
}

// What an EntraId node learns live, not from its pool model: the CAs it trusts (the signing and
// next ones, and a retired one until the node is reimaged past it) and who may log in
// as whom, from the role assignments at its cluster (and above) as they are now. A change of
// assignment wakes every waiting node (node_gateway.cc), so a removed identity is refused at
// its next login, without a reimage.
Status AddIdentityLogins(const HandlerContext& context, const resources::Machine& machine,
                         protocol::DesiredNodeState& desired) {
  if (!desired.entra_id) return OkStatus();
  if (context.config.ssh_cas != nullptr) {
    GP_ASSIGN_OR_RETURN(const auto cas, context.config.ssh_cas->Current());
    for (const resources::CaGeneration* ca : cas->TrustedBy(desired.ssh_ca_generation))
      desired.trusted_user_ca_keys.push_back(ca->public_key);
  }
  std::string cluster = store::IdKey(machine.row.parent);
  cluster.resize(std::min(cluster.size(), cluster.rfind("/agentpools/")));
  GP_ASSIGN_OR_RETURN(const auto logins, context.authorizer.LoginsAt(cluster));
  for (const access::MachineLogin& login : logins) {
    // A name no node could take as an account (an odd user principal name) gets no login.
    if (protocol::IsIdentityLoginName(login.name))
      desired.identity_logins.push_back({login.name, login.admin});
  }
  return OkStatus();
}

// GET desired: the state this node should be in. The ETag lets an agent wait for a change: the
// node gateway holds a request whose If-None-Match still matches (304) until the machine's row
// changes.
HttpResponse ServeDesired(const ApiRequest& request, const HandlerContext& context,
                          const resources::Machine& machine, const auth::NodeIdentity&) {
  auto served = resources::ServedDesiredState(context.store, machine);
  if (served) {
    if (Status added = AddIdentityLogins(context, machine, *served); !added.ok())
      served = added.error();
  }
  if (!served) return ArmErrorResponse(request.http, served.error());
  const std::string desired = protocol::DesiredNodeStateJson(*served);
  const std::string etag = DesiredStateEtag(desired);
  const auto known = request.http[boost::beast::http::field::if_none_match];
  if (std::string_view(known.data(), known.size()) == etag) {
    HttpResponse unchanged = EmptyResponse(request.http, HttpStatus::not_modified);
    unchanged.set(boost::beast::http::field::etag, etag);
    return unchanged;
  }
  HttpResponse response = JsonTextResponse(request.http, HttpStatus::ok, desired);
  response.set(boost::beast::http::field::etag, etag);
  return response;
}

// POST status: what the node runs, its new login events and log lines.
HttpResponse RecordStatus(const ApiRequest& request, const HandlerContext& context,
                          const resources::Machine&, const auth::NodeIdentity& caller) {
  boost::system::error_code ec;
  const json::value body = json::parse(request.http.body(), ec);
  const json::object* doc = !ec && body.is_object() ? &body.get_object() : nullptr;
  const json::value* status_value = doc ? doc->if_contains("status") : nullptr;
  auto status = status_value ? protocol::ParseNodeStatus(json::serialize(*status_value))
                             : Result<protocol::NodeStatus>(MakeError(
                                   StatusCode::kInvalidArgument, "InvalidNodeStatus",
                                   "the body must be {\"status\": {...}, \"loginEvents\": [...], "
                                   "\"log\": \"...\"}"));
  if (!status) return ArmErrorResponse(request.http, status.error());
  std::vector<protocol::LoginEvent> logins;
  if (const json::value* events = doc->if_contains("loginEvents"))
    logins = protocol::ParseLoginEvents(json::serialize(*events));
  std::string log;
  if (const json::value* lines = doc->if_contains("log"); lines && lines->is_string())
    log = std::string(lines->get_string());
  if (Status recorded =
          resources::RecordNodeReport(context.store, caller.machine_id, caller.uid, *status, logins,
                                      log, context.clock, context.heartbeats);
      !recorded.ok()) {
    return ArmErrorResponse(request.http, recorded.error());
  }
  for (const protocol::LoginEvent& login : logins)
    metrics::CountLogin(login.accepted, login.fingerprint);
  return EmptyResponse(request.http, HttpStatus::no_content);
}

// A token is renewed once it has lived this long (the agent renews at half its lifetime): a
// leaked token cannot be renewed over and over, and each renewal revokes the token before.
constexpr long long kMinTokenAgeSeconds = 3600;

// POST token: a fresh token for the same machine (the agent renews before its token expires).
// Every earlier token of the machine stops holding.
HttpResponse RenewToken(const ApiRequest& request, const HandlerContext& context,
                        const resources::Machine&, const auth::NodeIdentity& caller) {
  const long long now = UnixSeconds(context.clock.Now());
  const long long age = auth::kNodeTokenLifetime.count() - (caller.expires_at - now);
  if (age < kMinTokenAgeSeconds) {
    HttpResponse refused =
        ArmErrorResponse(request.http, HttpStatus::too_many_requests, "NodeTokenRenewedTooSoon",
                         "a node token is renewed once it is an hour old; this one is " +
                             std::to_string(age) + " s old. Retry after the Retry-After seconds.");
    refused.set(boost::beast::http::field::retry_after,
                std::to_string(kMinTokenAgeSeconds - std::max(0LL, age)));
    return refused;
  }
  const std::string token = context.node_tokens->Issue(caller);
  auto renewed = context.node_tokens->Verify(token);
  if (!renewed) return ArmErrorResponse(request.http, renewed.error());
  if (Status replaced = resources::ReplaceNodeTokens(context.store, caller.machine_id, caller.uid,
                                                     renewed->expires_at);
      !replaced.ok()) {
    return ArmErrorResponse(request.http, replaced.error());
  }
  return JsonResponse(request.http, HttpStatus::ok,
                      json::object{{"token", token}, {"expiresOn", renewed->expires_at}});
}

using NodeRouteHandler = HttpResponse (*)(const ApiRequest&, const HandlerContext&,
                                          const resources::Machine&, const auth::NodeIdentity&);
struct NodeRoute {
  std::string_view name;
  HttpVerb verb;
  NodeRouteHandler handle;
};
constexpr NodeRoute kNodeRoutes[] = {{"desired", HttpVerb::get, ServeDesired},
                                     {"status", HttpVerb::post, RecordStatus},
                                     {"token", HttpVerb::post, RenewToken}};

}  // namespace

Result<auth::NodeIdentity> AuthenticateNode(const ApiRequest& request,
                                            const HandlerContext& context) {
  const auto header = request.http[boost::beast::http::field::authorization];
  const std::string_view value(header.data(), header.size());
  constexpr std::string_view kBearer = "Bearer ";
  if (value.size() <= kBearer.size() ||
      strncasecmp(value.data(), kBearer.data(), kBearer.size()) != 0) {
    return MakeError(StatusCode::kUnauthenticated, "AuthenticationFailed",
                     "the node protocol needs 'Authorization: Bearer <node token>'");
  }
  return context.node_tokens->Verify(value.substr(kBearer.size()));
}

HttpResponse HandleNode(const ApiRequest& request, const HandlerContext& context) {
  if (context.node_tokens == nullptr) {
    return ArmErrorResponse(request.http, HttpStatus::not_found, "NotFound",
                            "this control plane runs no local nodes");
  }
  auto caller = AuthenticateNode(request, context);
  if (!caller) return ArmErrorResponse(request.http, caller.error());
  // Agents poll several times a second: the status, logs and login events are not read here.
  auto machine =
      resources::GetMachine(context.store, caller->machine_id, resources::MachineDetail::kDesired);
  if (!machine) return ArmErrorResponse(request.http, machine.error());
  if (!machine->has_value() || (*machine)->uid != caller->uid) {
    // The machine was deleted (or provisioned anew): this node is being removed.
    return ArmErrorResponse(request.http, HttpStatus::gone, "MachineGone",
                            "this node's machine no longer exists");
  }
  if (caller->expires_at < (*machine)->min_token_expiry) {
    return ArmErrorResponse(request.http, HttpStatus::unauthorized, "NodeTokenReplaced",
                            "this node token was replaced by a renewal; use the newest one "
                            "(gangplankd writes it into the node's token file)");
  }
  for (const NodeRoute& route : kNodeRoutes) {
    if (request.Matches({"gangplank", "node", "v1", route.name}) &&
        request.http.method() == route.verb)
      return route.handle(request, context, **machine, *caller);
  }
  return ArmErrorResponse(request.http, HttpStatus::not_found, "NotFound",
                          "the node protocol has GET desired, POST status and POST token");
}

}  // namespace gangplank::api
