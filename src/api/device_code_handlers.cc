// `az login --use-device-code`: the device authorization endpoint, the page where a person enters
// the code and signs in, and the token grant the waiting client polls.
#include <boost/json.hpp>
#include <boost/url/parse_query.hpp>
#include <mutex>

#include "access/device_flow.h"
#include "api/activity.h"
#include "api/arm_response.h"
#include "api/handlers.h"
#include "api/sign_in.h"
#include "resources/operation.h"

namespace gangplank::api {
namespace json = boost::json;
using access::DeviceFlow;

namespace {

long long NowMs(const HandlerContext& context) {
  return UnixSeconds(context.clock.Now()) * 1000;
}

std::string PageUrl(const HandlerContext& context) {
  return context.config.server_url + "adfs/oauth2/deviceauth";
}

Error OAuth(std::string error, std::string description) {
  return MakeError(StatusCode::kInvalidArgument, std::move(error), std::move(description));
}

// Whether there is room for one more flow: expired ones are swept first; past the cap a new one
// is refused.
Result<bool> MakeRoom(const HandlerContext& context) {
  GP_ASSIGN_OR_RETURN(const auto rows, context.store.ListKind(access::kDeviceFlowKind));
  if (rows.size() < access::kMaxDeviceFlows) return true;
  std::size_t live = 0;
  for (const auto& row : rows) {
    auto flow = access::DecodeDeviceFlow(row);
    if (flow && flow->expires_ms > NowMs(context)) {
      ++live;
      continue;
    }
    (void)context.store.Delete(access::kDeviceFlowKind, row.id,
                               store::Precondition::AtVersion(row.version));
  }
  return live < access::kMaxDeviceFlows;
}

// The flow a user code names, while it is open.
Result<std::optional<std::pair<DeviceFlow, std::int64_t>>> OpenFlow(const HandlerContext& context,
                                                                    std::string_view user_code) {
  using Found = std::optional<std::pair<DeviceFlow, std::int64_t>>;
  GP_ASSIGN_OR_RETURN(const auto row, context.store.Get(access::kDeviceFlowKind,
                                                        access::DeviceFlowRowId(user_code)));
  if (!row) return Found();
  GP_ASSIGN_OR_RETURN(DeviceFlow flow, access::DecodeDeviceFlow(*row));
  if (flow.expires_ms <= NowMs(context)) return Found();
  return Found(std::pair{std::move(flow), row->version});
}

std::string EscapeHtml(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// The page: a form, and what became of the last try. Nothing on it loads from elsewhere, nothing
// may frame it, nothing is cached.
HttpResponse Page(const ApiRequest& request, HttpStatus status, std::string_view message,
                  std::string_view code, bool form) {
  std::string html =
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Gangplank sign-in"
      "</title><style>body{font-family:sans-serif;max-width:28em;margin:4em auto}label,input,"
      "button{display:block;width:100%;margin:.4em 0}</style></head><body><h1>Sign in to "
      "Gangplank</h1><p>" +
      EscapeHtml(message) + "</p>";
  if (form) {
    html += "<form method=\"post\" action=\"deviceauth\"><label>Code<input name=\"user_code\" "
            "autocomplete=\"off\" required value=\"" +
            EscapeHtml(code) +
            "\"></label><label>User name<input name=\"username\" type=\"email\" "
            "autocomplete=\"username\" required></label><label>Password<input name=\"password\" "
            "type=\"password\" autocomplete=\"current-password\" required></label><button "
            "type=\"submit\">Sign in</button></form>";
  }
  html += "</body></html>";
  HttpResponse response(status, request.http.version());
  response.set(boost::beast::http::field::content_type, "text/html; charset=utf-8");
  response.set(boost::beast::http::field::server, "gangplankd");
  response.set(boost::beast::http::field::cache_control, "no-store");
  response.set("Content-Security-Policy",
               "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
               "frame-ancestors 'none'");
  response.set("X-Frame-Options", "DENY");
  response.set("Referrer-Policy", "no-referrer");
  response.keep_alive(request.http.keep_alive());
  if (request.http.method() != HttpVerb::head) response.body() = std::move(html);
  response.prepare_payload();
  return response;
}

// Wrong codes this process takes, all callers together: 30 a minute. Guessing a code someone
// is waiting with (to sign their az in as oneself) then takes centuries, not days; a person who
// mistypes waits a minute at worst while someone guesses.
bool WrongCodeAllowed(long long now_ms) {
  constexpr long long kWindowMs = 60 * 1000;
  constexpr int kPerWindow = 30;
  static std::mutex mutex;
  static long long window_start = 0;
  static int used = 0;
  std::lock_guard lock(mutex);
  if (now_ms - window_start >= kWindowMs) {
    window_start = now_ms;
    used = 0;
  }
  return ++used <= kPerWindow;
}

// A person approves a flow: the code must be open, the password right (a wrong one counts
// towards the lockout, as at the token endpoint); one approval per flow.
Result<std::string> Approve(const ApiRequest& request, const HandlerContext& context, Form& form) {
  const auto code = access::NormalizeUserCode(form["user_code"]);
  const Error unknown = OAuth("invalid_code",
                              "That code is not valid or has expired. Run az login "
                              "--use-device-code again for a new one.");
  std::optional<std::pair<DeviceFlow, std::int64_t>> open;
  if (code) {
    GP_ASSIGN_OR_RETURN(open, OpenFlow(context, *code));
  }
  if (!open || !open->first.user_id.empty()) {
    if (!WrongCodeAllowed(NowMs(context))) {
      return MakeError(StatusCode::kUnavailable, "slow_down",
                       "Too many wrong codes were entered here in the last minute; wait a "
                       "minute and enter yours again.");
    }
    return unknown;
  }
  GP_ASSIGN_OR_RETURN(const access::User user,
                      SignInWithPassword(request, context, form["username"], form["password"]));
  open->first.user_id = user.id;
  auto approved = context.store.Put(access::EncodeDeviceFlow(open->first),
                                    store::Precondition::AtVersion(open->second));
  if (!approved && approved.error().code == StatusCode::kAborted) return unknown;
  if (!approved) return approved.error();
  return user.user_principal_name;
}

}  // namespace

// POST /adfs/oauth2/devicecode (client_id, scope): a new flow, and the words az prints.
HttpResponse HandleDeviceCode(const ApiRequest& request, const HandlerContext& context) {
  const auto fail = [&](HttpStatus status, std::string_view error, std::string_view why) {
    return JsonResponse(request.http, status,
                        json::object{{"error", error}, {"error_description", why}});
  };
  if (request.http.method() != HttpVerb::post)
    return fail(HttpStatus::method_not_allowed, "invalid_request", "use POST with a form body");
  if (!boost::urls::parse_query(request.http.body()))
    return fail(HttpStatus::bad_request, "invalid_request",
                "the body must be application/x-www-form-urlencoded");
  Form form = ParseForm(request.http.body());
  std::string audience = form["scope"].substr(0, form["scope"].find(' '));
  if (audience.ends_with("/.default")) audience.resize(audience.size() - 9);
  if (form.contains("resource")) audience = form["resource"];
  if (!context.tokens.IsOurAudience(audience)) {
    return fail(HttpStatus::bad_request, "invalid_scope",
                "tokens are only issued for " + context.config.server_url + " (scope " +
                    context.config.server_url + "/.default)");
  }
  const auto room = MakeRoom(context);
  if (!room) return ArmErrorResponse(request.http, room.error());
  if (!*room) {
    return fail(HttpStatus::too_many_requests, "slow_down",
                "too many sign-ins are waiting for their code; try again in a few minutes");
  }
  auto [flow, device_code] = access::NewDeviceFlow(
      form["client_id"], audience, NowMs(context) + access::kDeviceFlowSeconds * 1000);
  if (auto stored = context.store.Put(access::EncodeDeviceFlow(flow), store::Precondition::Absent());
      !stored)
    return ArmErrorResponse(request.http, stored.error());
  const std::string shown = access::ShownUserCode(flow.user_code);
  return JsonResponse(
      request.http, HttpStatus::ok,
      json::object{{"device_code", device_code},
                   {"user_code", shown},
                   {"verification_uri", PageUrl(context)},
                   {"verification_uri_complete", PageUrl(context) + "?user_code=" + shown},
                   {"expires_in", access::kDeviceFlowSeconds},
                   {"interval", access::kDevicePollSeconds},
                   {"message", "To sign in, use a web browser to open the page " +
                                   PageUrl(context) + " and enter the code " + shown +
                                   " to authenticate."}});
}

// GET /adfs/oauth2/deviceauth: the form; POST: a person signs in and approves the flow.
HttpResponse HandleDevicePage(const ApiRequest& request, const HandlerContext& context) {
  const std::string prompt = "Enter the code your terminal shows, and sign in.";
  if (request.http.method() == HttpVerb::get || request.http.method() == HttpVerb::head) {
    const auto typed = request.Query("user_code");
    return Page(request, HttpStatus::ok, prompt, typed ? typed->substr(0, 16) : "", true);
  }
  if (request.http.method() != HttpVerb::post)
    return Page(request, HttpStatus::method_not_allowed, prompt, "", true);
  if (!boost::urls::parse_query(request.http.body()))
    return Page(request, HttpStatus::bad_request, "The form could not be read.", "", true);
  Form form = ParseForm(request.http.body());
  auto approved = Approve(request, context, form);
  if (approved) {
    return Page(request, HttpStatus::ok,
                "You are signed in as " + *approved +
                    ". Return to your terminal; you can close this page.",
                "", false);
  }
  if (approved.error().reason == "slow_down")
    return Page(request, HttpStatus::too_many_requests, approved.error().message, "", true);
  if (approved.error().code != StatusCode::kInvalidArgument)
    return Page(request, HttpStatusFor(approved.error().code), approved.error().message, "", true);
  return Page(request, HttpStatus::bad_request, approved.error().message,
              form["user_code"].substr(0, 16), true);
}

Result<Granted> DeviceCodeGrant(const ApiRequest&, const HandlerContext& context, Form& form) {
  const std::string& device_code = form["device_code"];
  const Error expired = OAuth("expired_token",
                              "the device code has expired or was used; run az login "
                              "--use-device-code again");
  const auto user_code = access::UserCodeOf(device_code);
  if (!user_code) return expired;
  GP_ASSIGN_OR_RETURN(auto open, OpenFlow(context, *user_code));
  if (!open || !access::DeviceCodeMatches(open->first, device_code)) return expired;
  const DeviceFlow& flow = open->first;
  if (flow.user_id.empty())
    return OAuth("authorization_pending", "waiting for the code to be entered at " +
                                              PageUrl(context));
  // Collected once: a second poll finds nothing.
  auto collected = context.store.Delete(access::kDeviceFlowKind, access::DeviceFlowRowId(*user_code),
                                        store::Precondition::AtVersion(open->second));
  if (!collected && collected.error().code == StatusCode::kAborted) return expired;
  if (!collected) return collected.error();
  GP_ASSIGN_OR_RETURN(const auto row, access::FindUserRow(context.store, flow.user_id));
  if (!row) return expired;
  GP_ASSIGN_OR_RETURN(access::User user, access::DecodeUser(*row));
  if (!user.account_enabled) return OAuth("invalid_grant", "the account is disabled");
  std::string subject = user.user_principal_name;
  return Granted{std::move(subject), std::move(user), flow.audience};
}

}  // namespace gangplank::api
