// A request as the handlers see it: decoded path segments, query parameters, the raw message.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "access/authorizer.h"
#include "api/http_types.h"
#include "common/error.h"

namespace gangplank::api {

struct ApiRequest {
  const HttpRequest& http;
  std::vector<std::string> segments;         // decoded, original case
  std::vector<std::string> lower_segments;   // for case-insensitive matching (ARM paths)
  std::map<std::string, std::string> query;  // keys lowercased
  access::Caller caller;                     // set once the bearer token is verified
  std::string correlation_id;  // x-ms-correlation-request-id, the client's or a new one
  std::string client_ip;       // as the server saw the connection
  // What the request went to, for metrics: the matched route's pattern, or its surface (a string
  // with static storage; set while it is routed).
  mutable std::string_view route;

  std::optional<std::string> Query(const std::string& name) const;
  // True when the path has exactly these lowercase segments, "*" matching any one.
  bool Matches(std::initializer_list<std::string_view> pattern) const;
};

// Splits the target; InvalidArgument for a target that is not an origin-form URI.
Result<ApiRequest> ParseApiRequest(const HttpRequest& request);

}  // namespace gangplank::api
