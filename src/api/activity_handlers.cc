// The activity log's writes (one event per request) and its read API, paged as Azure pages it.
#include <atomic>
#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "api/activity.h"
#include "api/arm_response.h"
#include "audit/activity_log.h"
#include "common/random.h"

namespace gangplank::api {
namespace json = boost::json;

namespace {

constexpr std::size_t kPageSize = 100;
constexpr std::string_view kReadEvents = "Microsoft.Insights/eventtypes/values/read";

long long NowMs(const Clock& clock) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock.Now().time_since_epoch())
      .count();
}

// The message of an ARM error body, for the event's description.
std::string ErrorMessageOf(const HttpResponse& response) {
  boost::system::error_code ec;
  const json::value body = json::parse(response.body(), ec);
  const json::value* error =
      ec || !body.is_object() ? nullptr : body.get_object().if_contains("error");
  if (error == nullptr || !error->is_object()) return {};
  const json::value* message = error->get_object().if_contains("message");
  return message && message->is_string() ? std::string(message->get_string()) : std::string();
}

void Record(const HandlerContext& context, audit::ActivityEvent event) {
  // A store that is away keeps nothing: the answer (a 503, most likely) is not held up waiting
  // for it a second time.
  if (!context.store.Ready().ok()) return;
  if (auto stored = context.store.Put(audit::EventRow(event), store::Precondition::Any());
      !stored && context.config.warn) {
    context.config.warn("the activity log could not record " + event.origin.action + " on " +
                        event.origin.resource_id + ": " + stored.error().message);
  }
}

// The event of a request answered `status`; `operation_id`: the long-running operation it
// started (empty: none).
audit::ActivityEvent EventOf(const HandlerContext& context, resources::ActivityOrigin origin,
                             std::string subscription, HttpStatus status,
                             std::string operation_id) {
  const unsigned code = static_cast<unsigned>(status);
  audit::ActivityEvent event;
  event.event_id = NewUuid();
  event.subscription = std::move(subscription);
  event.origin = std::move(origin);
  // A long-running operation is followed by its own id (its end is recorded under it).
  const bool started = !operation_id.empty();
  event.operation_id = started ? std::move(operation_id) : NewUuid();
  // A request that started a long-running operation was accepted; its end comes later.
  event.status = code >= 300 ? "Failed" : started || code == 202 ? "Accepted" : "Succeeded";
  event.sub_status = std::string(boost::beast::http::obsolete_reason(status));
  event.level = code < 300 ? "Informational" : "Error";
  event.event_name = "EndRequest";
  event.timestamp_ms = NowMs(context.clock);
  return event;
}

audit::ActivityEvent EventFor(const HandlerContext& context, resources::ActivityOrigin origin,
                              std::string subscription, const HttpResponse& response) {
  const auto async = response["Azure-AsyncOperation"];
  const std::string_view url(async.data(), async.size());
  audit::ActivityEvent event = EventOf(
      context, std::move(origin), std::move(subscription), response.result(),
      url.empty()
          ? std::string()
          : std::string(url.substr(url.rfind('/') + 1, url.find('?') - url.rfind('/') - 1)));
  if (response.result_int() >= 300) event.description = ErrorMessageOf(response);
  return event;
}

// Events that anyone can cause without a credential: at most 20 a second, whoever sends them.
bool WithinBudget(const HandlerContext& context) {
  static std::atomic<long long> window{0};
  static std::atomic<int> in_window{0};
  const long long second = NowMs(context.clock) / 1000;
  if (window.exchange(second) != second) in_window = 0;
  return ++in_window <= 20;
}

}  // namespace

void RecordSignIn(const ApiRequest& request, const HandlerContext& context, const std::string& name,
                  std::string_view why) {
  if (!WithinBudget(context)) return;
  audit::ActivityEvent event;
  event.event_id = NewUuid();
  event.subscription = context.config.admin.subscription_id;
  event.origin = {name.substr(0, 256),
                  "",
                  "Gangplank/users/signIn/action",
                  "/subscriptions/" + context.config.admin.subscription_id,
                  request.correlation_id.empty() ? NewUuid() : request.correlation_id,
                  request.client_ip};
  event.operation_id = NewUuid();
  event.status = "Failed";
  event.sub_status = std::string(why);
  event.level = "Warning";
  event.event_name = "EndRequest";
  event.description =
      "a sign-in of '" + name.substr(0, 256) + "' was refused (" + std::string(why) + ")";
  event.timestamp_ms = NowMs(context.clock);
  Record(context, std::move(event));
}

void RecordRequest(const ArmCall& call, const HttpResponse& response) {
  if (call.recorded) return;  // committed with the change
  Record(call.context, EventFor(call.context, OriginOf(call), call.names.subscription, response));
}

store::Mutation AcceptedRequestEvent(const ArmCall& call, const std::string& operation_name,
                                     HttpStatus answered) {
  return store::Mutation::Put(audit::EventRow(
      EventOf(call.context, OriginOf(call), call.names.subscription, answered, operation_name)));
}

void RecordUnauthenticated(const ApiRequest& request, const HandlerContext& context,
                           const HttpResponse& response) {
  if (!WithinBudget(context)) return;
  const std::string_view action = ActionOf(request);
  if (action.empty() || request.segments.size() < 2) return;
  Record(context, EventFor(context,
                           {"", "", std::string(action), ResourceIdOf(request),
                            request.correlation_id, request.client_ip},
                           request.segments[1], response));
}

ArmAnswer ListActivityEvents(const ArmCall& call) {
  const auto text = call.request.Query("$filter");
  if (!text) {
    return InvalidInput("InvalidFilter",
                        "$filter is required: eventTimestamp ge TIME and eventTimestamp le TIME, "
                        "as az monitor activity-log list sends it.",
                        "$filter");
  }
  GP_ASSIGN_OR_RETURN(const audit::ActivityFilter filter, audit::ParseActivityFilter(*text));
  GP_ASSIGN_OR_RETURN(const auto rows,
                      call.context.store.List(audit::kActivityEventKind,
                                              audit::ActivityLogParent(call.names.subscription)));
  std::vector<audit::ActivityEvent> events;
  for (const auto& row : rows) {
    auto event = audit::DecodeEvent(row);
    if (!event || !audit::Matches(filter, *event)) continue;
    GP_ASSIGN_OR_RETURN(const bool readable,
                        CallerMay(call, kReadEvents, event->origin.resource_id));
    if (readable) events.push_back(std::move(*event));
  }
  // Newest first, as Azure returns them.
  std::sort(events.begin(), events.end(), [](const auto& a, const auto& b) {
    return a.timestamp_ms != b.timestamp_ms ? a.timestamp_ms > b.timestamp_ms
                                            : a.event_id < b.event_id;
  });
  std::size_t skip = 0;
  if (const auto token = call.request.Query("$skiptoken")) {
    skip = static_cast<std::size_t>(std::strtoull(token->c_str(), nullptr, 10));
  }
  json::array value;
  for (std::size_t i = skip; i < events.size() && value.size() < kPageSize; ++i)
    value.push_back(audit::EventJson(events[i]));
  json::object page{{"value", std::move(value)}};
  if (skip + kPageSize < events.size()) {
    namespace urls = boost::urls;
    page["nextLink"] = call.context.config.server_url + "subscriptions/" + call.names.subscription +
                       "/providers/Microsoft.Insights/eventtypes/management/values?api-version=" +
                       call.api_version +
                       "&%24filter=" + urls::encode(*text, urls::unreserved_chars) +
                       "&%24skiptoken=" + std::to_string(skip + kPageSize);
  }
  return JsonResponse(call.request.http, HttpStatus::ok, page);
}

}  // namespace gangplank::api
