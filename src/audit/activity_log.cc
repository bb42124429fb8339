// Activity events: rows, Azure's EventData JSON, operation ends, and the $filter clients send.
#include "audit/activity_log.h"

#include <boost/json.hpp>
#include <cstdio>
#include <ctime>

#include "common/json_fields.h"
#include "common/random.h"
#include "resources/operation.h"

namespace gangplank::audit {
namespace json = boost::json;

namespace {

json::object Localized(std::string value) {
  return json::object{{"value", value}, {"localizedValue", value}};
}

// The segment after `name` in an ARM id ("resourceGroups" → the group's name), or "".
std::string SegmentAfter(std::string_view id, std::string_view name) {
  const std::string key = store::IdKey(id);
  const std::string wanted = "/" + store::IdKey(name) + "/";
  const std::size_t at = key.find(wanted);
  if (at == std::string::npos) return {};
  const std::size_t start = at + wanted.size();
  return std::string(id.substr(start, id.find('/', start) - start));
}

// "Microsoft.ContainerService/managedClusters/agentPools" for an id below that provider (the
// last one named: a role assignment on a cluster is Microsoft.Authorization's).
std::string ResourceTypeOf(std::string_view id) {
  const std::string key = store::IdKey(id);
  const std::size_t at = key.rfind("/providers/");
  if (at == std::string::npos) {
    return key.find("/resourcegroups/") != std::string::npos
               ? "Microsoft.Resources/subscriptions/resourceGroups"
               : "Microsoft.Resources/subscriptions";
  }
  std::string_view rest = id.substr(at + 11);
  std::string type;
  for (int index = 0; !rest.empty(); ++index) {
    const std::size_t slash = rest.find('/');
    // The provider, then every other segment: managedClusters/c1/agentPools/p1.
    if (index == 0 || index % 2 == 1)
      type += (type.empty() ? "" : "/") + std::string(rest.substr(0, slash));
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  }
  return type;
}

std::string ProviderOf(std::string_view id) {
  const std::string type = ResourceTypeOf(id);
  return type.substr(0, type.find('/'));
}

std::string Timestamp(long long ms) {
  const std::time_t seconds = ms / 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[48];
  const std::size_t used = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(text + used, sizeof text - used, ".%03lld0000Z", ms % 1000);
  return text;
}

std::optional<std::string> Quoted(std::string_view text) {
  if (text.size() >= 2 && text.front() == '\'' && text.back() == '\'')
    return std::string(text.substr(1, text.size() - 2));
  return std::nullopt;
}

bool SameText(const std::optional<std::string>& wanted, std::string_view value) {
  return !wanted || store::IdKey(*wanted) == store::IdKey(value);
}

}  // namespace

std::string ActivityLogParent(std::string_view subscription) {
  return "/subscriptions/" + std::string(subscription) + "/activityLog";
}

store::Resource EventRow(const ActivityEvent& e) {
  const resources::ActivityOrigin& o = e.origin;
  const json::object doc{{"eventId", e.event_id},
                         {"subscription", e.subscription},
                         {"caller", o.caller},
                         {"callerObjectId", o.caller_object_id},
                         {"action", o.action},
                         {"resourceId", o.resource_id},
                         {"correlationId", o.correlation_id},
                         {"clientIp", o.client_ip},
                         {"operationId", e.operation_id},
                         {"status", e.status},
                         {"subStatus", e.sub_status},
                         {"level", e.level},
                         {"eventName", e.event_name},
                         {"description", e.description},
                         {"timestampMs", e.timestamp_ms}};
  return {std::string(kActivityEventKind), ActivityLogParent(e.subscription) + "/" + e.event_id,
          ActivityLogParent(e.subscription), json::serialize(doc), 0};
}

Result<ActivityEvent> DecodeEvent(const store::Resource& row) {
  const auto doc = ParseJsonObject(row.body);
  if (!doc) {
    return MakeError(StatusCode::kInternal, "UnreadableActivityEvent",
                     "the activity event " + row.id + " is not readable");
  }
  const json::object& d = *doc;
  ActivityEvent e;
  e.event_id = StringField(d, "eventId");
  e.subscription = StringField(d, "subscription");
  e.origin = {StringField(d, "caller"),        StringField(d, "callerObjectId"),
              StringField(d, "action"),        StringField(d, "resourceId"),
              StringField(d, "correlationId"), StringField(d, "clientIp")};
  e.operation_id = StringField(d, "operationId");
  e.status = StringField(d, "status");
  e.sub_status = StringField(d, "subStatus");
  e.level = StringField(d, "level");
  e.event_name = StringField(d, "eventName");
  e.description = StringField(d, "description");
  if (const json::value* at = d.if_contains("timestampMs"); at && at->is_int64())
    e.timestamp_ms = at->get_int64();
  return e;
}

json::object EventJson(const ActivityEvent& e) {
  const resources::ActivityOrigin& o = e.origin;
  const std::string type = ResourceTypeOf(o.resource_id);
  const std::string provider = ProviderOf(o.resource_id);
  // .NET ticks, as Azure's event ids carry them.
  const long long ticks = (e.timestamp_ms + 62135596800000LL) * 10000LL;
  const std::string when = Timestamp(e.timestamp_ms);
  return json::object{
      {"authorization", json::object{{"action", o.action}, {"scope", o.resource_id}}},
      {"caller", o.caller},
      {"channels", "Operation"},
      {"claims", json::object{{"appid", o.caller},
                              {"http://schemas.microsoft.com/identity/claims/objectidentifier",
                               o.caller_object_id}}},
      {"correlationId", o.correlation_id},
      {"description", e.description},
      {"eventDataId", e.event_id},
      {"eventName",
       json::object{
           {"value", e.event_name},
           {"localizedValue", e.event_name == "BeginRequest" ? "Begin request" : "End request"}}},
      {"category", Localized("Administrative")},
      {"eventTimestamp", when},
      {"id", o.resource_id + "/events/" + e.event_id + "/ticks/" + std::to_string(ticks)},
      {"level", e.level},
      {"operationId", e.operation_id},
      {"operationName", Localized(o.action)},
      {"resourceGroupName", SegmentAfter(o.resource_id, "resourceGroups")},
      {"resourceProviderName", Localized(provider)},
      {"resourceType", Localized(type)},
      {"resourceId", o.resource_id},
      {"status", Localized(e.status)},
      {"subStatus", Localized(e.sub_status)},
      {"submissionTimestamp", when},
      {"subscriptionId", e.subscription},
      {"tenantId", "adfs"},
      {"properties", json::object{{"statusCode", e.sub_status}, {"clientIpAddress", o.client_ip}}},
      {"httpRequest", json::object{{"clientIpAddress", o.client_ip}, {"clientRequestId", ""}}}};
}

std::optional<ActivityEvent> OperationEndEvent(const resources::Operation& operation,
                                               long long now_ms) {
  if (operation.origin.action.empty()) return std::nullopt;
  ActivityEvent e;
  e.event_id = NameBasedUuid("activity end:" + operation.id);
  e.subscription = SegmentAfter(operation.id, "subscriptions");
  e.origin = operation.origin;
  e.operation_id = operation.name;
  const bool failed = operation.status == "Failed";
  e.status = failed ? "Failed" : operation.status == "Canceled" ? "Canceled" : "Succeeded";
  e.sub_status = failed && operation.error ? operation.error->reason : "OK";
  e.level = failed ? "Error" : "Informational";
  e.event_name = "EndRequest";
  if (failed && operation.error) e.description = operation.error->message;
  e.timestamp_ms = now_ms;
  return e;
}

std::optional<long long> ParseTimestamp(std::string_view text) {
  const auto quoted = Quoted(text);
  return resources::UnixMillisOf(quoted ? std::string_view(*quoted) : text);
}

Result<ActivityFilter> ParseActivityFilter(std::string_view text) {
  const auto refuse = [&](std::string why) -> Error {
    return InvalidInput("InvalidFilter",
                        "The $filter '" + std::string(text.substr(0, 300)) + "' " + why +
                            ". It starts with eventTimestamp ge TIME and eventTimestamp le TIME, "
                            "then may add resourceGroupName, resourceId, resourceProvider, "
                            "correlationId, caller or status, each eq 'VALUE', joined by 'and'.",
                        "$filter");
  };
  ActivityFilter filter;
  std::string_view rest = text;
  while (!rest.empty()) {
    const std::size_t and_at = rest.find(" and ");
    std::string_view term = rest.substr(0, and_at);
    rest = and_at == std::string_view::npos ? std::string_view() : rest.substr(and_at + 5);
    while (!term.empty() && term.front() == ' ') term.remove_prefix(1);
    while (!term.empty() && term.back() == ' ') term.remove_suffix(1);
    const std::size_t first = term.find(' ');
    const std::size_t second = term.find(' ', first == std::string_view::npos ? first : first + 1);
    if (first == std::string_view::npos || second == std::string_view::npos)
      return refuse("has a term that is not FIELD OP VALUE ('" + std::string(term) + "')");
    const std::string field = store::IdKey(term.substr(0, first));
    const std::string_view op = term.substr(first + 1, second - first - 1);
    const std::string_view value = term.substr(second + 1);
    if (field == "eventtimestamp") {
      const auto at = ParseTimestamp(value);
      if (!at || (op != "ge" && op != "le")) return refuse("has a time it cannot read");
      (op == "ge" ? filter.from_ms : filter.to_ms) = *at;
      continue;
    }
    const auto quoted = Quoted(value);
    if (op != "eq" || !quoted) return refuse("compares " + field + " other than with eq 'VALUE'");
    std::optional<std::string>* slot = field == "resourcegroupname" ? &filter.resource_group
                                       : field == "resourceid" || field == "resourceuri"
                                           ? &filter.resource_id
                                       : field == "resourceprovider" ? &filter.resource_provider
                                       : field == "correlationid"    ? &filter.correlation_id
                                       : field == "caller"           ? &filter.caller
                                       : field == "status"           ? &filter.status
                                                                     : nullptr;
    if (slot == nullptr) return refuse("names a field the activity log has not (" + field + ")");
    *slot = *quoted;
  }
  if (filter.from_ms == 0) return refuse("has no eventTimestamp ge TIME");
  return filter;
}

bool Matches(const ActivityFilter& f, const ActivityEvent& e) {
  if (e.timestamp_ms < f.from_ms || (f.to_ms != 0 && e.timestamp_ms > f.to_ms)) return false;
  const std::string& id = e.origin.resource_id;
  if (f.resource_id && !(store::IdKey(*f.resource_id) == store::IdKey(id) ||
                         store::IdKey(id).starts_with(store::IdKey(*f.resource_id) + "/")))
    return false;
  return SameText(f.resource_group, SegmentAfter(id, "resourceGroups")) &&
         SameText(f.resource_provider, ProviderOf(id)) &&
         SameText(f.correlation_id, e.origin.correlation_id) &&
         SameText(f.caller, e.origin.caller) && SameText(f.status, e.status);
}

}  // namespace gangplank::audit
