// ARM response shapes: JSON bodies, the {"error": {...}} envelope, and the status-code mapping.
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "api/http_types.h"
#include "common/error.h"

namespace gangplank::api {

// The one mapping from the project's status codes to HTTP statuses.
HttpStatus HttpStatusFor(StatusCode code);

HttpResponse JsonResponse(const HttpRequest& request, HttpStatus status,
                          const boost::json::value& body);

// The same, for a body already serialised (cached views).
HttpResponse JsonTextResponse(const HttpRequest& request, HttpStatus status, std::string_view body);

// A response without a body (HEAD, 204, a DELETE that is done).
HttpResponse EmptyResponse(const HttpRequest& request, HttpStatus status);

// {"error": {"code", "message", "target", "details": []}}; `code` is ARM's (InvalidParameter, …).
HttpResponse ArmErrorResponse(const HttpRequest& request, HttpStatus status, std::string_view code,
                              std::string_view message, std::string_view target = {});

// An Error as ARM reports it: its reason is the ARM code, its code picks the HTTP status.
HttpResponse ArmErrorResponse(const HttpRequest& request, const Error& error,
                              std::string_view target = {});

// The absolute URL of an ARM id (/subscriptions/…) on this server, every segment and the
// api-version percent-encoded: the one way URLs that go into headers are built.
std::string ResourceUrl(std::string_view server_url, std::string_view id,
                        std::string_view api_version);

}  // namespace gangplank::api
