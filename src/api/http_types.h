// The HTTP message types every handler speaks (Boost.Beast, string bodies).
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace gangplank::api {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;
using HttpStatus = boost::beast::http::status;
using HttpVerb = boost::beast::http::verb;

}  // namespace gangplank::api
