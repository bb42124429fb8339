// The HTTP message types every handler speaks (Boost.Beast, string bodies).
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <optional>

namespace gangplank::api {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;
using HttpStatus = boost::beast::http::status;
using HttpVerb = boost::beast::http::verb;

// The client's address, as the server saw it: set on every request by the server itself (any
// value the client sent is replaced), for the activity log.
inline constexpr const char* kClientIpHeader = "X-Gangplank-Client-Ip";

// What to do with a request whose header is in: refuse it at once (no body is buffered for a
// caller that has not proved who it is), or read a body of at most `body_limit` bytes.
struct Admission {
  std::optional<HttpResponse> refusal;
  std::size_t body_limit = 0;
};

}  // namespace gangplank::api
