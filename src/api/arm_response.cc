// ARM JSON responses and the status mapping.
#include "api/arm_response.h"

#include <boost/beast/http/field.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/pchars.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

namespace gangplank::api {
namespace json = boost::json;

HttpStatus HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kInvalidArgument:
      return HttpStatus::bad_request;
    case StatusCode::kNotFound:
      return HttpStatus::not_found;
    case StatusCode::kAlreadyExists:
      return HttpStatus::conflict;
    case StatusCode::kFailedPrecondition:
      return HttpStatus::conflict;
    case StatusCode::kPermissionDenied:
      return HttpStatus::forbidden;
    case StatusCode::kUnauthenticated:
      return HttpStatus::unauthorized;
    case StatusCode::kAborted:
      return HttpStatus::precondition_failed;
    case StatusCode::kUnavailable:
      return HttpStatus::service_unavailable;
    case StatusCode::kInternal:
      return HttpStatus::internal_server_error;
  }
  return HttpStatus::internal_server_error;
}

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
  return ArmErrorResponse(request, HttpStatusFor(error.code), error.reason, error.message, target);
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
