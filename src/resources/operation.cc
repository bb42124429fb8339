// The operation record's codec and its ARM status document.
#include "resources/operation.h"

#include <boost/json.hpp>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace gangplank::resources {
namespace json = boost::json;

std::optional<long long> UnixMillisOf(std::string_view text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, used = 0;
  const std::string copy(text);
  if (std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute,
                  &second, &used) != 6)
    return std::nullopt;
  std::string_view rest = text.substr(static_cast<std::size_t>(used));
  long long millis = 0;
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
    int digits = 0;
    while (!rest.empty() && std::isdigit(static_cast<unsigned char>(rest.front()))) {
      if (digits++ < 3) millis = millis * 10 + (rest.front() - '0');
      rest.remove_prefix(1);
    }
    for (; digits < 3; ++digits) millis *= 10;
  }
  long long offset_minutes = 0;
  if (rest == "Z" || rest.empty()) {
  } else if ((rest.front() == '+' || rest.front() == '-') && rest.size() == 6 && rest[3] == ':') {
    const int hours = std::atoi(std::string(rest.substr(1, 2)).c_str());
    const int minutes = std::atoi(std::string(rest.substr(4, 2)).c_str());
    offset_minutes = (rest.front() == '-' ? -1 : 1) * (hours * 60 + minutes);
  } else {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const long long seconds = static_cast<long long>(timegm(&tm)) - offset_minutes * 60;
  return seconds * 1000 + millis;
}

std::string Rfc3339(std::chrono::system_clock::time_point time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc);
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count() %
      1000000;
  char fraction[16];
  std::snprintf(fraction, sizeof fraction, ".%06lldZ", static_cast<long long>(micros));
  return std::string(buffer) + fraction;
}

std::string OperationStatusJson(const Operation& operation) {
  json::object doc{
      {"name", operation.name}, {"status", operation.status}, {"startTime", operation.start_time}};
  if (!operation.end_time.empty()) doc["endTime"] = operation.end_time;
  if (operation.percent_complete) doc["percentComplete"] = *operation.percent_complete;
  if (!operation.progress.empty())
    doc["properties"] = json::object{{"progress", operation.progress}};
  if (operation.error) {
    doc["error"] =
        json::object{{"code", operation.error->reason}, {"message", operation.error->message}};
  }
  return json::serialize(doc);
}

Operation DecodeOperation(const store::Resource& row) {
  const json::object doc = json::parse(row.body).as_object();
  Operation operation;
  operation.id = row.id;
  operation.name = std::string(doc.at("name").as_string());
  operation.status = std::string(doc.at("status").as_string());
  operation.start_time = std::string(doc.at("startTime").as_string());
  if (const auto* end = doc.if_contains("endTime"); end && end->is_string()) {
    operation.end_time = std::string(end->get_string());
  }
  if (const auto* percent = doc.if_contains("percentComplete"); percent && percent->is_int64()) {
    operation.percent_complete = static_cast<int>(percent->get_int64());
  }
  if (const auto* properties = doc.if_contains("properties");
      properties && properties->is_object()) {
    if (const auto* progress = properties->get_object().if_contains("progress");
        progress && progress->is_string()) {
      operation.progress = std::string(progress->get_string());
    }
  }
  const json::object& work = doc.at("work").as_object();
  operation.type = std::string(work.at("type").as_string());
  operation.target = std::string(work.at("target").as_string());
  if (const auto* ended = work.if_contains("endedAt"); ended && ended->is_int64()) {
    operation.ended_at = ended->get_int64();
  }
  if (const auto* cancel = work.if_contains("cancelRequested"); cancel && cancel->is_bool()) {
    operation.cancel_requested = cancel->get_bool();
  }
  if (const auto* lock = work.if_contains("lock"); lock && lock->is_string()) {
    operation.lock = std::string(lock->get_string());
  }
  if (const auto* owner = work.if_contains("owner"); owner && owner->is_string()) {
    operation.owner = std::string(owner->get_string());
  }
  if (const auto* lease = work.if_contains("leaseUntilMs"); lease && lease->is_int64()) {
    operation.lease_until_ms = lease->get_int64();
  }
  if (const auto* origin = work.if_contains("origin"); origin && origin->is_object()) {
    const json::object& o = origin->get_object();
    const auto text = [&](std::string_view key) {
      const json::value* value = o.if_contains(key);
      return value && value->is_string() ? std::string(value->get_string()) : std::string();
    };
    operation.origin = {text("caller"),     text("callerObjectId"), text("action"),
                        text("resourceId"), text("correlationId"),  text("clientIp")};
  }
  operation.version = row.version;
  if (const auto* error = doc.if_contains("error"); error && error->is_object()) {
    operation.error = MakeError(StatusCode::kInternal, std::string(error->at("code").as_string()),
                                std::string(error->at("message").as_string()));
  }
  return operation;
}

namespace {

std::string EncodeBody(const Operation& operation) {
  json::object doc = json::parse(OperationStatusJson(operation)).as_object();
  json::object work{{"type", operation.type}, {"target", operation.target}};
  if (operation.ended_at != 0) work["endedAt"] = operation.ended_at;
  if (operation.cancel_requested) work["cancelRequested"] = true;
  if (!operation.lock.empty()) work["lock"] = operation.lock;
  if (!operation.owner.empty()) {
    work["owner"] = operation.owner;
    work["leaseUntilMs"] = operation.lease_until_ms;
  }
  if (!operation.origin.action.empty()) {
    const ActivityOrigin& o = operation.origin;
    work["origin"] = json::object{{"caller", o.caller},
                                  {"callerObjectId", o.caller_object_id},
                                  {"action", o.action},
                                  {"resourceId", o.resource_id},
                                  {"correlationId", o.correlation_id},
                                  {"clientIp", o.client_ip}};
  }
  doc["work"] = std::move(work);
  return json::serialize(doc);
}

}  // namespace

// Operation records live under their subscription.
store::Resource OperationRow(const Operation& operation) {
  const std::size_t end = operation.id.find('/', std::string_view("/subscriptions/").size());
  return store::Resource{std::string(kOperationKind), operation.id, operation.id.substr(0, end),
                         EncodeBody(operation), 0};
}

}  // namespace gangplank::resources
