// ARM JSON responses and the status mapping.
#include "api/arm_response.h"

#include <boost/beast/http/field.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/pchars.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

namespace gangplank::api {
namespace json = boost::json;

namespace {

// The one table from the project's status codes to ARM's answers. A row with an ARM code speaks
// for the error instead of its own words: a store conflict names rows, a client needs the request.
struct ArmMapping {
  StatusCode code;
  HttpStatus status;
  std::string_view arm_code = {};
  std::string_view arm_message = {};
};

constexpr ArmMapping kArmMappings[] = {
    {StatusCode::kInvalidArgument, HttpStatus::bad_request},
    {StatusCode::kNotFound, HttpStatus::not_found},
    {StatusCode::kAlreadyExists, HttpStatus::conflict},
    {StatusCode::kFailedPrecondition, HttpStatus::conflict},
    {StatusCode::kPermissionDenied, HttpStatus::forbidden},
    {StatusCode::kUnauthenticated, HttpStatus::unauthorized},
    {StatusCode::kAborted, HttpStatus::conflict, "OperationNotAllowed",
     "Another request changed this resource at the same time; retry."},
    {StatusCode::kConditionNotMet, HttpStatus::precondition_failed},
    {StatusCode::kUnavailable, HttpStatus::service_unavailable},
    {StatusCode::kInternal, HttpStatus::internal_server_error},
};

const ArmMapping& MappingFor(StatusCode code) {
  for (const ArmMapping& row : kArmMappings)
    if (row.code == code) return row;
  return kArmMappings[std::size(kArmMappings) - 1];
}

}  // namespace

HttpStatus HttpStatusFor(StatusCode code) { return MappingFor(code).status; }

HttpResponse JsonResponse(const HttpRequest& request, HttpStatus status, const json::value& body) {
  return JsonTextResponse(
      request, status, request.method() == HttpVerb::head ? std::string() : json::serialize(body));
}

HttpResponse JsonTextResponse(const HttpRequest& request, HttpStatus status,
                              std::string_view body) {
  HttpResponse response(status, request.version());
  response.set(boost::beast::http::field::content_type, "application/json; charset=utf-8");
  response.set(boost::beast::http::field::server, "gangplankd");
  response.keep_alive(request.keep_alive());
  if (request.method() != HttpVerb::head) response.body() = body;
  response.prepare_payload();
  return response;
}

HttpResponse EmptyResponse(const HttpRequest& request, HttpStatus status) {
  HttpResponse response(status, request.version());
  response.set(boost::beast::http::field::server, "gangplankd");
  response.keep_alive(request.keep_alive());
  response.prepare_payload();
  return response;
}

HttpResponse ArmErrorResponse(const HttpRequest& request, HttpStatus status, std::string_view code,
                              std::string_view message, std::string_view target) {
  json::object error{{"code", code}, {"message", message}, {"details", json::array()}};
  error["target"] = target.empty() ? json::value(nullptr) : json::value(target);
  HttpResponse response = JsonResponse(request, status, json::object{{"error", std::move(error)}});
  // Clients back off and retry a 503 on their own when told how long to wait.
  if (status == HttpStatus::service_unavailable)
    response.set(boost::beast::http::field::retry_after, "5");
  return response;
}

HttpResponse ArmErrorResponse(const HttpRequest& request, const Error& error,
                              std::string_view target) {
  const ArmMapping& mapping = MappingFor(error.code);
  if (target.empty()) target = error.target;
  if (!mapping.arm_code.empty())
    return ArmErrorResponse(request, mapping.status, mapping.arm_code, mapping.arm_message, target);
  return ArmErrorResponse(request, mapping.status, error.reason, error.message, target);
}

std::string ResourceUrl(std::string_view server_url, std::string_view id,
                        std::string_view api_version) {
  namespace urls = boost::urls;
  std::string url(server_url);  // ends with '/'
  std::size_t start = id.starts_with('/') ? 1 : 0;
  while (start <= id.size()) {
    const std::size_t end = std::min(id.find('/', start), id.size());
    if (!url.ends_with('/')) url += '/';
    url += urls::encode(id.substr(start, end - start), urls::pchars);
    start = end + 1;
  }
  return url + "?api-version=" + urls::encode(api_version, urls::unreserved_chars);
}

}  // namespace gangplank::api
